// The live channel client: hello with the token, then snapshot/event/positions/heartbeat
// messages; reconnects by itself with exponential backoff. Timers and the WebSocket class are
// injectable so the Deno tests drive it without a browser or real time.

/** First retry after this long; each failure doubles it up to MAX_DELAY_MS. */
export const BASE_DELAY_MS = 500;
/** Longest wait between two attempts. */
export const MAX_DELAY_MS = 15_000;
/** With no message for this long (the server sends a heartbeat every 5 s), the link is dead. */
export const SILENCE_MS = 15_000;

/**
 * Delay before reconnect attempt `attempt` (0 for the first), with ±20 % jitter so that many
 * pages that lost the same server do not all come back in the same millisecond.
 *
 * @param {number} attempt
 * @param {() => number} [random]
 * @returns {number}
 */
export function backoffDelay(attempt, random = Math.random) {
  const base = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(attempt, 16));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/**
 * @typedef {{ state: "connecting" } | { state: "open", hello: Record<string, unknown> }
 *   | { state: "waiting", delayMs: number, attempt: number, reason: string }
 *   | { state: "denied", message: string } | { state: "stopped" }} LiveState
 */

/**
 * @typedef {{
 *   url: string,
 *   token: string,
 *   onMessage: (message: Record<string, unknown>) => void,
 *   onState: (state: LiveState) => void,
 *   afterOk?: (channel: LiveChannel) => void,
 *   WebSocket?: typeof WebSocket,
 *   setTimeout?: (fn: () => void, ms: number) => number,
 *   clearTimeout?: (id: number) => void,
 *   now?: () => number,
 *   random?: () => number,
 * }} LiveOptions
 */

export class LiveChannel {
  /** @type {LiveOptions} */
  #options;
  /** @type {WebSocket | undefined} */
  #socket;
  #attempt = 0;
  /** @type {number | undefined} */
  #retryTimer;
  /** @type {number | undefined} */
  #silenceTimer;
  #stopped = true;
  #nextCommandId = 1;
  /** @type {Map<string, { resolve: (value: unknown) => void, reject: (error: Error) => void }>} */
  #pending = new Map();

  /** @param {LiveOptions} options */
  constructor(options) {
    this.#options = options;
  }

  /** Connects, and keeps reconnecting until stop() or a refused token. */
  start() {
    this.#stopped = false;
    this.#connect();
  }

  /** Closes the channel for good. */
  stop() {
    this.#stopped = true;
    this.#clearTimers();
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.close(1000, "bye");
    this.#failPending("The live channel was closed");
    this.#options.onState({ state: "stopped" });
  }

  /** Skips the wait of a pending reconnect. */
  retryNow() {
    if (this.#stopped || this.#socket) return;
    this.#clearTimers();
    this.#connect();
  }

  /**
   * Sends a message when the channel is open; returns whether it was sent.
   *
   * @param {Record<string, unknown>} message
   * @returns {boolean}
   */
  send(message) {
    const socket = this.#socket;
    if (!socket || socket.readyState !== 1) return false;
    socket.send(JSON.stringify(message));
    return true;
  }

  /**
   * Runs a console command over the channel (admin scope) and resolves to its result.
   *
   * @param {unknown} command
   * @returns {Promise<unknown>}
   */
  command(command) {
    const id = String(this.#nextCommandId++);
    return new Promise((resolve, reject) => {
      if (!this.send({ type: "command", id, command })) {
        reject(new Error("The live channel is not connected"));
        return;
      }
      this.#pending.set(id, { resolve, reject });
    });
  }

  #connect() {
    const options = this.#options;
    const Socket = options.WebSocket ?? WebSocket;
    options.onState({ state: "connecting" });
    let socket;
    try {
      socket = new Socket(options.url);
    } catch (error) {
      this.#scheduleRetry(String(error));
      return;
    }
    this.#socket = socket;
    let greeted = false;
    socket.addEventListener("open", () => {
      socket.send(JSON.stringify({ type: "hello", token: options.token }));
      this.#armSilence();
    });
    socket.addEventListener("message", (event) => {
      if (socket !== this.#socket) return;
      this.#armSilence();
      /** @type {Record<string, unknown>} */
      let message;
      try {
        message = JSON.parse(String(event.data));
      } catch {
        return; // not ours to interpret; the server only sends JSON
      }
      if (!message || typeof message !== "object") return;
      if (!greeted) {
        if (message.type === "ok") {
          greeted = true;
          this.#attempt = 0;
          options.onState({ state: "open", hello: message });
          options.afterOk?.(this);
          return;
        }
        if (message.type === "error") {
          this.#stopped = true;
          this.#socket = undefined;
          this.#clearTimers();
          socket.close(1000, "bye");
          options.onState({
            state: "denied",
            message: String(message.message ?? message.error ?? "Refused"),
          });
          return;
        }
      }
      if (message.type === "result" || (typeof message.id === "string" && "ok" in message)) {
        const waiter = this.#pending.get(String(message.id));
        if (waiter) {
          this.#pending.delete(String(message.id));
          if (message.ok) waiter.resolve(message.result);
          else waiter.reject(new Error(String(message.error ?? "The command failed")));
          return;
        }
      }
      options.onMessage(message);
    });
    socket.addEventListener("close", (event) => {
      if (socket !== this.#socket) return;
      this.#socket = undefined;
      this.#failPending("The live channel dropped");
      if (this.#stopped) return;
      this.#scheduleRetry(event.reason || `connection closed (${event.code})`);
    });
  }

  /** @param {string} reason */
  #scheduleRetry(reason) {
    this.#clearTimers();
    const options = this.#options;
    const delayMs = backoffDelay(this.#attempt, options.random);
    const attempt = ++this.#attempt;
    options.onState({ state: "waiting", delayMs, attempt, reason });
    const set = options.setTimeout ?? ((fn, ms) => setTimeout(fn, ms));
    this.#retryTimer = set(() => {
      this.#retryTimer = undefined;
      if (!this.#stopped) this.#connect();
    }, delayMs);
  }

  #armSilence() {
    const options = this.#options;
    const clear = options.clearTimeout ?? ((id) => clearTimeout(id));
    const set = options.setTimeout ?? ((fn, ms) => setTimeout(fn, ms));
    if (this.#silenceTimer !== undefined) clear(this.#silenceTimer);
    this.#silenceTimer = set(() => {
      this.#silenceTimer = undefined;
      // A half-open connection never fires "close": give up on it ourselves.
      const socket = this.#socket;
      if (!socket) return;
      this.#socket = undefined;
      socket.close(4000, "silent");
      this.#failPending("The live channel went silent");
      if (!this.#stopped) this.#scheduleRetry("no message for 15 s");
    }, SILENCE_MS);
  }

  #clearTimers() {
    const clear = this.#options.clearTimeout ?? ((id) => clearTimeout(id));
    if (this.#retryTimer !== undefined) clear(this.#retryTimer);
    if (this.#silenceTimer !== undefined) clear(this.#silenceTimer);
    this.#retryTimer = undefined;
    this.#silenceTimer = undefined;
  }

  /** @param {string} why */
  #failPending(why) {
    for (const waiter of this.#pending.values()) waiter.reject(new Error(why));
    this.#pending.clear();
  }
}

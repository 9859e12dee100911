/**
 * The live channel (`GET /api/v1/live`, a WebSocket): a snapshot, then every event as it
 * happens, positions while subscribed, a heartbeat with the viewer count, and admin commands.
 *
 * Client → server: `hello {token, positions?}`, `subscribe {positions}`, `refresh`,
 * `command {id, command, args?}`. Server → client: `ok`, `error`, `snapshot`, `event`,
 * `positions`, `heartbeat`, `result`. The README has the reference.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { Clock, TimerId } from "../clock.ts";
import type { HttpToken } from "../config/mod.ts";
import type { ClientInfo } from "../server/client.ts";
import type { GhostServerEvents } from "../server/events.ts";
import { type GhostServer, POSE_STRIDE } from "../server/server.ts";
import { CommandError, type CommandTable } from "../admin/mod.ts";
import { allows, lockedOutMessage, type Lockout, type TokenStore } from "./auth.ts";
import { eventJson } from "./event_json.ts";

const log = getLogger(["ghosting", "http", "live"]);

/** How often a heartbeat goes out even when the viewer count did not change. */
export const LIVE_HEARTBEAT_MS = 5000;
/** How long a new socket may take to send its hello. */
export const LIVE_HELLO_TIMEOUT_MS = 5000;
/** Bytes that may wait for a viewer before it is disconnected as too slow. */
export const LIVE_MAX_BUFFERED_BYTES = 1 << 20;
/** Largest message a viewer may send. */
export const LIVE_MAX_MESSAGE_CHARS = 64 * 1024;
/** Live sockets at once (authenticated or not): what one server spends on viewers is bounded. */
export const LIVE_MAX_SOCKETS = 100;
/** Commands a viewer may have running at once. */
const MAX_PENDING_COMMANDS = 8;

/**
 * WebSocket close codes the channel uses (4000–4999 are the application's).
 *
 * @example
 * ```ts
 * import { LIVE_CLOSE } from "@ghosting/server";
 *
 * const socket = new WebSocket("ws://127.0.0.1:53080/api/v1/live");
 * socket.onclose = (event) => {
 *   if (event.code === LIVE_CLOSE.tooSlow) console.log("reconnect and read faster");
 * };
 * ```
 */
export const LIVE_CLOSE = {
  /** The hello was missing, late or carried a bad token. */
  unauthorized: 4401,
  /** The viewer's IP is locked out after too many bad tokens. */
  lockedOut: 4429,
  /** The viewer did not read fast enough: more than the buffer limit was waiting. */
  tooSlow: 4008,
  /** The viewer sent something that is not a channel message. */
  badMessage: 4400,
  /** The server is stopping. */
  goingAway: 1001,
} as const;

/**
 * A client as the live channel shows it (no IP, no pose).
 *
 * @example
 * ```ts
 * import type { LiveClient } from "@ghosting/server";
 *
 * const label = (client: LiveClient) => `${client.name}${client.spectator ? " (spectator)" : ""}`;
 * console.log(label({ id: 1, name: "Alice", map: "", model: "", color: { r: 0, g: 0, b: 0 }, spectator: false, tcpOnly: false }));
 * ```
 */
export interface LiveClient {
  /** The client's id. */
  id: number;
  /** Its name. */
  name: string;
  /** Its map; "" in the menu. */
  map: string;
  /** Its ghost model. */
  model: string;
  /** Its ghost colour. */
  color: { r: number; g: number; b: number };
  /** Whether it is a spectator. */
  spectator: boolean;
  /** Whether it gets everything over TCP. */
  tcpOnly: boolean;
}

/** Turns a client snapshot into what viewers see. */
export function liveClient(client: ClientInfo): LiveClient {
  return {
    id: client.id,
    name: client.name,
    map: client.map,
    model: client.model,
    color: { ...client.color },
    spectator: client.spectator,
    tcpOnly: client.tcpOnly,
  };
}

/**
 * The server events viewers receive, as `{type: "event", event: <name>, time, data}`.
 *
 * @example
 * ```ts
 * import { LIVE_EVENTS } from "@ghosting/server";
 *
 * console.log(LIVE_EVENTS.includes("speedrunFinish")); // true
 * ```
 */
export const LIVE_EVENTS = [
  "connect",
  "disconnect",
  "message",
  "mapChange",
  "speedrunFinish",
  "modelChange",
  "colorChange",
  "countdown",
  "countdownConfirm",
  "countdownSettingsChange",
  "serverMessage",
  "ban",
  "unban",
  "whitelistChange",
  "acceptingChange",
  "stop",
] as const satisfies readonly (keyof GhostServerEvents)[];

/** What the channel needs from around it. */
export interface LiveHost {
  server: GhostServer;
  commands: CommandTable;
  clock: Clock;
  positionHz: number;
  /** The configured tokens a hello is checked against. */
  tokens: TokenStore;
  /** The HTTP API's lockout: a bad hello counts as a bad token. */
  lockout: Lockout;
}

interface Viewer {
  socket: WebSocket;
  ip: string;
  token: HttpToken | undefined;
  positions: boolean;
  pending: number;
  helloTimer: TimerId | undefined;
}

/** Every viewer of one server, and the timers that feed them. */
export class LiveChannel {
  readonly #host: LiveHost;
  readonly #viewers = new Set<Viewer>();
  readonly #unsubscribe: (() => void)[] = [];
  #subscribed = 0;
  #positionTimer: TimerId | undefined;
  #heartbeatTimer: TimerId | undefined;
  #closed = false;
  /** Viewers disconnected for being too slow, since start (for metrics). */
  slowDisconnects = 0;
  /** Position messages encoded since start (for metrics and tests). */
  positionsEncoded = 0;

  constructor(host: LiveHost) {
    this.#host = host;
    for (const name of LIVE_EVENTS) {
      this.#unsubscribe.push(
        host.server.on(name, (payload) => this.#broadcastEvent(name, payload)),
      );
    }
  }

  /** Authenticated viewers. */
  get viewers(): number {
    let count = 0;
    for (const viewer of this.#viewers) if (viewer.token) count++;
    return count;
  }

  /** Whether another socket may be taken over. */
  get full(): boolean {
    return this.#viewers.size >= LIVE_MAX_SOCKETS;
  }

  /** Viewers subscribed to positions. */
  get positionSubscribers(): number {
    return this.#subscribed;
  }

  /** Takes over an upgraded socket from `ip`. */
  accept(socket: WebSocket, ip: string): void {
    if (this.#closed) {
      socket.onopen = () => socket.close(LIVE_CLOSE.goingAway, "Server stopping");
      return;
    }
    const viewer: Viewer = {
      socket,
      ip,
      token: undefined,
      positions: false,
      pending: 0,
      helloTimer: undefined,
    };
    this.#viewers.add(viewer);
    viewer.helloTimer = this.#host.clock.setTimeout(() => {
      viewer.helloTimer = undefined;
      if (!viewer.token) this.#reject(viewer, "No hello within 5 s", LIVE_CLOSE.unauthorized);
    }, LIVE_HELLO_TIMEOUT_MS);
    socket.onmessage = (event) => this.#onMessage(viewer, event.data);
    socket.onclose = () => this.#remove(viewer);
    socket.onerror = () => {}; // onclose follows
  }

  /** Closes every viewer and stops listening to the server. */
  close(): void {
    this.#closed = true;
    for (const off of this.#unsubscribe) off();
    this.#unsubscribe.length = 0;
    for (const viewer of [...this.#viewers]) {
      this.#remove(viewer);
      closeSocket(viewer.socket, LIVE_CLOSE.goingAway, "Server stopping");
    }
    this.#stopPositions();
    if (this.#heartbeatTimer !== undefined) this.#host.clock.clearTimeout(this.#heartbeatTimer);
    this.#heartbeatTimer = undefined;
  }

  /** The snapshot message: settings and every client. */
  snapshot(): Record<string, unknown> {
    const { server } = this.#host;
    return {
      type: "snapshot",
      time: new Date().toISOString(),
      settings: {
        countdown: server.countdownSettings(),
        accepting: server.accepting(),
        whitelist: server.whitelist(),
        livePositionHz: this.#host.positionHz,
      },
      clients: server.clients().map(liveClient),
      viewers: this.viewers,
    };
  }

  #onMessage(viewer: Viewer, data: unknown): void {
    if (typeof data !== "string" || data.length > LIVE_MAX_MESSAGE_CHARS) {
      return this.#reject(viewer, "Messages must be JSON text of at most 64 KiB");
    }
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(data);
    } catch {
      return this.#reject(viewer, "Messages must be JSON");
    }
    if (typeof message !== "object" || message === null || Array.isArray(message)) {
      return this.#reject(viewer, 'Messages must be JSON objects with a "type"');
    }
    if (!viewer.token) return this.#hello(viewer, message);
    switch (message.type) {
      case "refresh":
        return this.#send(viewer, JSON.stringify(this.snapshot()));
      case "subscribe":
        if (typeof message.positions !== "boolean") {
          return this.#send(viewer, errorMessage("subscribe needs positions: true or false"));
        }
        return this.#setPositions(viewer, message.positions);
      case "command":
        return void this.#command(viewer, message);
      case "hello":
        return this.#send(viewer, errorMessage("Already authenticated"));
      default:
        return this.#send(
          viewer,
          errorMessage(
            `Unknown message type ${
              JSON.stringify(message.type ?? null)
            }; send refresh, subscribe or command`,
          ),
        );
    }
  }

  #hello(viewer: Viewer, message: Record<string, unknown>): void {
    if (message.type !== "hello") {
      return this.#reject(
        viewer,
        'Send {"type": "hello", "token": "…"} first',
        LIVE_CLOSE.unauthorized,
      );
    }
    const locked = this.#host.lockout.lockedFor(viewer.ip);
    if (locked > 0) {
      return this.#reject(
        viewer,
        lockedOutMessage(locked),
        LIVE_CLOSE.lockedOut,
      );
    }
    const token = typeof message.token === "string"
      ? this.#host.tokens.find(message.token)
      : undefined;
    if (!token) {
      const lockedNow = this.#host.lockout.fail(viewer.ip);
      return this.#reject(
        viewer,
        lockedNow ? "Too many bad tokens from your address" : "Bad or missing token",
        lockedNow ? LIVE_CLOSE.lockedOut : LIVE_CLOSE.unauthorized,
      );
    }
    viewer.token = token;
    if (viewer.helloTimer !== undefined) this.#host.clock.clearTimeout(viewer.helloTimer);
    viewer.helloTimer = undefined;
    this.#send(viewer, JSON.stringify({ type: "ok", name: token.name, scope: token.scope }));
    this.#send(viewer, JSON.stringify(this.snapshot()));
    if (message.positions === true) this.#setPositions(viewer, true);
    this.#viewersChanged();
  }

  async #command(viewer: Viewer, message: Record<string, unknown>): Promise<void> {
    const id = message.id;
    if (typeof id !== "string" && typeof id !== "number") {
      return this.#send(viewer, errorMessage("command needs an id (a string or a number)"));
    }
    const answer = (body: Record<string, unknown>) =>
      this.#send(viewer, JSON.stringify({ type: "result", id, ...body }));
    if (!allows(viewer.token!.scope, "admin")) {
      return answer({ ok: false, error: "Commands need an admin token" });
    }
    if (viewer.pending >= MAX_PENDING_COMMANDS) {
      return answer({ ok: false, error: "Too many commands running; wait for their results" });
    }
    const { command, args } = message;
    viewer.pending++;
    try {
      const { commands, server } = this.#host;
      let invocation;
      if (typeof command === "string" && args === undefined) {
        invocation = commands.parseLine(command);
        if (!invocation) throw new CommandError("No command given");
      } else if (
        (typeof command === "string" || Array.isArray(command)) &&
        (args === undefined || (typeof args === "object" && args !== null && !Array.isArray(args)))
      ) {
        invocation = commands.parseJson(
          command as string | string[],
          (args ?? {}) as Record<string, unknown>,
        );
      } else {
        throw new CommandError(
          "command must be a console line, or a command path with args as an object",
        );
      }
      const output = await commands.run(invocation, { server, actor: viewer.token!.name });
      answer({ ok: true, result: output });
    } catch (error) {
      if (error instanceof CommandError) {
        answer({ ok: false, error: error.message });
      } else {
        log.error("Live command {command} failed: {error}", { command, error });
        answer({ ok: false, error: "Internal error; the server log has the details" });
      }
    } finally {
      viewer.pending--;
    }
  }

  #setPositions(viewer: Viewer, on: boolean): void {
    if (viewer.positions === on) return;
    viewer.positions = on;
    this.#subscribed += on ? 1 : -1;
    if (this.#subscribed > 0) this.#startPositions();
    else this.#stopPositions();
  }

  #startPositions(): void {
    if (this.#positionTimer !== undefined || this.#closed) return;
    const period = 1000 / this.#host.positionHz;
    const clock = this.#host.clock;
    let due = clock.now() + period;
    const fire = () => {
      this.#sendPositions();
      const now = clock.now();
      due += period;
      if (due <= now) due = now + period; // after a stall, no burst of catch-up ticks
      this.#positionTimer = this.#subscribed > 0 ? clock.setTimeout(fire, due - now) : undefined;
    };
    this.#positionTimer = clock.setTimeout(fire, period);
  }

  #stopPositions(): void {
    if (this.#positionTimer !== undefined) this.#host.clock.clearTimeout(this.#positionTimer);
    this.#positionTimer = undefined;
  }

  /** One positions message, encoded once and sent as the same string to every subscriber. */
  #sendPositions(): void {
    const poses = this.#host.server.packedPoses();
    // Built as text directly: one string for every subscriber, no intermediate objects.
    let rows = "";
    for (let at = 0; at < poses.length; at += POSE_STRIDE) {
      rows += `${at === 0 ? "" : ","}[${poses[at]},${round(poses[at + 1])},${
        round(poses[at + 2])
      },${round(poses[at + 3])},${round(poses[at + 4])},${round(poses[at + 5])},${
        round(poses[at + 6])
      },${poses[at + 7]},${poses[at + 8]}]`;
    }
    const text = `{"type":"positions","time":${Date.now()},"positions":[${rows}]}`;
    this.positionsEncoded++;
    for (const viewer of this.#viewers) if (viewer.positions) this.#send(viewer, text);
  }

  #broadcastEvent(name: string, payload: object): void {
    if (this.#viewers.size === 0) return;
    const text = JSON.stringify({
      type: "event",
      event: name,
      time: new Date().toISOString(),
      data: eventJson(payload as Record<string, unknown>, liveClient),
    });
    for (const viewer of this.#viewers) if (viewer.token) this.#send(viewer, text);
  }

  #viewersChanged(): void {
    this.#heartbeat();
  }

  /** Sends the viewer count now and schedules the next periodic heartbeat. */
  #heartbeat(): void {
    const clock = this.#host.clock;
    if (this.#heartbeatTimer !== undefined) clock.clearTimeout(this.#heartbeatTimer);
    this.#heartbeatTimer = undefined;
    const viewers = this.viewers;
    if (viewers === 0 || this.#closed) return;
    const text = JSON.stringify({ type: "heartbeat", time: Date.now(), viewers });
    for (const viewer of this.#viewers) if (viewer.token) this.#send(viewer, text);
    this.#heartbeatTimer = clock.setTimeout(() => this.#heartbeat(), LIVE_HEARTBEAT_MS);
  }

  /**
   * Queues a message; a viewer with more than {@linkcode LIVE_MAX_BUFFERED_BYTES} waiting is
   * disconnected instead, so no viewer can make the server buffer without bound or wait.
   */
  #send(viewer: Viewer, text: string): void {
    const socket = viewer.socket;
    if (socket.readyState !== WebSocket.OPEN) return;
    if (socket.bufferedAmount + text.length > LIVE_MAX_BUFFERED_BYTES) {
      this.slowDisconnects++;
      log.info("Live viewer {name} @ {ip} disconnected: too slow", {
        name: viewer.token?.name ?? "-",
        ip: viewer.ip,
      });
      this.#remove(viewer);
      closeSocket(socket, LIVE_CLOSE.tooSlow, "Too slow: messages were piling up");
      return;
    }
    try {
      socket.send(text);
    } catch (error) {
      log.debug("Live send failed: {error}", { error });
    }
  }

  #reject(viewer: Viewer, reason: string, code: number = LIVE_CLOSE.badMessage): void {
    this.#send(viewer, errorMessage(reason));
    this.#remove(viewer);
    closeSocket(viewer.socket, code, reason);
  }

  #remove(viewer: Viewer): void {
    if (!this.#viewers.delete(viewer)) return;
    if (viewer.helloTimer !== undefined) this.#host.clock.clearTimeout(viewer.helloTimer);
    viewer.helloTimer = undefined;
    if (viewer.positions) this.#setPositions(viewer, false);
    if (viewer.token) this.#viewersChanged();
  }
}

function errorMessage(error: string): string {
  return JSON.stringify({ type: "error", error });
}

/**
 * Whole units and degrees are plenty for a map view (a player is 72 units tall), and integers
 * are much cheaper to print than decimals; a float that is not finite becomes 0 (JSON has no NaN).
 */
function round(value: number): number {
  return Number.isFinite(value) ? Math.round(value) : 0;
}

function closeSocket(socket: WebSocket, code: number, reason: string): void {
  try {
    // A close reason is limited to 123 bytes.
    socket.close(code, reason.slice(0, 100));
  } catch {
    // already closing
  }
}

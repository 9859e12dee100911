/**
 * The staleness receivers' worker, as the main thread sees it.
 *
 * Why a worker: staleness is receive time − send time, and the receive time is taken when a
 * client's callback runs. With every client on one event loop, a tick's hundreds of bulk
 * updates arrive together and a receiver's packet waits behind the other clients' callbacks
 * before it is timestamped: several ms at 400 clients, which would count against the server
 * although a real player's game receives in a process of its own. In a worker, the few
 * receivers have an event loop of their own and timestamp their packets as they arrive. They
 * are the same `LoadClient`s as the others; only the thread differs.
 *
 * The main thread drives the worker with requests, each answered once and matched by id:
 *
 * 1. `init`: host, port, rate and time limits;
 * 2. `connect`, once per connect batch, with that batch's receivers, so that they connect
 *    together with the rest of their batch, at their planned point in the sequence;
 * 3. `start`: UPDATEs begin (the warm-up);
 * 4. `measure`: the window opens; the answer lists the receivers still connected;
 * 5. `stop`: the window closes;
 * 6. `disconnect`: the receivers disconnect; the answer is the worker's counters, which the
 *    main thread merges into its own (`LoadStats.merge`);
 *
 * then the main thread terminates the worker. Every request has a time limit. An error in the
 * worker, a message that cannot be read, a failed request or a missed time limit fails the
 * handle: the worker is terminated and every pending and later request rejects with a
 * {@linkcode WorkerFailure} that says what happened.
 *
 * @module
 */
import { DISCONNECT_BATCH } from "./load_client.ts";
import type { ClientPlan } from "./plan.ts";
import type { LoadStatsSnapshot } from "./stats.ts";

/** What every receiver needs besides its plan. */
export interface ReceiverSettings {
  /** Clients in the whole run: the size of the per-client counters. */
  clients: number;
  /** Server address and port. */
  host: string;
  port: number;
  /** Milliseconds between UPDATEs. */
  rateMs: number;
  /** Give up waiting for a connect reply after this long. */
  connectTimeoutMs: number;
}

/** A request from the main thread. */
export type ReceiverRequest =
  | { type: "init"; settings: ReceiverSettings }
  | { type: "connect"; plans: ClientPlan[] }
  | { type: "start" }
  | { type: "measure" }
  | { type: "stop" }
  | { type: "disconnect"; graceMs: number };

/** How one receiver's connect went. */
export interface ReceiverConnectResult {
  /** The client's number. */
  index: number;
  /** Why it could not connect (as counted in the report), or null when it connected. */
  failure: string | null;
}

/** The answer to each request. */
export interface ReceiverReplies {
  init: null;
  connect: ReceiverConnectResult[];
  start: null;
  /** Numbers of the receivers connected and not dropped when the window opened. */
  measure: number[];
  stop: null;
  /** Everything the receivers counted. */
  disconnect: LoadStatsSnapshot;
}

/** A request as posted to the worker. */
export interface ReceiverEnvelope {
  id: number;
  request: ReceiverRequest;
}

/** The worker's answer to the request with the same id. */
export type ReceiverResponse =
  | { id: number; ok: true; reply: ReceiverReplies[keyof ReceiverReplies] }
  | { id: number; ok: false; message: string };

/** The receiver worker failed, did not answer in time, or was terminated. */
export class WorkerFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WorkerFailure";
  }
}

/** How to run the worker; the defaults are for real runs, tests pass a misbehaving module. */
export interface ReceiverWorkerOptions {
  /** The worker module. */
  url?: string | URL;
  /**
   * Time limit of each request, on top of the connect and disconnect time limits those
   * requests have anyway. It also covers loading the module before `init` is answered.
   */
  replyTimeoutMs?: number;
}

const WORKER_MODULE = new URL("./receiver_worker.ts", import.meta.url);
/** Generous: loading the module on a machine busy with a benchmark may take a while. */
const REPLY_TIMEOUT_MS = 10_000;

interface Pending {
  type: ReceiverRequest["type"];
  timer: ReturnType<typeof setTimeout>;
  resolve: (reply: ReceiverReplies[keyof ReceiverReplies]) => void;
  reject: (failure: WorkerFailure) => void;
}

/** The receiver worker. Start one with {@linkcode ReceiverWorker.start}. */
export class ReceiverWorker {
  /**
   * Rejects with the {@linkcode WorkerFailure} as soon as the handle fails (or is
   * terminated), so that a wait with no request pending can end early. Never resolves.
   */
  readonly failed: Promise<never>;
  readonly #rejectFailed: (failure: WorkerFailure) => void;
  readonly #worker: Worker;
  readonly #settings: ReceiverSettings;
  readonly #replyTimeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  #failure: WorkerFailure | undefined;
  /** Receivers connected, to bound the time disconnecting them may take. */
  #connected = 0;

  private constructor(settings: ReceiverSettings, options: ReceiverWorkerOptions) {
    const { promise, reject } = Promise.withResolvers<never>();
    // Nobody may be watching: not an unhandled rejection, the requests report it anyway.
    promise.catch(() => {});
    this.failed = promise;
    this.#rejectFailed = reject;
    this.#settings = settings;
    this.#replyTimeoutMs = options.replyTimeoutMs ?? REPLY_TIMEOUT_MS;
    this.#worker = new Worker(options.url ?? WORKER_MODULE, { type: "module" });
    this.#worker.onmessage = (event: MessageEvent<ReceiverResponse>) => {
      this.#onResponse(event.data);
    };
    this.#worker.onerror = (event: ErrorEvent) => {
      // Handled here, so it fails this handle instead of ending the whole process.
      event.preventDefault();
      const where = event.filename ? ` (${event.filename}:${event.lineno})` : "";
      this.#fail(new WorkerFailure(`The receiver worker failed: ${event.message}${where}`));
    };
    this.#worker.onmessageerror = () => {
      this.#fail(new WorkerFailure("A message from the receiver worker could not be read"));
    };
  }

  /**
   * Starts the worker and hands it the settings.
   *
   * @throws {WorkerFailure} when the worker cannot start or does not answer in time (it is
   *   terminated then)
   */
  static async start(
    settings: ReceiverSettings,
    options: ReceiverWorkerOptions = {},
  ): Promise<ReceiverWorker> {
    const receivers = new ReceiverWorker(settings, options);
    await receivers.#request({ type: "init", settings }, receivers.#replyTimeoutMs);
    return receivers;
  }

  /**
   * Connects `plans` (one batch's receivers) in the worker, all at once, and says how each
   * went. Failures are reasons to count, as with the other clients.
   */
  async connect(plans: ClientPlan[]): Promise<ReceiverConnectResult[]> {
    if (plans.length === 0) return [];
    const timeoutMs = this.#settings.connectTimeoutMs + this.#replyTimeoutMs;
    const results = await this.#request({ type: "connect", plans }, timeoutMs);
    this.#connected += results.filter((result) => result.failure === null).length;
    return results;
  }

  /** Starts the receivers' UPDATEs. */
  async start(): Promise<void> {
    await this.#request({ type: "start" }, this.#replyTimeoutMs);
  }

  /** Opens the measured window; resolves to the receivers running when it opened. */
  measure(): Promise<number[]> {
    return this.#request({ type: "measure" }, this.#replyTimeoutMs);
  }

  /** Closes the measured window. */
  async stop(): Promise<void> {
    await this.#request({ type: "stop" }, this.#replyTimeoutMs);
  }

  /**
   * Disconnects the receivers as `disconnectAll` does (each waits at most
   * `graceMs` for the server) and resolves to what they counted.
   */
  disconnect(graceMs: number): Promise<LoadStatsSnapshot> {
    const batches = Math.ceil(this.#connected / DISCONNECT_BATCH);
    const timeoutMs = batches * graceMs + this.#replyTimeoutMs;
    return this.#request({ type: "disconnect", graceMs }, timeoutMs);
  }

  /**
   * Ends the worker at once, closing whatever sockets it still has; pending requests
   * reject. Safe to call more than once.
   */
  terminate(): void {
    this.#fail(new WorkerFailure("The receiver worker was terminated"));
  }

  #request<T extends ReceiverRequest["type"]>(
    request: ReceiverRequest & { type: T },
    timeoutMs: number,
  ): Promise<ReceiverReplies[T]> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    this.#worker.postMessage({ id, request } satisfies ReceiverEnvelope);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#fail(
          new WorkerFailure(
            `The receiver worker did not answer "${request.type}" within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.#pending.set(id, {
        type: request.type,
        timer,
        // The worker answers each request type with that type's reply (receiver_worker.ts).
        resolve: (reply) => resolve(reply as ReceiverReplies[T]),
        reject,
      });
    });
  }

  #onResponse(response: ReceiverResponse): void {
    const pending = this.#pending.get(response.id);
    if (!pending) return; // answered after a failure: nobody waits for it any more
    if (!response.ok) {
      this.#fail(
        new WorkerFailure(`The receiver worker failed at "${pending.type}": ${response.message}`),
      );
      return;
    }
    this.#pending.delete(response.id);
    clearTimeout(pending.timer);
    pending.resolve(response.reply);
  }

  /** Keeps the first failure, terminates the worker and rejects everything pending. */
  #fail(failure: WorkerFailure): void {
    this.#failure ??= failure;
    this.#rejectFailed(this.#failure);
    this.#worker.terminate();
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(this.#failure);
    }
    this.#pending.clear();
  }
}

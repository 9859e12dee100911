/**
 * The SQLite store: admin state that survives restarts (bans, whitelist, accept flags,
 * countdown settings) and the event history. It is one more listener of the server's events;
 * the server knows nothing about it.
 *
 * @module
 */
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { dirname } from "node:path";
import { getLogger } from "@logtape/logtape";
import { type Clock, systemClock, type TimerId } from "../clock.ts";
import type { GhostServer } from "../server/server.ts";
import type { Actor, GhostServerEvents } from "../server/events.ts";
import type { ClientInfo } from "../server/client.ts";
import type { CountdownOptions } from "../server/countdown.ts";
import type { Unsubscribe } from "../server/emitter.ts";
import { MIGRATIONS, SCHEMA_VERSION } from "./migrations.ts";

const log = getLogger(["ghosting", "storage"]);

/** The actor of the admin state a store puts back at start. */
export const STORAGE_ACTOR: Actor = "storage";

/** History rows waiting to be written; past this, new rows are counted and dropped. */
const MAX_QUEUED_ROWS = 10_000;
/** Rows written per batch, so one flush stays short (a few ms) even after a burst. */
const MAX_ROWS_PER_FLUSH = 500;
/** How soon the next batch follows when rows are still waiting. */
const BACKLOG_FLUSH_MS = 100;
/** Rows deleted per pruning step, for the same reason. */
const PRUNE_BATCH_ROWS = 5_000;
/** How often the write-ahead log's size is looked at. */
const CHECKPOINT_INTERVAL_MS = 10_000;
/** A log this large is copied into the database file (SQLite's own threshold is 4 MiB). */
const CHECKPOINT_WAL_BYTES = 1024 * 1024;
/** Longest chat or server message stored; SAR's chat is far shorter. */
const MAX_STORED_TEXT = 512;
const DAY_MS = 24 * 60 * 60 * 1000;
/** How long after the server's row of a finish a plugin's report of it merges into that row. */
const FINISH_MATCH_MS = 60_000;

/**
 * The database cannot be used: the message names `[storage] path`, what is wrong and the fix,
 * and is meant to be shown to the operator as is.
 *
 * @example
 * ```ts
 * import { Storage, StorageError } from "./mod.ts";
 *
 * try {
 *   await Storage.open("/proc/ghosting.db").close();
 * } catch (error) {
 *   if (!(error instanceof StorageError)) throw error;
 *   console.error(error.message);
 * }
 * ```
 */
export class StorageError extends Error {
  /** Creates an error whose message is shown to the operator unchanged. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StorageError";
  }
}

/** How a {@linkcode Storage} behaves; every field has a default. */
export interface StorageOptions {
  /** Days of history kept; 0 keeps everything. Default 30. */
  historyDays?: number;
  /** Wall-clock time in ms since the epoch (stored timestamps). Default `Date.now`. */
  now?: () => number;
  /** Timers for batched writes and pruning. Default the system clock. */
  clock?: Clock;
  /** How often queued history rows are written. Default 1000 ms. */
  flushIntervalMs?: number;
  /** How often old history is pruned. Default one hour. */
  pruneIntervalMs?: number;
}

/** A ban as stored: who banned which IP, when and why. */
export interface BanRecord {
  /** The banned IP (canonical form). */
  ip: string;
  /** The message given with the ban, if any. */
  reason: string | null;
  /** When it was banned (ISO 8601). */
  time: string;
  /** Who banned it (`console`, `api`, a plugin name, `server`). */
  actor: string;
}

/** The admin state a store holds, as put back into a server at start. */
export interface StoredState {
  /** Banned IPs. */
  bans: BanRecord[];
  /** Whitelist on/off and entries. */
  whitelist: { enabled: boolean; names: string[]; ips: string[] };
  /** Accept flags, or undefined when never changed. */
  accepting?: { players: boolean; spectators: boolean };
  /** Countdown settings, or undefined when never changed (then `[countdown]` applies). */
  countdown?: Required<CountdownOptions>;
}

/**
 * Kinds of history rows: `connect`, `disconnect` (detail: reason, actor), `chat`, `map`,
 * `finish` (detail: the time SAR sent), `countdown`, `ban`, `unban`, `whitelist`,
 * `accepting`, `countdown_settings`, `server_message`.
 */
export type HistoryType =
  | "connect"
  | "disconnect"
  | "chat"
  | "map"
  | "finish"
  | "countdown"
  | "ban"
  | "unban"
  | "whitelist"
  | "accepting"
  | "countdown_settings"
  | "server_message";

/** Every {@linkcode HistoryType}, for validating queries. */
export const HISTORY_TYPES: readonly HistoryType[] = [
  "connect",
  "disconnect",
  "chat",
  "map",
  "finish",
  "countdown",
  "ban",
  "unban",
  "whitelist",
  "accepting",
  "countdown_settings",
  "server_message",
];

/** One history row. */
export interface HistoryEntry {
  /** Increasing row id (a cursor for paging). */
  id: number;
  /** When it happened (ISO 8601). */
  time: string;
  /** What happened. */
  type: HistoryType;
  /**
   * The player concerned, when one is (id and IP are null for a finish a plugin recorded
   * for a player the server did not report).
   */
  player: { id: number | null; name: string; ip: string | null } | null;
  /** The IP concerned: the player's, or the one banned or unbanned. */
  ip: string | null;
  /** The map, for `map`, `finish`, and where known. */
  map: string | null;
  /** Who acted, for admin actions. */
  actor: string | null;
  /** The rest, by type: chat text, disconnect reason, countdown settings, … */
  detail: unknown;
}

/** Which history rows {@linkcode Storage.history} returns; newest first. */
export interface HistoryQuery {
  /** At most this many rows (1–1000). Default 50. */
  limit?: number;
  /** Rows skipped from the newest. Default 0. */
  offset?: number;
  /** Only rows with a smaller id: the id of the last row of the previous page (a cursor). */
  before?: number;
  /** Only rows of these types. */
  type?: HistoryType | readonly HistoryType[];
  /** Only rows about a player with exactly this name. */
  player?: string;
  /** Only rows of admin actions by exactly this actor (`console`, a token's name, a plugin). */
  actor?: string;
  /** Only rows at or after this time (a Date, ms since the epoch, or ISO 8601 text). */
  since?: Date | number | string;
}

/** A finish as stored. */
export interface FinishRecord {
  /** When the finish was reported (ISO 8601). */
  time: string;
  /** The player, as it was then (id and IP null when a plugin recorded it alone). */
  player: { id: number | null; name: string; ip: string | null };
  /** The map the player was on. */
  map: string;
  /** The time SAR reported, as sent. */
  finishTime: string;
  /** The place in a race, when a plugin (race helper) recorded it; otherwise null. */
  place: number | null;
}

/**
 * A finish a plugin reports ({@linkcode Storage.recordFinish}): the player's name, the map,
 * SAR's time text and, for a race, the place. It is stored at the time it is reported (rows
 * stay in time order).
 */
export interface ReportedFinish {
  /** The map the run finished on. */
  map: string;
  /** The player's name. */
  name: string;
  /** SAR's time text. */
  time: string;
  /** 1 for the first to finish a race, 2 for the next, … */
  place?: number;
}

/** The stored detail of a finish: SAR's text alone, or with the place a plugin reported. */
function finishDetail(detail: string | null): { time: string; place: number | null } {
  if (detail === null) return { time: "", place: null };
  const value = JSON.parse(detail) as string | { time: string; place?: number };
  return typeof value === "string"
    ? { time: value, place: null }
    : { time: value.time, place: value.place ?? null };
}

/** What a history row is made of, before it is queued. */
interface RecordFields {
  client?: ClientInfo;
  ip?: string;
  map?: string;
  actor?: Actor;
  detail?: unknown;
}

interface Row {
  time: number;
  type: HistoryType;
  playerId: number | null;
  playerName: string | null;
  ip: string | null;
  map: string | null;
  actor: string | null;
  detail: string | null;
}

function clip(text: string): string {
  return text.length > MAX_STORED_TEXT ? `${text.slice(0, MAX_STORED_TEXT)}…` : text;
}

/** Explains an SQLite failure to the operator, naming the key and the fix. */
function explain(path: string, error: unknown): StorageError {
  const message = error instanceof Error ? error.message : String(error);
  const where = `[storage] path "${path}"`;
  let fix: string;
  if (/not a database|malformed|corrupt/i.test(message)) {
    fix =
      "the file is not a usable SQLite database: move it aside (the server then starts with an empty one) or restore a backup";
  } else if (/readonly|read-only|permission|access|unable to open|NotCapable/i.test(message)) {
    fix =
      "the server cannot write there: make the file and its directory writable by the server's user, or set [storage] path (or --data) to a writable place";
  } else {
    fix = "check the file, or set [storage] path (or --data) to another place";
  }
  return new StorageError(`${where}: ${message}; ${fix}`, { cause: error });
}

/**
 * Bans, whitelist, accept flags, countdown settings and the event history, in one SQLite file
 * (WAL mode). Admin changes are committed as they happen, so one made just before a crash is
 * there after restart; history rows are queued and written in batches off the server's loops.
 *
 * @example
 * ```ts
 * import { GhostServer } from "../server/mod.ts";
 * import { Storage } from "./mod.ts";
 *
 * const storage = Storage.open(await Deno.makeTempFile({ suffix: ".db" }), { historyDays: 7 });
 * const server = new GhostServer({ port: 0 });
 * storage.attach(server); // puts back the stored bans, whitelist, …, then records changes
 * await server.start();
 * server.ban({ ip: "203.0.113.7" }, "griefing", "console");
 * console.log(storage.bans()); // [{ ip: "203.0.113.7", reason: "griefing", actor: "console", … }]
 * await server.stop();
 * await storage.close();
 * ```
 */
export class Storage {
  /** The database file. */
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #now: () => number;
  readonly #clock: Clock;
  readonly #historyMs: number;
  readonly #flushIntervalMs: number;
  readonly #pruneIntervalMs: number;
  readonly #insertHistory: StatementSync;
  #queue: Row[] = [];
  #droppedRows = 0;
  #flushTimer: TimerId | undefined;
  #pruneTimer: TimerId | undefined;
  #detach: Unsubscribe | undefined;
  #closed = false;
  /** The checkpoint under way, if any. */
  #checkpointer: { worker: Worker; done: Promise<void> } | undefined;
  #checkpointTimer: TimerId | undefined;

  private constructor(path: string, db: DatabaseSync, options: StorageOptions) {
    this.path = path;
    this.#db = db;
    this.#now = options.now ?? Date.now;
    this.#clock = options.clock ?? systemClock;
    const days = options.historyDays ?? 30;
    if (!Number.isInteger(days) || days < 0) {
      throw new RangeError(`historyDays must be a whole number of days, got ${days}`);
    }
    this.#historyMs = days * DAY_MS;
    this.#flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.#pruneIntervalMs = options.pruneIntervalMs ?? 60 * 60 * 1000;
    this.#insertHistory = db.prepare(
      `INSERT INTO history (time, type, player_id, player_name, ip, map, actor, detail)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  /**
   * Opens (creating it and its directory when missing) and migrates the database at `path`.
   * Needs read and write permission for the file's directory.
   *
   * @throws {StorageError} when the file cannot be created, opened or migrated; the message
   *   names `[storage] path` and the fix
   */
  static open(path: string, options: StorageOptions = {}): Storage {
    let db: DatabaseSync | undefined;
    try {
      try {
        if (Deno.statSync(path).isDirectory) {
          throw new StorageError(
            `[storage] path "${path}" is a directory; name a file, e.g. "${path}/ghosting.db"`,
          );
        }
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
        Deno.mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      }
      db = new DatabaseSync(path);
      db.exec("PRAGMA busy_timeout = 2000");
      const mode = db.prepare("PRAGMA journal_mode = WAL").get() as { journal_mode: string };
      if (mode.journal_mode !== "wal") {
        throw new Error(`the database refused WAL mode (${mode.journal_mode})`);
      }
      // WAL with NORMAL: a commit survives a crash of the process (kill -9) without an fsync
      // per history batch; admin changes are made FULL (see #durably), power cuts included.
      db.exec("PRAGMA synchronous = NORMAL");
      migrate(db, path);
      const storage = new Storage(path, db, options);
      storage.#startCheckpointer();
      storage.#schedulePrune(0);
      return storage;
    } catch (error) {
      try {
        db?.close();
      } catch {
        // Already failing; the first error is the one to report.
      }
      if (error instanceof StorageError || error instanceof RangeError) throw error;
      throw explain(path, error);
    }
  }

  /**
   * A commit that triggers SQLite's automatic checkpoint pays for copying the log and an
   * fsync (10–30 ms measured): too long for the 50 ms loop. So the server's connection never
   * checkpoints; when the log has grown, a short-lived worker's connection does it and ends.
   * A worker lives only for that (a resident one costs about 19 MiB of memory for a task that
   * runs rarely). Without workers, SQLite's automatic checkpoints stay on.
   */
  #startCheckpointer(): void {
    if (typeof Worker !== "function") {
      log.warn("Checkpoints stay on the server's thread: workers are not available");
      return;
    }
    this.#db.exec("PRAGMA wal_autocheckpoint = 0");
    const tick = () => {
      this.#checkpointTimer = this.#clock.setTimeout(() => {
        this.#checkpointTimer = undefined;
        if (this.#closed) return;
        if (!this.#checkpointer && this.#walBytes() >= CHECKPOINT_WAL_BYTES) this.#checkpoint();
        tick();
      }, CHECKPOINT_INTERVAL_MS);
    };
    tick();
  }

  /** Bytes in the write-ahead log (0 when there is none). */
  #walBytes(): number {
    try {
      return Deno.statSync(`${this.path}-wal`).size;
    } catch {
      return 0;
    }
  }

  /** Starts a worker that checkpoints once and ends; `#checkpointer` is set while it runs. */
  #checkpoint(): void {
    let worker: Worker;
    try {
      worker = new Worker(new URL("./checkpoint_worker.ts", import.meta.url), { type: "module" });
    } catch (error) {
      this.#checkpointsOnThisThread(String(error));
      return;
    }
    const done = Promise.withResolvers<void>();
    const finish = () => {
      worker.terminate();
      if (this.#checkpointer?.worker === worker) this.#checkpointer = undefined;
      done.resolve();
    };
    worker.onmessage = ({ data }: MessageEvent) => {
      if (data?.error) {
        log.warn("Checkpointing {path} failed: {error}", { path: this.path, ...data });
      } else {
        log.debug("Checkpoint of {path}: {result}", {
          path: this.path,
          result: data?.checkpointed,
        });
      }
      finish();
    };
    worker.onerror = (event) => {
      event.preventDefault();
      finish();
      this.#checkpointsOnThisThread(event.message);
    };
    worker.postMessage({ path: this.path });
    this.#checkpointer = { worker, done: done.promise };
  }

  /** Workers fail here: let SQLite checkpoint in the server's own commits, as by default. */
  #checkpointsOnThisThread(error: string): void {
    log.warn("The checkpoint worker failed ({error}); checkpoints return to the server's thread", {
      error,
    });
    if (this.#checkpointTimer !== undefined) this.#clock.clearTimeout(this.#checkpointTimer);
    this.#checkpointTimer = undefined;
    if (!this.#closed) this.#db.exec("PRAGMA wal_autocheckpoint = 1000");
  }

  /** Stops looking at the log, and waits (up to 2 s) for a checkpoint under way. */
  async #closeCheckpointer(): Promise<void> {
    if (this.#checkpointTimer !== undefined) this.#clock.clearTimeout(this.#checkpointTimer);
    this.#checkpointTimer = undefined;
    const running = this.#checkpointer;
    if (!running) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      running.done,
      new Promise<void>((resolve) => timer = setTimeout(resolve, 2000)),
    ]);
    clearTimeout(timer);
    running.worker.terminate();
    this.#checkpointer = undefined;
  }

  /** The schema version of the open database. */
  get version(): number {
    return (this.#db.prepare("PRAGMA user_version").get() as { user_version: number })
      .user_version;
  }

  /** The stored admin state. */
  state(): StoredState {
    const whitelist = {
      enabled: this.#setting("whitelist_enabled") === true,
      names: [] as string[],
      ips: [] as string[],
    };
    for (const row of this.#db.prepare("SELECT kind, value FROM whitelist ORDER BY rowid").all()) {
      const { kind, value } = row as { kind: string; value: string };
      (kind === "name" ? whitelist.names : whitelist.ips).push(value);
    }
    const state: StoredState = { bans: this.bans(), whitelist };
    const accepting = this.#setting("accepting");
    if (accepting) state.accepting = accepting as StoredState["accepting"];
    const countdown = this.#setting("countdown");
    if (countdown) state.countdown = countdown as StoredState["countdown"];
    return state;
  }

  /** Banned IPs with reason, time and actor, oldest first. */
  bans(): BanRecord[] {
    return this.#db.prepare("SELECT ip, reason, banned_at, actor FROM bans ORDER BY banned_at")
      .all().map((row) => {
        const { ip, reason, banned_at, actor } = row as {
          ip: string;
          reason: string | null;
          banned_at: number;
          actor: string;
        };
        return { ip, reason, time: new Date(banned_at).toISOString(), actor };
      });
  }

  /**
   * Puts the stored admin state back into `server` (before it starts), then records its admin
   * changes and history until the returned function is called or the store closes.
   *
   * @throws {Error} when already attached to a server
   */
  attach(server: GhostServer): Unsubscribe {
    if (this.#detach) throw new Error("This storage is already attached to a server");
    const state = this.state();
    for (const ban of state.bans) {
      server.ban({ ip: ban.ip }, ban.reason ?? undefined, STORAGE_ACTOR);
    }
    for (const name of state.whitelist.names) server.whitelistAdd({ name }, STORAGE_ACTOR);
    for (const ip of state.whitelist.ips) server.whitelistAdd({ ip }, STORAGE_ACTOR);
    server.setWhitelistEnabled(state.whitelist.enabled, STORAGE_ACTOR);
    if (state.accepting) server.setAccepting(state.accepting, STORAGE_ACTOR);
    if (state.countdown) server.setCountdownSettings(state.countdown, STORAGE_ACTOR);
    const offs = this.#listen(server);
    const detach = () => {
      for (const off of offs) off();
      if (this.#detach === detach) this.#detach = undefined;
    };
    this.#detach = detach;
    return detach;
  }

  #listen(server: GhostServer): Unsubscribe[] {
    const on = <K extends keyof GhostServerEvents>(
      type: K,
      listener: (event: GhostServerEvents[K]) => void,
    ) => server.on(type, listener);
    const db = this.#db;
    const now = this.#now;
    return [
      // Admin state: committed at once (each statement is its own transaction).
      on("ban", ({ ip, actor, message }) => {
        this.#durably(() =>
          db.prepare(
            "INSERT OR REPLACE INTO bans (ip, reason, banned_at, actor) VALUES (?, ?, ?, ?)",
          ).run(ip, message ?? null, now(), actor)
        );
        this.#recordNow("ban", { ip, actor, detail: message ?? null });
      }),
      on("unban", ({ ip, actor }) => {
        this.#durably(() => db.prepare("DELETE FROM bans WHERE ip = ?").run(ip));
        this.#recordNow("unban", { ip, actor });
      }),
      on("whitelistChange", (event) => {
        if (!("entry" in event)) {
          this.#setSetting("whitelist_enabled", event.action === "enable");
          this.#recordNow("whitelist", { actor: event.actor, detail: { action: event.action } });
          return;
        }
        const kind = "name" in event.entry ? "name" : "ip";
        const value = "name" in event.entry ? event.entry.name : event.entry.ip;
        this.#durably(() => {
          if (event.action === "add") {
            db.prepare(
              "INSERT OR IGNORE INTO whitelist (kind, value, added_at, actor) VALUES (?, ?, ?, ?)",
            ).run(kind, value, now(), event.actor);
          } else {
            db.prepare("DELETE FROM whitelist WHERE kind = ? AND value = ?").run(kind, value);
          }
        });
        this.#recordNow("whitelist", {
          actor: event.actor,
          detail: { action: event.action, [kind]: value },
        });
      }),
      on("acceptingChange", ({ players, spectators, cause, actor }) => {
        this.#setSetting("accepting", { players, spectators });
        this.#recordNow("accepting", { actor, detail: { players, spectators, cause } });
      }),
      on("countdownSettingsChange", ({ settings, actor }) => {
        this.#setSetting("countdown", settings);
        this.#recordNow("countdown_settings", { actor, detail: settings });
      }),
      // History only: queued, written in batches.
      on("connect", ({ client }) => {
        this.#record("connect", { client, detail: { spectator: client.spectator } });
      }),
      on("disconnect", ({ client, reason, actor }) => {
        this.#record("disconnect", { client, actor, detail: { reason } });
      }),
      on("message", ({ client, text }) => this.#record("chat", { client, detail: clip(text) })),
      on("mapChange", ({ client, map, ticks, ticksTotal }) => {
        this.#record("map", {
          client,
          map,
          detail: ticks === undefined ? null : { ticks, ticksTotal },
        });
      }),
      on("speedrunFinish", ({ client, time }) => {
        this.#record("finish", { client, detail: clip(time) });
      }),
      on("countdown", ({ delay, preCommands, postCommands, actor }) => {
        this.#record("countdown", { actor, detail: { delay, preCommands, postCommands } });
      }),
      on("serverMessage", ({ text, actor, to }) => {
        this.#record("server_message", { client: to, actor, detail: clip(text) });
      }),
    ];
  }

  /** Runs an admin state write with a full fsync, so that it survives a power cut too. */
  #durably(write: () => void): void {
    this.#db.exec("PRAGMA synchronous = FULL");
    try {
      write();
    } finally {
      this.#db.exec("PRAGMA synchronous = NORMAL");
    }
  }

  #setting(key: string): unknown {
    const row = this.#db.prepare("SELECT value FROM settings WHERE key = ?").get(key) as
      | { value: string }
      | undefined;
    return row ? JSON.parse(row.value) : undefined;
  }

  #setSetting(key: string, value: unknown): void {
    this.#durably(() =>
      this.#db.prepare("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)")
        .run(key, JSON.stringify(value))
    );
  }

  /** Records an admin action: queued behind earlier rows, then written with them at once. */
  #recordNow(type: HistoryType, fields: RecordFields): void {
    this.#record(type, fields);
    this.#flushSafely();
  }

  #record(type: HistoryType, fields: RecordFields): void {
    if (this.#closed) return;
    if (this.#queue.length >= MAX_QUEUED_ROWS) {
      this.#droppedRows++;
      return;
    }
    const client = fields.client;
    this.#queue.push({
      time: this.#now(),
      type,
      playerId: client?.id ?? null,
      // Names and maps come from players: bounded like chat.
      playerName: client ? clip(client.name) : null,
      ip: client?.ip ?? fields.ip ?? null,
      map: fields.map !== undefined ? clip(fields.map) : client?.map ? clip(client.map) : null,
      actor: fields.actor ?? null,
      detail: fields.detail === undefined || fields.detail === null
        ? null
        : JSON.stringify(fields.detail),
    });
    if (this.#flushTimer === undefined) {
      this.#flushTimer = this.#clock.setTimeout(() => {
        this.#flushTimer = undefined;
        this.#flushSafely();
      }, this.#flushIntervalMs);
    }
  }

  /** Writes every queued row (before a query, so that its answer is current). */
  #flushAll(): void {
    try {
      while (this.#queue.length > 0) this.flush();
    } catch (error) {
      log.error("Writing history to {path} failed: {error}", { path: this.path, error });
    }
  }

  #flushSafely(): void {
    try {
      this.flush();
    } catch (error) {
      log.error("Writing history to {path} failed: {error}", { path: this.path, error });
    }
  }

  /**
   * Writes queued history rows now, in one transaction (at most a bounded batch; the rest at
   * the next flush). Returns the number written.
   */
  flush(): number {
    if (this.#queue.length === 0) return 0;
    const batch = this.#queue.length > MAX_ROWS_PER_FLUSH
      ? this.#queue.splice(0, MAX_ROWS_PER_FLUSH)
      : this.#queue.splice(0);
    const db = this.#db;
    db.exec("BEGIN");
    try {
      for (const row of batch) {
        this.#insertHistory.run(
          row.time,
          row.type,
          row.playerId,
          row.playerName,
          row.ip,
          row.map,
          row.actor,
          row.detail,
        );
      }
      db.exec("COMMIT");
    } catch (error) {
      db.exec("ROLLBACK");
      throw error;
    }
    if (this.#droppedRows > 0) {
      log.warn("{count} history rows were dropped: more than {max} were waiting to be written", {
        count: this.#droppedRows,
        max: MAX_QUEUED_ROWS,
      });
      this.#droppedRows = 0;
    }
    if (this.#queue.length > 0 && this.#flushTimer === undefined && !this.#closed) {
      this.#flushTimer = this.#clock.setTimeout(() => {
        this.#flushTimer = undefined;
        this.#flushSafely();
      }, Math.min(BACKLOG_FLUSH_MS, this.#flushIntervalMs));
    }
    return batch.length;
  }

  /**
   * Deletes one batch of history older than `history_days`; returns the rows deleted. The
   * store calls it in the background (at start, then hourly, in batches).
   */
  prune(): number {
    if (this.#historyMs === 0) return 0;
    const cutoff = this.#now() - this.#historyMs;
    const result = this.#db.prepare(
      // By time, so the time index finds the batch (by id, SQLite walked the whole table to
      // find nothing: 35 ms per million rows, hourly, on the server's thread).
      "DELETE FROM history WHERE id IN (SELECT id FROM history WHERE time < ? ORDER BY time LIMIT ?)",
    ).run(cutoff, PRUNE_BATCH_ROWS);
    return Number(result.changes);
  }

  #schedulePrune(delayMs: number): void {
    if (this.#closed || this.#historyMs === 0) return;
    this.#pruneTimer = this.#clock.setTimeout(() => {
      this.#pruneTimer = undefined;
      let deleted = 0;
      try {
        deleted = this.prune();
        if (deleted > 0) log.debug("Pruned {count} old history rows", { count: deleted });
      } catch (error) {
        log.error("Pruning history in {path} failed: {error}", { path: this.path, error });
      }
      // A full batch means more is waiting: continue soon, letting the loops run in between.
      this.#schedulePrune(deleted === PRUNE_BATCH_ROWS ? 100 : this.#pruneIntervalMs);
    }, delayMs);
  }

  /**
   * History rows, newest first (queued rows are written first, so the answer is current).
   *
   * @throws {RangeError} for a limit, offset or time out of range
   * @throws {TypeError} for an unknown type
   */
  history(query: HistoryQuery = {}): HistoryEntry[] {
    const limit = query.limit ?? 50;
    const offset = query.offset ?? 0;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new RangeError(`limit must be from 1 to 1000, got ${limit}`);
    }
    if (!Number.isInteger(offset) || offset < 0) {
      throw new RangeError(`offset must be a whole number, got ${offset}`);
    }
    const where: string[] = [];
    const params: SQLInputValue[] = [];
    if (query.type !== undefined) {
      const types = typeof query.type === "string" ? [query.type] : [...query.type];
      for (const type of types) {
        if (!HISTORY_TYPES.includes(type)) {
          throw new TypeError(
            `Unknown history type "${type}"; known types are ${HISTORY_TYPES.join(", ")}`,
          );
        }
      }
      where.push(`type IN (${types.map(() => "?").join(", ")})`);
      params.push(...types);
    }
    if (query.before !== undefined) {
      if (!Number.isSafeInteger(query.before) || query.before < 1) {
        throw new RangeError(
          `before must be a row id (a positive whole number), got ${query.before}`,
        );
      }
      where.push("id < ?");
      params.push(query.before);
    }
    if (query.player !== undefined) {
      where.push("player_name = ?");
      params.push(query.player);
    }
    if (query.actor !== undefined) {
      where.push("actor = ?");
      params.push(query.actor);
    }
    if (query.since !== undefined) {
      const since = new Date(query.since).getTime();
      if (Number.isNaN(since)) throw new RangeError(`since is not a time: ${query.since}`);
      where.push("time >= ?");
      params.push(since);
    }
    this.#flushAll();
    const sql = `SELECT * FROM history ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY id DESC LIMIT ? OFFSET ?`;
    return this.#db.prepare(sql).all(...params, limit, offset).map((row) => {
      const r = row as {
        id: number;
        time: number;
        type: HistoryType;
        player_id: number | null;
        player_name: string | null;
        ip: string | null;
        map: string | null;
        actor: string | null;
        detail: string | null;
      };
      return {
        id: r.id,
        time: new Date(r.time).toISOString(),
        type: r.type,
        player: r.player_name === null
          ? null
          : { id: r.player_id, name: r.player_name, ip: r.player_id === null ? null : r.ip },
        ip: r.ip,
        map: r.map,
        actor: r.actor,
        detail: r.detail === null ? null : JSON.parse(r.detail),
      };
    });
  }

  /**
   * Finishes, newest first, on one map or on every map.
   *
   * @throws {RangeError} for a limit out of 1–1000
   */
  finishes(map?: string, limit = 100): FinishRecord[] {
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new RangeError(`limit must be from 1 to 1000, got ${limit}`);
    }
    this.#flushAll();
    const rows = map === undefined
      ? this.#db.prepare(
        "SELECT * FROM history WHERE type = 'finish' ORDER BY id DESC LIMIT ?",
      ).all(limit)
      : this.#db.prepare(
        "SELECT * FROM history WHERE type = 'finish' AND map = ? ORDER BY id DESC LIMIT ?",
      ).all(map, limit);
    return rows.map((row) => {
      const r = row as {
        time: number;
        player_id: number | null;
        player_name: string;
        ip: string | null;
        map: string | null;
        detail: string | null;
      };
      const { time, place } = finishDetail(r.detail);
      return {
        time: new Date(r.time).toISOString(),
        player: { id: r.player_id, name: r.player_name, ip: r.ip },
        map: r.map ?? "",
        finishTime: time,
        place,
      };
    });
  }

  /**
   * Stores a finish a plugin reports (the race helper's placings). The server's own record of
   * the same run (same name, map and time text, within the last minute, no place yet) gets the
   * place instead of a second row, so `finishes` lists each run once; a finish the server did
   * not report is stored as a new row.
   *
   * @param actor who reports it (the plugin), stored with the row
   * @throws {TypeError} for a missing map, name or time
   * @throws {RangeError} for a place that is not a positive whole number
   */
  recordFinish(finish: ReportedFinish, actor: Actor): void {
    for (const key of ["map", "name", "time"] as const) {
      if (typeof finish[key] !== "string" || finish[key].length === 0) {
        throw new TypeError(`A finish needs a ${key} (text), got ${JSON.stringify(finish[key])}`);
      }
    }
    const place = finish.place;
    if (place !== undefined && (!Number.isInteger(place) || place < 1 || place > 1_000_000)) {
      throw new RangeError(`place must be a positive whole number, got ${place}`);
    }
    if (this.#closed) return;
    const now = this.#now();
    const map = clip(finish.map);
    const name = clip(finish.name);
    const time = clip(finish.time);
    const detail = JSON.stringify(place === undefined ? time : { time, place });
    this.#flushAll(); // the server's row may still be queued
    // Rows are stored in time order: the first row of the last minute bounds the search, so a
    // finish nobody recorded costs an index lookup, not a walk through the map's every finish.
    const since = now - FINISH_MATCH_MS;
    const same = this.#db.prepare(
      `SELECT id FROM history WHERE type = 'finish' AND map = ? AND player_name = ? AND detail = ?
       AND time >= ? AND id >= (SELECT id FROM history WHERE time >= ? ORDER BY time LIMIT 1)
       ORDER BY id DESC LIMIT 1`,
    ).get(map, name, JSON.stringify(time), since, since) as { id: number } | undefined;
    if (same) {
      if (place === undefined) return; // nothing to add
      this.#db.prepare("UPDATE history SET detail = ?, actor = ? WHERE id = ?")
        .run(detail, actor, same.id);
      return;
    }
    this.#insertHistory.run(now, "finish", null, name, null, map, actor, detail);
  }

  /**
   * Stops listening, writes what is queued, lets the checkpoint worker finish and closes the
   * database. Safe to call twice.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#detach?.();
    if (this.#flushTimer !== undefined) this.#clock.clearTimeout(this.#flushTimer);
    if (this.#pruneTimer !== undefined) this.#clock.clearTimeout(this.#pruneTimer);
    this.#flushTimer = this.#pruneTimer = undefined;
    this.#flushAll();
    this.#closed = true;
    await this.#closeCheckpointer();
    try {
      // Leave a compact file behind: the log copied in and truncated.
      this.#db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    } catch (error) {
      log.warn("Checkpointing {path} at close failed: {error}", { path: this.path, error });
    }
    this.#db.close();
  }
}

function migrate(db: DatabaseSync, path: string): void {
  const version = (db.prepare("PRAGMA user_version").get() as { user_version: number })
    .user_version;
  if (version > SCHEMA_VERSION) {
    throw new StorageError(
      `[storage] path "${path}": the database has schema version ${version}, newer than this server's ${SCHEMA_VERSION}; run a newer ghosting, or move the file aside`,
    );
  }
  for (let index = version; index < SCHEMA_VERSION; index++) {
    db.exec("BEGIN");
    try {
      db.exec(MIGRATIONS[index].sql);
      db.exec(`PRAGMA user_version = ${index + 1}`);
      db.exec("COMMIT");
    } catch (error) {
      db.exec("ROLLBACK");
      throw new Error(
        `migration ${index + 1} (${MIGRATIONS[index].name}) failed: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
  // A new database is created at the current version: nothing to tell.
  if (version > 0 && version < SCHEMA_VERSION) {
    log.info("Database migrated from schema version {from} to {to}", {
      from: version,
      to: SCHEMA_VERSION,
    });
  }
}

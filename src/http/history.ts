/**
 * Where `/api/v1/history` and `/api/v1/finishes` read from: a small interface that the storage
 * layer implements, and an in-memory implementation that records the server's events.
 *
 * @module
 */
import type { ClientInfo } from "../server/client.ts";
import type { GhostServerEvents } from "../server/events.ts";
import type { GhostServer } from "../server/server.ts";

/**
 * One recorded event.
 *
 * @example
 * ```ts
 * import type { HistoryEntry } from "@ghosting/server";
 *
 * const entry: HistoryEntry = {
 *   id: 1,
 *   time: "2026-01-01T00:00:00.000Z",
 *   type: "ban",
 *   actor: "panel",
 *   data: { ip: "203.0.113.7" },
 * };
 * console.log(entry.type);
 * ```
 */
export interface HistoryEntry {
  /** Increasing with time; pages are cut by id. */
  id: number;
  /** When it happened (ISO 8601). */
  time: string;
  /** The server event's name (`connect`, `ban`, …). */
  type: string;
  /** Who caused it, for admin events. */
  actor?: string;
  /** The player concerned, when there is one. */
  player?: string;
  /** The event's payload as JSON. */
  data: Record<string, unknown>;
}

/**
 * A page request: newest first, at most `limit` entries with an id below `before`.
 *
 * @example
 * ```ts
 * import type { HistoryQuery } from "@ghosting/server";
 *
 * const bansByPanel: HistoryQuery = { limit: 20, type: "ban", actor: "panel" };
 * console.log(bansByPanel.limit);
 * ```
 */
export interface HistoryQuery {
  /** Entries per page (1–500). */
  limit: number;
  /** Only entries with a smaller id: the `next` of the previous page. */
  before?: number;
  /** Only events of this type. */
  type?: string;
  /** Only events caused by this actor. */
  actor?: string;
  /** Only events concerning a player of this name. */
  player?: string;
}

/**
 * One finished run.
 *
 * @example
 * ```ts
 * import type { FinishEntry } from "@ghosting/server";
 *
 * const finish: FinishEntry = { time: "2026-01-01T00:00:00.000Z", map: "sp_a1_intro1", player: "Alice", runTime: "12.345" };
 * console.log(finish.runTime);
 * ```
 */
export interface FinishEntry {
  /** When the run finished (ISO 8601). */
  time: string;
  /** The map the player was on. */
  map: string;
  /** The player's name. */
  player: string;
  /** The time SAR reported, as sent. */
  runTime: string;
}

/**
 * What the history routes need: the storage layer implements it; {@linkcode MemoryHistory}
 * is the in-memory stand-in.
 *
 * @example
 * ```ts
 * import type { HistorySource } from "@ghosting/server";
 *
 * const empty: HistorySource = {
 *   history: () => ({ entries: [] }),
 *   finishes: () => [],
 * };
 * console.log(await empty.history({ limit: 10 }));
 * ```
 */
export interface HistorySource {
  /** A page of events, newest first; `next` is the `before` of the following page, if any. */
  history(
    query: HistoryQuery,
  ):
    | { entries: HistoryEntry[]; next?: number }
    | Promise<{ entries: HistoryEntry[]; next?: number }>;
  /** The finishes on `map` (every map when absent), newest first, at most `limit`. */
  finishes(map: string | undefined, limit: number): FinishEntry[] | Promise<FinishEntry[]>;
}

/** The events history keeps: who came and went, races, and every admin change. */
const RECORDED = [
  "connect",
  "disconnect",
  "refuse",
  "mapChange",
  "speedrunFinish",
  "message",
  "countdown",
  "countdownSettingsChange",
  "serverMessage",
  "ban",
  "unban",
  "whitelistChange",
  "acceptingChange",
] as const satisfies readonly (keyof GhostServerEvents)[];

function toJson(payload: Record<string, unknown>): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(payload)) {
    if ((key === "client" || key === "to") && value) {
      const client = value as ClientInfo;
      data[key] = { id: client.id, name: client.name, ip: client.ip, map: client.map };
    } else {
      data[key] = value;
    }
  }
  return data;
}

/**
 * Keeps the latest events and finishes in memory (bounded), from the moment it is attached:
 * the history of a server without storage, and the test double of the storage layer.
 *
 * @example
 * ```ts
 * import { GhostServer } from "@ghosting/server";
 * import { MemoryHistory } from "@ghosting/server";
 *
 * const server = new GhostServer();
 * const history = new MemoryHistory();
 * const detach = history.attach(server);
 * server.setAccepting({ players: false }, "console");
 * console.log((await history.history({ limit: 5 })).entries[0].type); // acceptingChange
 * detach();
 * ```
 */
export class MemoryHistory implements HistorySource {
  readonly #capacity: number;
  readonly #entries: HistoryEntry[] = [];
  readonly #finishes: FinishEntry[] = [];
  #nextId = 1;

  /** Keeps at most `capacity` events and as many finishes. */
  constructor(capacity = 10_000) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    }
    this.#capacity = capacity;
  }

  /** Records `server`'s events from now on; returns a function that stops recording. */
  attach(server: GhostServer): () => void {
    const offs = RECORDED.map((type) =>
      server.on(type, (payload) => this.record(type, payload as Record<string, unknown>))
    );
    return () => offs.forEach((off) => off());
  }

  /** Records one event. */
  record(type: string, payload: Record<string, unknown>): void {
    const client = payload.client as ClientInfo | undefined;
    const entry: HistoryEntry = {
      id: this.#nextId++,
      time: new Date().toISOString(),
      type,
      data: toJson(payload),
    };
    if (typeof payload.actor === "string") entry.actor = payload.actor;
    const player = client?.name ?? (payload.name as string | undefined);
    if (player !== undefined) entry.player = player;
    this.#entries.push(entry);
    if (this.#entries.length > this.#capacity) this.#entries.shift();
    if (type === "speedrunFinish" && client) {
      this.#finishes.push({
        time: entry.time,
        map: client.map,
        player: client.name,
        runTime: String(payload.time),
      });
      if (this.#finishes.length > this.#capacity) this.#finishes.shift();
    }
  }

  /** A page of events, newest first. */
  history(query: HistoryQuery): { entries: HistoryEntry[]; next?: number } {
    const entries: HistoryEntry[] = [];
    for (let i = this.#entries.length - 1; i >= 0; i--) {
      const entry = this.#entries[i];
      if (query.before !== undefined && entry.id >= query.before) continue;
      if (query.type !== undefined && entry.type !== query.type) continue;
      if (query.actor !== undefined && entry.actor !== query.actor) continue;
      if (query.player !== undefined && entry.player !== query.player) continue;
      if (entries.length === query.limit) return { entries, next: entries.at(-1)!.id };
      entries.push(entry);
    }
    return { entries };
  }

  /** Finishes on `map` (every map when absent), newest first. */
  finishes(map: string | undefined, limit: number): FinishEntry[] {
    const out: FinishEntry[] = [];
    for (let i = this.#finishes.length - 1; i >= 0 && out.length < limit; i--) {
      if (map === undefined || this.#finishes[i].map === map) out.push(this.#finishes[i]);
    }
    return out;
  }
}

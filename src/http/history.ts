/**
 * Where `/api/v1/history`, `/api/v1/finishes` and the details of `/api/v1/bans` come from: a
 * small interface, implemented over the SQLite store by `StorageHistory` (what `deno task start`
 * uses) and in memory by {@linkcode MemoryHistory} (a server embedded without storage).
 *
 * @module
 */
import type { ClientInfo } from "../server/client.ts";
import type { GhostServerEvents } from "../server/events.ts";
import type { GhostServer } from "../server/server.ts";
import { eventJson } from "./event_json.ts";

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
  /** The place in a race, when a plugin (the race helper) recorded one. */
  place?: number;
}

/**
 * A ban as the moderation view shows it: the IP and, when the history knows them, why, when
 * and by whom (null when unknown, e.g. a ban made before an in-memory history started).
 *
 * @example
 * ```ts
 * import type { BanEntry } from "@ghosting/server";
 *
 * const ban: BanEntry = { ip: "203.0.113.7", reason: "griefing", time: "2026-01-01T00:00:00.000Z", actor: "panel" };
 * console.log(ban.reason);
 * ```
 */
export interface BanEntry {
  /** The banned IP. */
  ip: string;
  /** The message given with the ban. */
  reason: string | null;
  /** When it was banned (ISO 8601). */
  time: string | null;
  /** Who banned it (`console`, a token's name, a plugin). */
  actor: string | null;
}

/**
 * What the history routes need: `StorageHistory` implements it over the SQLite store;
 * {@linkcode MemoryHistory} is the in-memory stand-in.
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
  /**
   * What the source knows of current bans (reason, time, actor), for `/api/v1/bans`; which IPs
   * are banned is always the server's answer.
   */
  bans?(): BanEntry[] | Promise<BanEntry[]>;
}

/**
 * The event types a history records (the server events' names): who came and went, races,
 * and every admin change; what `/api/v1/history?type=` accepts.
 *
 * @example
 * ```ts
 * import { HISTORY_EVENT_TYPES } from "@ghosting/server";
 *
 * console.log(HISTORY_EVENT_TYPES.includes("speedrunFinish")); // true
 * ```
 */
export const HISTORY_EVENT_TYPES = [
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

/** One of {@linkcode HISTORY_EVENT_TYPES}. */
export type HistoryEventType = typeof HISTORY_EVENT_TYPES[number];

/** A client as the history keeps it: who and where, not how it looks. */
function historyClient(client: ClientInfo) {
  return { id: client.id, name: client.name, ip: client.ip, map: client.map };
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
  readonly #bans = new Map<string, BanEntry>();
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
    const offs = HISTORY_EVENT_TYPES.map((type) =>
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
      data: eventJson(payload, historyClient),
    };
    if (typeof payload.actor === "string") entry.actor = payload.actor;
    const player = client?.name ?? (payload.name as string | undefined);
    if (player !== undefined) entry.player = player;
    this.#entries.push(entry);
    if (this.#entries.length > this.#capacity) this.#entries.shift();
    // Bans are admin actions, as many as the server's ban set: kept until lifted.
    if (type === "ban" && typeof payload.ip === "string") {
      this.#bans.set(payload.ip, {
        ip: payload.ip,
        reason: typeof payload.message === "string" ? payload.message : null,
        time: entry.time,
        actor: entry.actor ?? null,
      });
    } else if (type === "unban" && typeof payload.ip === "string") {
      this.#bans.delete(payload.ip);
    }
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

  /** Bans recorded since attached and not lifted since, oldest first. */
  bans(): BanEntry[] {
    return [...this.#bans.values()];
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

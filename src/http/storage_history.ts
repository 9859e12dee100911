/**
 * The SQLite store as the HTTP API's {@linkcode HistorySource}: the same rows the console's
 * `history` and `finishes` commands read, in the entry shape `/api/v1/history` promises (the
 * server events' names and payloads).
 *
 * @module
 */
import type { HistoryEntry as StoredEntry, HistoryType, Storage } from "../storage/storage.ts";
import type {
  BanEntry,
  FinishEntry,
  HistoryEntry,
  HistoryEventType,
  HistoryQuery,
  HistorySource,
} from "./history.ts";

/** Stored row type → server event name (`refuse` is not stored: hostile clients write no rows). */
const EVENT_OF: Record<HistoryType, HistoryEventType> = {
  connect: "connect",
  disconnect: "disconnect",
  chat: "message",
  map: "mapChange",
  finish: "speedrunFinish",
  countdown: "countdown",
  ban: "ban",
  unban: "unban",
  whitelist: "whitelistChange",
  accepting: "acceptingChange",
  countdown_settings: "countdownSettingsChange",
  server_message: "serverMessage",
};

const STORED_OF = new Map<string, HistoryType>(
  Object.entries(EVENT_OF).map(([stored, event]) => [event, stored as HistoryType]),
);

type Detail = Record<string, unknown>;

function object(detail: unknown): Detail {
  return detail !== null && typeof detail === "object" ? detail as Detail : {};
}

/** The event payload a stored row stands for, as {@linkcode MemoryHistory} would keep it. */
function dataOf(entry: StoredEntry): Record<string, unknown> {
  const player = entry.player;
  const client = player && player.id !== null
    ? { id: player.id, name: player.name, ip: player.ip, map: entry.map ?? "" }
    : undefined;
  const actor = entry.actor === null ? {} : { actor: entry.actor };
  const detail = entry.detail;
  switch (entry.type) {
    case "connect":
      return { client };
    case "disconnect":
      return { client, reason: object(detail).reason, ...actor };
    case "chat":
      return { client, text: detail };
    case "map":
      return { client, map: entry.map, ...object(detail) };
    case "finish": {
      const finish = typeof detail === "string" ? { time: detail } : object(detail);
      return {
        ...(client ? { client } : { name: player?.name, map: entry.map }),
        ...finish,
        ...actor,
      };
    }
    case "countdown":
    case "accepting":
      return { ...object(detail), ...actor };
    case "countdown_settings":
      return { settings: detail, ...actor };
    case "server_message":
      return { text: detail, ...actor, ...(client ? { to: client } : {}) };
    case "ban":
      return { ip: entry.ip, ...actor, ...(typeof detail === "string" ? { message: detail } : {}) };
    case "unban":
      return { ip: entry.ip, ...actor };
    case "whitelist": {
      const { action, name, ip } = object(detail);
      const entryOf = name !== undefined ? { name } : ip !== undefined ? { ip } : undefined;
      return { action, ...(entryOf ? { entry: entryOf } : {}), ...actor };
    }
  }
}

function toApi(entry: StoredEntry): HistoryEntry {
  const out: HistoryEntry = {
    id: entry.id,
    time: entry.time,
    type: EVENT_OF[entry.type],
    data: dataOf(entry),
  };
  if (entry.actor !== null) out.actor = entry.actor;
  if (entry.player) out.player = entry.player.name;
  return out;
}

/**
 * Reads `/api/v1/history`, `/api/v1/finishes` and the details of `/api/v1/bans` from a
 * {@linkcode Storage}: pages by row id, filters by event type, actor and player in SQL.
 *
 * @example
 * ```ts
 * import { GhostServer } from "../server/mod.ts";
 * import { Storage } from "../storage/mod.ts";
 * import { StorageHistory } from "./storage_history.ts";
 *
 * const storage = Storage.open(await Deno.makeTempFile({ suffix: ".db" }));
 * const server = new GhostServer();
 * storage.attach(server);
 * server.ban({ ip: "203.0.113.7" }, "griefing", "panel");
 * const history = new StorageHistory(storage);
 * console.log(history.history({ limit: 10, type: "ban" }).entries[0].data); // { ip: "203.0.113.7", actor: "panel", message: "griefing" }
 * console.log(history.bans()); // [{ ip: "203.0.113.7", reason: "griefing", time: "…", actor: "panel" }]
 * await storage.close();
 * ```
 */
export class StorageHistory implements HistorySource {
  readonly #storage: Storage;

  /** Reads from `storage` (which records the server's events once attached to it). */
  constructor(storage: Storage) {
    this.#storage = storage;
  }

  /** A page of events, newest first; `next` is the `before` of the following page, if any. */
  history(query: HistoryQuery): { entries: HistoryEntry[]; next?: number } {
    let type: HistoryType | undefined;
    if (query.type !== undefined) {
      type = STORED_OF.get(query.type);
      if (type === undefined) return { entries: [] }; // an event the store does not keep
    }
    // One row more than asked tells whether a next page exists.
    const rows = this.#storage.history({
      limit: query.limit + 1,
      before: query.before,
      type,
      actor: query.actor,
      player: query.player,
    });
    const more = rows.length > query.limit;
    const entries = (more ? rows.slice(0, query.limit) : rows).map(toApi);
    return more ? { entries, next: entries.at(-1)!.id } : { entries };
  }

  /** The finishes on `map` (every map when absent), newest first, at most `limit`. */
  finishes(map: string | undefined, limit: number): FinishEntry[] {
    return this.#storage.finishes(map, limit).map((finish) => {
      const entry: FinishEntry = {
        time: finish.time,
        map: finish.map,
        player: finish.player.name,
        runTime: finish.finishTime,
      };
      if (finish.place !== null) entry.place = finish.place;
      return entry;
    });
  }

  /** The stored bans with reason, time and actor. */
  bans(): BanEntry[] {
    return this.#storage.bans();
  }
}

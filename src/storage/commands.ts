/**
 * The admin commands that read the store: `history [n]` and `finishes [map]`.
 *
 * @module
 */
import { type Command, defineCommand } from "../admin/command.ts";
import type { HistoryEntry, Storage } from "./storage.ts";

/** `2026-11-30 12:00:01`: UTC, to the second, as in the history table. */
function when(iso: string): string {
  return iso.slice(0, 19).replace("T", " ");
}

function describe(entry: HistoryEntry): string {
  const who = entry.player
    ? entry.player.id === null
      ? entry.player.name
      : `${entry.player.name} (${entry.player.id}) @ ${entry.player.ip}`
    : "";
  const by = entry.actor ? ` by ${entry.actor}` : "";
  const detail = entry.detail as Record<string, unknown> | string | null;
  const field = (key: string) =>
    detail !== null && typeof detail === "object" ? detail[key] : undefined;
  switch (entry.type) {
    case "connect":
      return `${who} joined${field("spectator") ? " as a spectator" : ""}`;
    case "disconnect":
      return `${who} left (${field("reason")})${by}`;
    case "chat":
      return `${who}: ${detail}`;
    case "map":
      return `${who} loaded ${entry.map}`;
    case "finish": {
      const place = field("place");
      const time = typeof detail === "string" ? detail : field("time");
      return `${who} finished ${entry.map ?? "?"} in ${time}${
        place ? ` (place ${place})` : ""
      }${by}`;
    }
    case "countdown":
      return `countdown ${field("delay")} s${by}`;
    case "ban":
      return `banned ${entry.ip}${by}${detail ? `: ${detail}` : ""}`;
    case "unban":
      return `unbanned ${entry.ip}${by}`;
    case "whitelist": {
      const entry = field("name") !== undefined
        ? ` name '${field("name")}'`
        : field("ip") !== undefined
        ? ` IP ${field("ip")}`
        : "";
      return `whitelist ${field("action")}${entry}${by}`;
    }
    case "accepting":
      return `accepting players ${field("players") ? "yes" : "no"}, spectators ${
        field("spectators") ? "yes" : "no"
      }${field("cause") === "countdown" ? " (countdown)" : ""}${by}`;
    case "server_message":
      return `[server message${entry.player ? ` to ${who}` : ""}]${by}: ${detail}`;
    default:
      return `${entry.type}${by} ${detail === null ? "" : JSON.stringify(detail)}`.trim();
  }
}

/**
 * `history [n]` (the last n events, 20 by default) and `finishes [map]` (the last 50
 * finishes, on one map or all), for a {@linkcode CommandTable} to register.
 */
export function storageCommands(storage: Storage): Command[] {
  return [
    defineCommand({
      name: "history",
      summary: "Show the latest events: joins, leaves, chat, maps, finishes, admin actions",
      args: [{
        name: "n",
        type: "integer",
        min: 1,
        max: 1000,
        optional: true,
        doc: "How many events (1–1000); default 20",
      }],
      run(_context, { n }) {
        const entries = storage.history({ limit: n ?? 20 });
        if (entries.length === 0) return { text: "No history yet", data: [] };
        const lines = entries.reverse().map((entry) =>
          `${when(entry.time)} ${entry.type.padEnd(14)} ${describe(entry)}`
        );
        return { text: lines.join("\n"), data: entries };
      },
    }),
    defineCommand({
      name: "finishes",
      summary: "Show the latest speedrun finishes, on one map or on all",
      args: [{
        name: "map",
        type: "string",
        optional: true,
        maxLength: 256,
        doc: "A map file name, e.g. sp_a1_intro1",
      }],
      run(_context, { map }) {
        const finishes = storage.finishes(map, 50);
        if (finishes.length === 0) {
          return { text: map ? `No finishes on ${map}` : "No finishes yet", data: [] };
        }
        const lines = finishes.reverse().map((f) =>
          `${when(f.time)} ${f.map.padEnd(20)} ${f.finishTime.padEnd(12)} ${f.player.name}${
            f.player.id === null ? "" : ` (${f.player.id})`
          }${f.place === null ? "" : ` place ${f.place}`}`
        );
        return { text: lines.join("\n"), data: finishes };
      },
    }),
  ];
}

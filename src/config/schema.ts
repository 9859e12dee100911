/**
 * Every configuration key, its type, range, default and meaning. Validation, the embedded
 * defaults and the README's reference all come from this one table.
 *
 * @module
 */
import {
  BULK_UPDATE_ENTRY_BYTES,
  BULK_UPDATE_HEADER_BYTES,
  DEFAULT_MAX_FRAME_BYTES,
} from "../protocol/mod.ts";

/**
 * `[server]`: sockets, handshake and acceptance. The meaning and default of each key are in
 * {@linkcode CONFIG_SCHEMA} and the README's configuration table.
 *
 * @example Listening on another port
 * ```ts
 * import { defaultConfig } from "@ghosting/server";
 *
 * const config = defaultConfig();
 * config.server.port = 53001;
 * ```
 */
export interface ServerSection {
  /** Address for TCP and UDP alike. */
  hostname: string;
  /** TCP and UDP port; 0 picks a free one. */
  port: number;
  /** Time a new connection has to send its CONNECT. */
  handshake_timeout_ms: number;
  /** Largest TCP frame a client may send. */
  max_frame_bytes: number;
  /** Bytes that may wait for a slow reader before it is disconnected. */
  max_write_queue_bytes: number;
  /** Refuse a second connection from an IP already connected. */
  one_connection_per_ip: boolean;
  /** Tell refused and kicked players why before closing. */
  explain_refusals: boolean;
  /** Which UDP implementation to use. */
  udp_backend: UdpBackendName;
  /** Let the batched backend segment split bulk updates in the kernel (UDP GSO). */
  udp_gso: boolean;
  /** Largest bulk UPDATE datagram; 0 for one datagram. */
  max_datagram_bytes: number;
  /** Whose positions each client receives. */
  bulk_scope: BulkScope;
}

/**
 * UDP implementations: batched Linux system calls through FFI where they work ("auto"), or
 * always Deno's sockets ("portable"), or the batched ones whenever possible ("mmsg").
 *
 * @example
 * ```ts
 * import { UDP_BACKENDS } from "@ghosting/server";
 *
 * console.log(UDP_BACKENDS.join(" or ")); // auto or portable or mmsg
 * ```
 */
export const UDP_BACKENDS = ["auto", "portable", "mmsg"] as const;

/** One of {@linkcode UDP_BACKENDS}. */
export type UdpBackendName = typeof UDP_BACKENDS[number];

/**
 * Whose positions each client receives: everyone's, or only those on its own map.
 *
 * @example
 * ```ts
 * import { BULK_SCOPES } from "@ghosting/server";
 *
 * console.log(BULK_SCOPES.includes("same_map")); // true
 * ```
 */
export const BULK_SCOPES = ["all", "same_map"] as const;

/** One of {@linkcode BULK_SCOPES}. */
export type BulkScope = typeof BULK_SCOPES[number];

/**
 * The largest string cap: a relayed frame must fit in the relays' share of the smallest write
 * queue (half of 65536 bytes), or it could never be relayed.
 */
const STRING_CAP_MAX = 16384;

/** The smallest bulk UPDATE datagram: its header and one entry. */
const MIN_BULK_DATAGRAM_BYTES = BULK_UPDATE_HEADER_BYTES + BULK_UPDATE_ENTRY_BYTES;

/**
 * `[countdown]`: what a countdown sends when not told otherwise.
 *
 * @example A race preset
 * ```ts
 * import { defaultConfig } from "@ghosting/server";
 *
 * const config = defaultConfig();
 * config.countdown = { delay: 5, pre_commands: "sv_cheats 0", post_commands: "say go" };
 * ```
 */
export interface CountdownSection {
  /** Seconds counted down in chat (0–60). */
  delay: number;
  /** Console commands every client runs at the setup. */
  pre_commands: string;
  /** Console commands every client runs at go. */
  post_commands: string;
}

/**
 * Log levels, lowest first (logtape's names).
 *
 * @example
 * ```ts
 * import { LOG_LEVELS } from "@ghosting/server";
 *
 * console.log(LOG_LEVELS.indexOf("debug") < LOG_LEVELS.indexOf("info")); // true
 * ```
 */
export const LOG_LEVELS = ["trace", "debug", "info", "warning", "error", "fatal"] as const;

/** One of {@linkcode LOG_LEVELS}. */
export type LogLevel = typeof LOG_LEVELS[number];

/**
 * `[logging]`: where log lines go.
 *
 * @example Logging to a file as well
 * ```ts
 * import { defaultConfig } from "@ghosting/server";
 *
 * const config = defaultConfig();
 * config.logging = { ...config.logging, file: true, filename: "logs/ghosting.log" };
 * ```
 */
export interface LoggingSection {
  /** Lowest level logged. */
  level: LogLevel;
  /** Log to standard error. */
  console: boolean;
  /** Also log to `filename`. */
  file: boolean;
  /** The log file, rotated. */
  filename: string;
  /** Player-supplied text longer than this is cut in log lines, its full size noted. */
  max_text_chars: number;
  /** Lines per second each network may log per kind of line (chat, connections, …). */
  lines_per_second: number;
  /** How often lines held back, refusals and drops are summed up. */
  summary_seconds: number;
  /** Bytes of log lines that may wait for standard error; more are dropped and counted. */
  console_buffer_bytes: number;
}

/**
 * `[limits]`: what one player may make the server relay, store, decode and answer, and how fast
 * new connections are admitted. The defaults never hinder a real SAR client; the meaning of each
 * key is in {@linkcode CONFIG_SCHEMA} and the README's configuration table.
 *
 * @example A stricter chat for a big public server
 * ```ts
 * import { defaultConfig } from "@ghosting/server";
 *
 * const config = defaultConfig();
 * config.limits = { ...config.limits, chat_max_bytes: 256, chat_rate: 2, chat_burst: 5 };
 * ```
 */
export interface LimitsSection {
  /** Longest name in CONNECT, in bytes. */
  name_max_bytes: number;
  /** Longest ghost model path, in bytes. */
  model_max_bytes: number;
  /** Longest map name, in bytes. */
  map_max_bytes: number;
  /** Longest chat line, in bytes. */
  chat_max_bytes: number;
  /** Longest speedrun finish time, in bytes. */
  finish_time_max_bytes: number;
  /** Longest taunt name, in bytes. */
  taunt_max_bytes: number;
  /** Chat lines per second one player may send, sustained. */
  chat_rate: number;
  /** Chat lines one player may send at once. */
  chat_burst: number;
  /** Model changes per second, sustained. */
  model_rate: number;
  /** Model changes at once. */
  model_burst: number;
  /** Colour changes per second, sustained. */
  color_rate: number;
  /** Colour changes at once. */
  color_burst: number;
  /** Map changes per second, sustained. */
  map_rate: number;
  /** Map changes at once. */
  map_burst: number;
  /** Taunts per second, sustained. */
  taunt_rate: number;
  /** Taunts at once. */
  taunt_burst: number;
  /** Speedrun finishes per second, sustained. */
  finish_rate: number;
  /** Speedrun finishes at once. */
  finish_burst: number;
  /** VOICE bytes per second, sustained. */
  voice_bytes_rate: number;
  /** VOICE bytes at once. */
  voice_bytes_burst: number;
  /** Packets over a rate or size limit tolerated within `flood_window_ms` before a kick. */
  flood_drops: number;
  /** The window of `flood_drops`. */
  flood_window_ms: number;
  /** Handshakes one IP may have in progress at once. */
  handshakes_per_ip: number;
  /** New connections per second from one IP, sustained. */
  connections_per_ip_rate: number;
  /** New connections from one IP at once. */
  connections_per_ip_burst: number;
  /** Handshakes in progress at once; the busiest network's oldest is closed to make room. */
  max_pending_handshakes: number;
}

/**
 * `[plugins]`: which plugins load, who may run admin commands in chat, and how long a plugin
 * may take to answer. Each plugin's own settings are a `[plugins.<name>]` table, checked by
 * the schema the plugin declares when it loads (see {@linkcode Config.pluginSections}).
 *
 * @example
 * ```ts
 * import { parseConfig } from "@ghosting/server";
 *
 * const config = parseConfig(`
 * [plugins]
 * load = ["plugins/motd.ts"]
 * admins = ["NeKz@203.0.113.7"]
 *
 * [plugins.motd]
 * message = "Welcome to the race server!"
 * `);
 * console.log(config.plugins.load, config.pluginSections?.motd); // [ "plugins/motd.ts" ] { message: "Welcome to the race server!" }
 * ```
 */
export interface PluginsSection {
  /** Plugin modules: paths (relative to the config file) or `npm:`/`jsr:` specifiers. */
  load: string[];
  /** Players who may run admin commands in chat, as `name@ip`. */
  admins: string[];
  /** How long a plugin's handler or command may take before it is given up on. */
  hook_timeout_ms: number;
}

/**
 * `[storage]`: the SQLite database that keeps bans, the whitelist, accept flags, countdown
 * settings and the event history across restarts.
 *
 * @example Keeping a week of history
 * ```ts
 * import { defaultConfig } from "@ghosting/server";
 *
 * const config = defaultConfig();
 * config.storage = { path: "/var/lib/ghosting/ghosting.db", history_days: 7 };
 * ```
 */
export interface StorageSection {
  /** The database file; its directory is the data directory (admin socket, console history). */
  path: string;
  /** Days of event history kept; 0 keeps it forever. */
  history_days: number;
}

/**
 * The whole configuration, as in `config.toml`.
 *
 * @example
 * ```ts
 * import { GhostServer, optionsFromConfig, parseConfig } from "@ghosting/server";
 *
 * const config = parseConfig('[server]\nport = 53001\n');
 * const server = new GhostServer(optionsFromConfig(config));
 * ```
 */
export interface Config {
  /** `[server]` */
  server: ServerSection;
  /** `[limits]` */
  limits: LimitsSection;
  /** `[countdown]` */
  countdown: CountdownSection;
  /** `[logging]` */
  logging: LoggingSection;
  /** `[storage]` */
  storage: StorageSection;
  /** `[plugins]` */
  plugins: PluginsSection;
  /** The `[plugins.<name>]` tables, by name, unchecked until their plugin loads. */
  pluginSections?: Record<string, Record<string, unknown>>;
  /** `[http]` */
  http: HttpSection;
}

// ---------------------------------------------------------------- [http] (issue 11)

/**
 * What a token may do: `"read"` sees (status, players, live channel, metrics), `"admin"` also
 * acts (every command).
 *
 * @example
 * ```ts
 * import { HTTP_TOKEN_SCOPES } from "@ghosting/server";
 *
 * console.log(HTTP_TOKEN_SCOPES.join(" or ")); // read or admin
 * ```
 */
export const HTTP_TOKEN_SCOPES = ["read", "admin"] as const;

/** One of {@linkcode HTTP_TOKEN_SCOPES}. */
export type HttpTokenScope = typeof HTTP_TOKEN_SCOPES[number];

/**
 * One `[[http.tokens]]` entry: a secret a program sends as `Authorization: Bearer <token>`.
 *
 * @example
 * ```ts
 * import type { HttpToken } from "@ghosting/server";
 *
 * const overlay: HttpToken = { name: "overlay", token: crypto.randomUUID(), scope: "read" };
 * console.log(overlay.name);
 * ```
 */
export interface HttpToken {
  /** Who uses it: the `actor` of the admin events its requests cause. */
  name: string;
  /** The secret, at least 16 characters. */
  token: string;
  /** What it may do. */
  scope: HttpTokenScope;
}

/**
 * `[http]`: the HTTP admin API, the live channel, metrics and health.
 *
 * @example Enabling the API with one admin token
 * ```ts
 * import { parseConfig } from "@ghosting/server";
 *
 * const config = parseConfig(`
 * [http]
 * enabled = true
 *
 * [[http.tokens]]
 * name = "panel"
 * token = "a-long-random-secret-0123456789"
 * scope = "admin"
 * `);
 * console.log(config.http.tokens[0].name); // panel
 * ```
 */
export interface HttpSection {
  /** Serve HTTP at all. */
  enabled: boolean;
  /** Address of the HTTP listener. */
  hostname: string;
  /** Port of the HTTP listener; 0 picks a free one. */
  port: number;
  /** Position updates per second on the live channel. */
  live_position_hz: number;
  /** Let the hoster-compatible routes work without a token. */
  hoster_routes_without_token: boolean;
  /** Who may use the API. */
  tokens: HttpToken[];
}

/** Shortest token accepted: a guessable token is no protection. */
const MIN_TOKEN_LENGTH = 16;

function checkTokens(tokens: readonly unknown[]): string | undefined {
  const names = new Set<string>();
  const secrets = new Set<string>();
  for (const [i, item] of tokens.entries()) {
    const at = `entry ${i + 1}`;
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      return `${at} must be a table written as [[http.tokens]]`;
    }
    const entry = item as Record<string, unknown>;
    for (const key of Object.keys(entry)) {
      if (!["name", "token", "scope"].includes(key)) {
        return `${at} has unknown key "${key}"; known keys are name, token, scope`;
      }
    }
    if (typeof entry.name !== "string" || entry.name.trim() === "") {
      return `${at} needs a name (who uses the token; shown as the actor of its actions)`;
    }
    if (typeof entry.token !== "string" || entry.token.length < MIN_TOKEN_LENGTH) {
      return `${at} (${entry.name}) needs a token of at least ${MIN_TOKEN_LENGTH} characters`;
    }
    if (!HTTP_TOKEN_SCOPES.includes(entry.scope as HttpTokenScope)) {
      return `${at} (${entry.name}) scope must be "read" or "admin", got ${
        JSON.stringify(entry.scope ?? null)
      }`;
    }
    if (names.has(entry.name)) return `${at}: the name "${entry.name}" is used twice`;
    if (secrets.has(entry.token)) return `${at} (${entry.name}) reuses another entry's token`;
    names.add(entry.name);
    secrets.add(entry.token);
  }
  return undefined;
}

const HTTP_FIELDS: { [K in keyof HttpSection]: FieldSpec<HttpSection[K]> } = {
  enabled: { type: "boolean", default: false, doc: "Serve the HTTP API, live channel and metrics" },
  hostname: {
    type: "string",
    default: "127.0.0.1",
    doc: "Address of the HTTP listener; only the machine itself by default",
  },
  port: { type: "integer", min: 0, max: 65535, default: 53080, doc: "Port of the HTTP listener" },
  live_position_hz: {
    type: "integer",
    min: 1,
    max: 20,
    default: 10,
    doc: "Position updates per second on the live channel, while a viewer is subscribed",
  },
  hoster_routes_without_token: {
    type: "boolean",
    default: false,
    doc:
      "Let the hoster-compatible routes work without a token (only where the panel alone can reach the port)",
  },
  tokens: {
    type: "array",
    default: [],
    doc: "Tokens as [[http.tokens]] tables with name, token and scope",
    refine: checkTokens,
  },
};

/** How one key is checked and documented. */
export type FieldSpec<T> =
  & {
    doc: string;
    default: T;
    /** A rule the type and range cannot express; returns what is wrong, or undefined. */
    refine?: (value: T) => string | undefined;
  }
  & (T extends readonly string[] ? { type: "string_list" }
    : T extends boolean ? { type: "boolean" }
    : T extends number ? { type: "integer"; min: number; max: number }
    : T extends readonly unknown[] ? { type: "array" }
    : { type: "string"; oneOf?: readonly string[] });

/** The schema: one spec per key of every section. */
export type ConfigSchema = {
  [S in Exclude<keyof Config, "pluginSections">]: {
    [K in keyof Config[S]]: FieldSpec<Config[S][K]>;
  };
};

/** The configuration schema, in the order `config.toml` lists it. */
export const CONFIG_SCHEMA: ConfigSchema = {
  server: {
    hostname: {
      type: "string",
      default: "0.0.0.0",
      doc: 'Address to listen on, TCP and UDP alike; "::" listens on IPv6 and IPv4',
    },
    port: {
      type: "integer",
      min: 0,
      max: 65535,
      default: 53000,
      doc:
        "TCP and UDP port; SAR's ghost_connect uses 53000 unless told otherwise; 0 picks a free port",
    },
    handshake_timeout_ms: {
      type: "integer",
      min: 1,
      max: 60000,
      default: 1500,
      doc: "How long a new connection may take to send its CONNECT",
    },
    max_frame_bytes: {
      type: "integer",
      min: 64,
      max: 16777216,
      default: DEFAULT_MAX_FRAME_BYTES,
      doc: "Largest TCP frame a client may send; larger ones close the connection",
    },
    max_write_queue_bytes: {
      type: "integer",
      min: 65536,
      max: 268435456,
      default: 1048576,
      doc: "Bytes that may wait for a slow TCP reader before it is disconnected",
    },
    one_connection_per_ip: {
      type: "boolean",
      default: true,
      doc: "Refuse a second connection from an IP already connected, as the C++ server does",
    },
    explain_refusals: {
      type: "boolean",
      default: true,
      doc: "Tell refused, kicked and timed-out players why in chat before closing",
    },
    udp_backend: {
      type: "string",
      oneOf: UDP_BACKENDS,
      default: "auto",
      doc: '"auto" batches UDP system calls where it can (Linux with --allow-ffi), else "portable"',
    },
    udp_gso: {
      type: "boolean",
      default: true,
      doc:
        "With the batched backend, let the kernel cut each client's split update into its datagrams (UDP GSO)",
    },
    max_datagram_bytes: {
      type: "integer",
      min: 0,
      max: 65507,
      default: 1200,
      doc: "Largest bulk UPDATE datagram; larger updates are split; 0 sends one datagram",
      refine: (value) =>
        value !== 0 && value < MIN_BULK_DATAGRAM_BYTES
          ? `must be 0 or at least ${MIN_BULK_DATAGRAM_BYTES} (one entry), got ${value}`
          : undefined,
    },
    bulk_scope: {
      type: "string",
      oneOf: BULK_SCOPES,
      default: "all",
      doc: '"same_map" sends each client only the positions of clients on its map',
    },
  },
  limits: {
    name_max_bytes: {
      type: "integer",
      min: 32,
      max: STRING_CAP_MAX,
      default: 256,
      doc: "Longest player name in CONNECT, in bytes; a longer one is refused with an explanation",
    },
    model_max_bytes: {
      type: "integer",
      min: 64,
      max: STRING_CAP_MAX,
      default: 512,
      doc: "Longest ghost model path, in bytes; refused in CONNECT, dropped in MODEL_CHANGE",
    },
    map_max_bytes: {
      type: "integer",
      min: 64,
      max: STRING_CAP_MAX,
      default: 256,
      doc: "Longest map name, in bytes; refused in CONNECT, dropped in MAP_CHANGE",
    },
    chat_max_bytes: {
      type: "integer",
      min: 64,
      max: STRING_CAP_MAX,
      default: 1024,
      doc: "Longest chat line, in bytes; a longer one is dropped and its sender told",
    },
    finish_time_max_bytes: {
      type: "integer",
      min: 16,
      max: STRING_CAP_MAX,
      default: 64,
      doc: "Longest speedrun finish time, in bytes; a longer one is dropped",
    },
    taunt_max_bytes: {
      type: "integer",
      min: 16,
      max: STRING_CAP_MAX,
      default: 64,
      doc: "Longest taunt name, in bytes; a longer one is dropped",
    },
    chat_rate: {
      type: "integer",
      min: 1,
      max: 1000,
      default: 5,
      doc: "Chat lines per second one player may send, sustained",
    },
    chat_burst: {
      type: "integer",
      min: 1,
      max: 10000,
      default: 20,
      doc: "Chat lines one player may send at once",
    },
    model_rate: {
      type: "integer",
      min: 1,
      max: 1000,
      default: 2,
      doc: "Model changes per second one player may send, sustained",
    },
    model_burst: {
      type: "integer",
      min: 1,
      max: 10000,
      default: 10,
      doc: "Model changes one player may send at once",
    },
    color_rate: {
      type: "integer",
      min: 1,
      max: 1000,
      default: 60,
      doc: "Colour changes per second one player may send, sustained",
    },
    color_burst: {
      type: "integer",
      min: 1,
      max: 10000,
      default: 120,
      doc: "Colour changes one player may send at once",
    },
    map_rate: {
      type: "integer",
      min: 1,
      max: 1000,
      default: 5,
      doc: "Map changes per second one player may send, sustained",
    },
    map_burst: {
      type: "integer",
      min: 1,
      max: 10000,
      default: 20,
      doc: "Map changes one player may send at once",
    },
    taunt_rate: {
      type: "integer",
      min: 1,
      max: 1000,
      default: 5,
      doc: "Taunts per second one player may send, sustained",
    },
    taunt_burst: {
      type: "integer",
      min: 1,
      max: 10000,
      default: 10,
      doc: "Taunts one player may send at once",
    },
    finish_rate: {
      type: "integer",
      min: 1,
      max: 1000,
      default: 1,
      doc:
        "Speedrun finishes per second one player may send, sustained (SAR sends one per run; each is relayed, stored and announced)",
    },
    finish_burst: {
      type: "integer",
      min: 1,
      max: 10000,
      default: 5,
      doc: "Speedrun finishes one player may send at once",
    },
    voice_bytes_rate: {
      type: "integer",
      min: 1024,
      max: 16777216,
      default: 32768,
      doc: "VOICE bytes per second one player may send, sustained",
    },
    voice_bytes_burst: {
      type: "integer",
      min: 2048,
      max: 16777216,
      default: 65536,
      doc: "VOICE bytes one player may send at once (at least one VOICE packet)",
    },
    flood_drops: {
      type: "integer",
      min: 1,
      max: 1000000,
      default: 200,
      doc: "Packets over a rate or size limit one player may send within flood_window_ms",
    },
    flood_window_ms: {
      type: "integer",
      min: 100,
      max: 3600000,
      default: 10000,
      doc: "Window of flood_drops; more than that many drops in it kicks the player (flood)",
    },
    handshakes_per_ip: {
      type: "integer",
      min: 1,
      max: 65536,
      default: 8,
      doc: "Connections from one IP that may be waiting to send CONNECT at once",
    },
    connections_per_ip_rate: {
      type: "integer",
      min: 1,
      max: 100000,
      default: 5,
      doc: "New connections per second one IP may open, sustained",
    },
    connections_per_ip_burst: {
      type: "integer",
      min: 1,
      max: 100000,
      default: 20,
      doc: "New connections one IP may open at once",
    },
    max_pending_handshakes: {
      type: "integer",
      min: 1,
      max: 1000000,
      default: 8192,
      doc:
        "Connections that may be waiting to send CONNECT; when full, the oldest of the network (/24) with the most is closed",
    },
  },
  countdown: {
    delay: {
      type: "integer",
      min: 0,
      max: 60,
      default: 3,
      doc: "Seconds counted down in chat after the 3-second lead-in",
    },
    pre_commands: {
      type: "string",
      default: "",
      doc: "Console commands every client runs when the countdown is set up",
    },
    post_commands: {
      type: "string",
      default: "",
      doc: "Console commands every client runs at go",
    },
  },
  logging: {
    level: { type: "string", oneOf: LOG_LEVELS, default: "info", doc: "Lowest level logged" },
    console: { type: "boolean", default: true, doc: "Log to standard error" },
    file: { type: "boolean", default: false, doc: "Also log to `filename`" },
    filename: {
      type: "string",
      default: "logs/ghosting.log",
      doc: "Log file, created with its directory when `file` is on",
    },
    max_text_chars: {
      type: "integer",
      min: 16,
      max: 1048576,
      default: 200,
      doc:
        "Player-supplied text (names, chat, maps) longer than this is cut in log lines, with its size noted",
    },
    lines_per_second: {
      type: "integer",
      min: 1,
      max: 1000000,
      default: 10,
      doc:
        "Lines per second (bursts of 10 s worth) each network may log per kind of line (chat, connections, refusals, …); each kind 3× that in all; the rest are counted in a summary",
    },
    summary_seconds: {
      type: "integer",
      min: 1,
      max: 3600,
      default: 10,
      doc:
        "How often refusals and drops per network, and the lines held back, are summed up at info",
    },
    console_buffer_bytes: {
      type: "integer",
      min: 4096,
      max: 268435456,
      default: 1048576,
      doc: "Log bytes that may wait for a slow standard error; more are dropped and counted",
    },
  },
  storage: {
    path: {
      type: "string",
      default: "data/ghosting.db",
      doc:
        "SQLite database of bans, whitelist, accept flags, countdown settings and history; its directory also holds the admin socket",
      refine: (value) => value.trim() === "" ? "must not be empty" : undefined,
    },
    history_days: {
      type: "integer",
      min: 0,
      max: 36500,
      default: 30,
      doc: "Days of event history kept (pruned in the background); 0 keeps it forever",
    },
  },
  plugins: {
    load: {
      type: "string_list",
      default: [],
      doc: 'Plugin modules: paths relative to the config file, or "npm:"/"jsr:" specifiers',
    },
    admins: {
      type: "string_list",
      default: [],
      doc: 'Players who may run admin commands in chat, as "name@ip"',
      refine: (entries) => {
        const bad = entries.find((entry) => !/^.+@[0-9A-Fa-f.:]+$/.test(entry));
        return bad === undefined
          ? undefined
          : `entries must be "name@ip", got ${JSON.stringify(bad)}`;
      },
    },
    hook_timeout_ms: {
      type: "integer",
      min: 1,
      max: 60000,
      default: 1000,
      doc: "How long a plugin's handler or command may take before the default decision stands",
    },
  },
  http: HTTP_FIELDS,
};

/**
 * The embedded defaults (those of the committed `config.toml`): a fresh copy each call.
 *
 * @example
 * ```ts
 * import { defaultConfig } from "@ghosting/server";
 *
 * console.log(defaultConfig().server.port); // 53000
 * ```
 */
export function defaultConfig(): Config {
  const config: Record<string, Record<string, unknown>> = {};
  for (const [section, fields] of Object.entries(CONFIG_SCHEMA)) {
    config[section] = {};
    for (const [key, spec] of Object.entries(fields as Record<string, { default: unknown }>)) {
      // A copy, so that changing one configuration's array never changes the defaults.
      config[section][key] = structuredClone(spec.default);
    }
  }
  return config as unknown as Config;
}

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
  /** Largest bulk UPDATE datagram; 0 for one datagram. */
  max_datagram_bytes: number;
  /** Whose positions each client receives. */
  bulk_scope: BulkScope;
}

/**
 * UDP implementations: Deno's sockets, or batched Linux system calls through FFI.
 *
 * @example
 * ```ts
 * import { UDP_BACKENDS } from "@ghosting/server";
 *
 * console.log(UDP_BACKENDS.join(" or ")); // portable or mmsg
 * ```
 */
export const UDP_BACKENDS = ["portable", "mmsg"] as const;

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
  /** `[countdown]` */
  countdown: CountdownSection;
  /** `[logging]` */
  logging: LoggingSection;
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
  & (T extends boolean ? { type: "boolean" }
    : T extends number ? { type: "integer"; min: number; max: number }
    : T extends readonly unknown[] ? { type: "array" }
    : { type: "string"; oneOf?: readonly string[] });

/** The schema: one spec per key of every section. */
export type ConfigSchema = {
  [S in keyof Config]: { [K in keyof Config[S]]: FieldSpec<Config[S][K]> };
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
      default: "portable",
      doc: '"mmsg" batches UDP system calls (Linux, needs --allow-ffi); falls back to "portable"',
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

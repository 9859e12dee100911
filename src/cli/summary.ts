/**
 * What the server command prints at start: the effective settings and the addresses players
 * should type.
 *
 * @module
 */
import { type Config, CONFIG_SCHEMA } from "../config/mod.ts";
import type { ServerStatus } from "../server/server.ts";

const SAR_DEFAULT_PORT = 53000;

/** The `ghost_connect` lines players should use for a server on `hostname:port`. */
export function connectHints(hostname: string, port: number): string[] {
  const suffix = port === SAR_DEFAULT_PORT ? "" : ` ${port}`;
  const wildcard = hostname === "0.0.0.0" || hostname === "::";
  if (!wildcard) return [`Players connect with: ghost_connect ${hostname}${suffix}`];
  return [
    `Players connect with: ghost_connect <this machine's address>${suffix}` +
    ` (open port ${port} for TCP and UDP)`,
    `  from this machine: ghost_connect ${hostname === "::" ? "::1" : "127.0.0.1"}${suffix}`,
  ];
}

/**
 * One line per config section: every key and its effective value. Secrets are not printed:
 * `[[http.tokens]]` shows each token's name and scope only (logs are read by more people than
 * the operator, and shipped elsewhere).
 */
export function settingsLines(config: Config): string[] {
  return Object.keys(CONFIG_SCHEMA).map((section) => {
    const values = config[section as keyof Config] as unknown as Record<string, unknown>;
    const pairs = Object.entries(values).map(([key, value]) =>
      `${key}=${
        JSON.stringify(section === "http" && key === "tokens" ? redactTokens(value) : value)
      }`
    );
    return `  [${section}] ${pairs.join(" ")}`;
  });
}

function redactTokens(tokens: unknown): unknown {
  if (!Array.isArray(tokens)) return tokens;
  return tokens.map((entry) =>
    typeof entry === "object" && entry !== null ? { ...entry, token: "(hidden)" } : entry
  );
}

/** The admin state a restart brought back. */
export function stateLine(status: ServerStatus): string {
  const { whitelist, accepting, countdown } = status;
  return `State: ${status.bannedIps} banned IPs; whitelist ${whitelist.enabled ? "on" : "off"} (${
    whitelist.names.length + whitelist.ips.length
  } entries); accepting players ${accepting.players ? "yes" : "no"}, spectators ${
    accepting.spectators ? "yes" : "no"
  }; countdown ${countdown.delay} s`;
}

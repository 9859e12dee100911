/**
 * The HTTP surface: the admin API (`/api/v1`, generated from the command table), the routes of
 * the hoster's per-server app, the live channel, `/metrics` and `/health`.
 *
 * @example
 * ```ts
 * import { createCommandTable, defaultConfig, GhostServer, startHttp } from "@ghosting/server";
 *
 * const config = defaultConfig();
 * config.http.enabled = true;
 * config.http.port = 0;
 * config.http.tokens = [{ name: "panel", token: "0123456789abcdef", scope: "admin" }];
 * const server = new GhostServer({ port: 0 });
 * await server.start();
 * const http = await startHttp(server, config, createCommandTable());
 * await server.stop(); // stops the HTTP API too
 * console.log(http !== undefined);
 * ```
 *
 * @module
 */
import type { CommandTable } from "../admin/mod.ts";
import type { Config } from "../config/mod.ts";
import type { GhostServer } from "../server/server.ts";
import { type HistorySource, MemoryHistory } from "./history.ts";
import { HttpApi } from "./http_server.ts";

export { HEALTH_STALL_MS, HttpApi, type HttpApiOptions, MAX_BODY_BYTES } from "./http_server.ts";
export {
  type FinishEntry,
  type HistoryEntry,
  type HistoryQuery,
  type HistorySource,
  MemoryHistory,
} from "./history.ts";
export { LIVE_CLOSE, LIVE_EVENTS, type LiveClient } from "./live.ts";

/** The dashboard's files, when the web build put them there. */
const WEB_DIR = new URL("./web/", import.meta.url);

async function webDir(): Promise<URL | undefined> {
  try {
    return (await Deno.stat(WEB_DIR)).isDirectory ? WEB_DIR : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts the HTTP API when `[http] enabled`; it stops when the server stops. Without a
 * `history` source the events are kept in memory ({@linkcode MemoryHistory}).
 *
 * @example
 * ```ts
 * import { createCommandTable, GhostServer, loadConfig, startHttp } from "@ghosting/server";
 *
 * const config = await loadConfig("config.toml");
 * const server = new GhostServer();
 * await server.start();
 * await startHttp(server, config, createCommandTable());
 * ```
 *
 * @returns the running API, or undefined when HTTP is disabled
 */
export async function startHttp(
  server: GhostServer,
  config: Config,
  commands: CommandTable,
  extra: { history?: HistorySource; version?: string } = {},
): Promise<HttpApi | undefined> {
  const section = config.http;
  if (!section.enabled) return undefined;
  let history = extra.history;
  let detach = () => {};
  if (!history) {
    const memory = new MemoryHistory();
    detach = memory.attach(server);
    history = memory;
  }
  const http = new HttpApi(server, commands, {
    hostname: section.hostname,
    port: section.port,
    tokens: section.tokens,
    livePositionHz: section.live_position_hz,
    hosterRoutesWithoutToken: section.hoster_routes_without_token,
    history,
    staticDir: await webDir(),
    version: extra.version,
  });
  try {
    http.start();
  } catch (error) {
    detach();
    throw error;
  }
  server.once("stop").then(async () => {
    detach();
    await http.stop();
  });
  return http;
}

/**
 * Running plugins in a server: the {@linkcode PluginHost} and {@linkcode startPlugins}, which
 * loads what `config.toml` and the command line name.
 *
 * @module
 */
import { dirname, resolve } from "node:path";
import { getLogger } from "@logtape/logtape";
import type { CommandTable } from "../admin/mod.ts";
import type { Config } from "../config/mod.ts";
import type { GhostServer } from "../server/server.ts";
import { PluginHost } from "./host.ts";
import type { PluginHistory } from "./plugin.ts";

export {
  MAX_PLUGIN_CALLS_IN_FLIGHT,
  type PluginFailure,
  PluginHost,
  type PluginHostOptions,
  type PluginInfo,
} from "./host.ts";

const log = getLogger(["ghosting", "plugins"]);

/**
 * Where {@linkcode startPlugins} finds plugins beyond `[plugins] load`, and what it offers them.
 *
 * @example
 * ```ts
 * import { createCommandTable, type StartPluginsOptions } from "@ghosting/server";
 *
 * const options: StartPluginsOptions = {
 *   table: createCommandTable(),
 *   extra: ["./plugins/motd.ts"],
 *   configFile: "config.toml",
 * };
 * ```
 */
export interface StartPluginsOptions {
  /** The admin command table plugin commands join. */
  table: CommandTable;
  /** More modules (`--plugin`), relative to the working directory. */
  extra?: readonly string[];
  /** The config file: `[plugins] load` paths are relative to its directory. */
  configFile?: string;
  /** The server's history, for plugins that record finishes (see {@linkcode PluginHostOptions}). */
  history?: PluginHistory | ((plugin: string) => PluginHistory);
}

/**
 * Creates the plugin host of a server and loads every plugin of `[plugins] load` and `extra`.
 * A plugin that fails to load is logged with its path and the error; the others still load.
 * Call it before {@linkcode GhostServer.start}.
 *
 * @example
 * ```ts
 * import { createCommandTable, defaultConfig, GhostServer, startPlugins } from "@ghosting/server";
 *
 * const config = defaultConfig();
 * const server = new GhostServer({ port: 0 });
 * const host = await startPlugins(server, config, { table: createCommandTable() });
 * await server.start();
 * console.log(host.list().length); // 0
 * await server.stop();
 * ```
 */
export async function startPlugins(
  server: GhostServer,
  config: Config,
  options: StartPluginsOptions,
): Promise<PluginHost> {
  const host = new PluginHost(server, {
    table: options.table,
    admins: config.plugins.admins,
    hookTimeoutMs: config.plugins.hook_timeout_ms,
    sections: config.pluginSections,
    history: options.history,
    baseDir: options.configFile === undefined ? Deno.cwd() : dirname(resolve(options.configFile)),
  });
  for (const specifier of config.plugins.load) await host.load(specifier);
  for (const specifier of options.extra ?? []) await host.load(specifier, Deno.cwd());
  for (const section of host.unusedSections()) {
    log.warn("[plugins.{section}] matches no loaded plugin; check its name", { section });
  }
  return host;
}

/**
 * Which configuration file a command reads: the one named on its command line, else
 * `config.toml` in the directory it was run in when there is one, else the built-in defaults.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { type Config, defaultConfig, loadConfig } from "../config/mod.ts";

/**
 * Loads the configuration `path` names (relative to `base`), or `base/config.toml` when
 * `path` is undefined and that file exists, or the defaults; `source` says which, for the
 * start-up summary.
 */
export async function readConfig(
  base: string,
  path: string | undefined,
): Promise<{ config: Config; source: string }> {
  if (path !== undefined) {
    const absolute = resolve(base, path);
    return { config: await loadConfig(absolute), source: absolute };
  }
  const local = join(base, "config.toml");
  try {
    await Deno.stat(local);
  } catch {
    return { config: defaultConfig(), source: "the built-in defaults" };
  }
  return { config: await loadConfig(local), source: local };
}

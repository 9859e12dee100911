/**
 * `deno task server` / `deno task start`: runs a ghost server from `config.toml` and the
 * command line.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { dispose } from "@logtape/logtape";
import {
  checkValue,
  type Config,
  ConfigError,
  defaultConfig,
  fieldSpec,
  loadConfig,
} from "./config/mod.ts";
import { ListenError } from "./net/listen.ts";
import { setupLogging } from "./logging/setup.ts";
import { GhostServer, optionsFromConfig } from "./server/server.ts";
import { createCommandTable } from "./admin/mod.ts";
import { startHttp } from "./http/mod.ts";

const USAGE = `Usage: deno task server [--config FILE] [--port PORT] [--hostname ADDRESS]

  -c, --config FILE      configuration file (default: ./config.toml if present,
                         otherwise the built-in defaults)
  -p, --port PORT        TCP and UDP port, overrides [server] port (0: any free port)
      --hostname ADDRESS address to listen on, overrides [server] hostname
  -h, --help             show this help`;

/** Thrown for a bad command line; main prints it with the usage. */
class UsageError extends Error {}

async function readConfig(path: string | undefined): Promise<{ config: Config; source: string }> {
  if (path !== undefined) return { config: await loadConfig(path), source: path };
  try {
    await Deno.stat("config.toml");
  } catch {
    return { config: defaultConfig(), source: "the built-in defaults" };
  }
  return { config: await loadConfig("config.toml"), source: "config.toml" };
}

/** Parses the command line and returns the configuration it selects. */
export async function configFromArgs(
  args: string[],
): Promise<{ config: Config; source: string } | undefined> {
  let values;
  try {
    values = parseArgs({
      args,
      options: {
        config: { type: "string", short: "c" },
        port: { type: "string", short: "p" },
        hostname: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return undefined;
  const loaded = await readConfig(values.config);
  if (values.port !== undefined) {
    const port = /^\d+$/.test(values.port) ? Number(values.port) : values.port;
    const problem = checkValue(fieldSpec("server", "port")!, port);
    if (problem) throw new UsageError(`--port ${problem}`);
    loaded.config.server.port = port as number;
  }
  if (values.hostname !== undefined) loaded.config.server.hostname = values.hostname;
  return loaded;
}

async function main(): Promise<number> {
  let loaded;
  try {
    loaded = await configFromArgs(Deno.args);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`error: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      console.error(`error: ${error.message}`);
      return 1;
    }
    throw error;
  }
  if (!loaded) {
    console.log(USAGE);
    return 0;
  }
  const { config, source } = loaded;
  await setupLogging(config.logging);
  const server = new GhostServer(optionsFromConfig(config));
  // Listen for signals before the server starts, so that one arriving right after the
  // "listening" line still stops it gracefully instead of killing the process.
  let stopRequested = false;
  let stopped!: () => void;
  const done = new Promise<void>((resolve) => stopped = resolve);
  const stop = () => {
    // A second Ctrl+C means "now": skip the graceful goodbyes.
    if (stopRequested) Deno.exit(130);
    stopRequested = true;
    console.error("Stopping; press Ctrl+C again to quit at once.");
    if (server.running) server.stop().then(stopped);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    try {
      Deno.addSignalListener(signal, stop);
    } catch {
      // SIGTERM does not exist on Windows.
    }
  }
  try {
    await server.start();
  } catch (error) {
    if (error instanceof ListenError) {
      console.error(`error: ${error.message}`);
      return 1;
    }
    throw error;
  }
  try {
    await startHttp(server, config, createCommandTable());
  } catch (error) {
    console.error(
      `error: [http] cannot listen on ${config.http.hostname}:${config.http.port}: ${
        (error as Error).message
      }`,
    );
    await server.stop();
    return 1;
  }
  // An admin `stop` (console, API, plugin) stops the server without a signal: exit then too.
  server.once("stop").then(stopped);
  console.error(`Configuration: ${source}. Stop with Ctrl+C.`);
  if (stopRequested) server.stop().then(stopped); // the signal came while starting
  await done;
  await dispose(); // flushes the sinks
  return 0;
}

if (import.meta.main) Deno.exit(await main());

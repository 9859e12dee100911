/**
 * `deno task start` (server and console) / `deno task server` (server only): runs a ghost
 * server from `config.toml` and the command line, with its state in the data directory.
 *
 * @module
 */
import { parseArgs } from "node:util";
import process from "node:process";
import { checkValue, type Config, ConfigError, fieldSpec } from "./config/mod.ts";
import { ListenError } from "./net/listen.ts";
import { type Logging, routeConsoleLogs, setupLogging } from "./logging/setup.ts";
import { GhostServer, optionsFromConfig } from "./server/server.ts";

import { dirname, join, resolve } from "node:path";
import { createCommandTable } from "./admin/mod.ts";
import { readConfig } from "./cli/config_file.ts";
import { invocationDirectory } from "./cli/paths.ts";
import { listenForStopSignals, stopRequests } from "./cli/signals.ts";
import { connectHints, settingsLines, stateLine } from "./cli/summary.ts";
import { VERSION_TEXT } from "./cli/version.ts";
import { ADMIN_SOCKET_NAME, AdminSocket, AdminSocketError } from "./console/admin_socket.ts";
import { AdminConsole } from "./console/console.ts";
import { Storage, storageCommands, StorageError } from "./storage/mod.ts";
import { startPlugins } from "./plugins/mod.ts";
import { type HttpApi, startHttp } from "./http/mod.ts";
import { StorageHistory } from "./http/storage_history.ts";

const USAGE = `Usage: deno task start|server [--config FILE] [--port PORT] [--hostname ADDRESS]
                              [--data DIR] [--no-console] [--plugin MODULE]...

  -c, --config FILE      configuration file (default: ./config.toml if present,
                         otherwise the built-in defaults)
  -p, --port PORT        TCP and UDP port, overrides [server] port (0: any free port)
      --hostname ADDRESS address to listen on, overrides [server] hostname
  -d, --data DIR         data directory: the database (DIR/ghosting.db), the admin
                         socket (DIR/admin.sock) and the console history; overrides
                         [storage] path (default: the directory of [storage] path)
      --no-console       do not read commands from standard input (deno task server)
      --plugin MODULE    load a plugin (a file, npm: or jsr: specifier); repeatable,
                         adds to [plugins] load
  -h, --help             show this help
  -v, --version          show the version

Relative paths, on the command line and in the configuration, are relative to the
directory the command was run in. Flags override config.toml, which overrides defaults.
Attach to a running server with: deno task console [--data DIR]`;

/** Thrown for a bad command line; main prints it with the usage. */
class UsageError extends Error {}

/** What the command line selects. */
export interface Invocation {
  config: Config;
  /** Where the configuration came from, for the start-up summary. */
  source: string;
  /** Whether to read commands from standard input. */
  console: boolean;
  /** Plugins named with --plugin, resolved against the invocation directory. */
  plugins: string[];
}

/**
 * Parses the command line and returns the configuration it selects, every relative path
 * resolved against the directory the command was run in, or what to print instead.
 */
export async function configFromArgs(
  args: string[],
  base: string = invocationDirectory(),
): Promise<Invocation | "help" | "version"> {
  let values;
  try {
    values = parseArgs({
      args,
      options: {
        config: { type: "string", short: "c" },
        port: { type: "string", short: "p" },
        hostname: { type: "string" },
        data: { type: "string", short: "d" },
        "no-console": { type: "boolean" },
        plugin: { type: "string", multiple: true },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return "help";
  if (values.version) return "version";
  const loaded = await readConfig(base, values.config);
  const { config } = loaded;
  if (values.port !== undefined) {
    const port = /^\d+$/.test(values.port) ? Number(values.port) : values.port;
    const problem = checkValue(fieldSpec("server", "port")!, port);
    if (problem) throw new UsageError(`--port ${problem}`);
    config.server.port = port as number;
  }
  if (values.hostname !== undefined) config.server.hostname = values.hostname;
  if (values.data !== undefined) {
    if (values.data.trim() === "") throw new UsageError("--data needs a directory");
    config.storage.path = join(values.data, "ghosting.db");
  }
  config.storage.path = resolve(base, config.storage.path);
  config.logging.filename = resolve(base, config.logging.filename);
  const plugins = (values.plugin ?? []).map((specifier) =>
    /^(npm|jsr|https?|file):/.test(specifier) ? specifier : resolve(base, specifier)
  );
  return { config, source: loaded.source, console: !values["no-console"], plugins };
}

async function main(): Promise<number> {
  let invocation;
  try {
    invocation = await configFromArgs(Deno.args);
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
  if (invocation === "help") {
    console.log(USAGE);
    return 0;
  }
  if (invocation === "version") {
    console.log(VERSION_TEXT);
    return 0;
  }
  const { config, source } = invocation;
  let storage: Storage;
  let logging: Logging;
  try {
    logging = await setupLogging(config.logging);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`error: ${error.message}`);
      return 1;
    }
    throw error;
  }
  try {
    storage = Storage.open(config.storage.path, { historyDays: config.storage.history_days });
  } catch (error) {
    if (error instanceof StorageError) {
      console.error(`error: ${error.message}`);
      await logging.close();
      return 1;
    }
    throw error;
  }
  const dataDirectory = dirname(config.storage.path);
  const server = new GhostServer(optionsFromConfig(config));
  logging.watch(server); // refusals and drops summed up per network
  storage.attach(server); // bans, whitelist, accept flags and countdown settings come back
  const commands = createCommandTable();
  for (const command of storageCommands(storage)) commands.register(command);
  const configFile = source === "the built-in defaults" ? undefined : source;
  // One store behind every surface: the console's history/finishes, the HTTP API's routes and
  // the finishes plugins report (with the reporting plugin as the actor).
  const history = new StorageHistory(storage);
  await startPlugins(server, config, {
    table: commands,
    extra: invocation.plugins,
    configFile,
    history: (plugin) => ({ recordFinish: (record) => storage.recordFinish(record, plugin) }),
  });
  // The remote console's socket (Unix sockets: not on Windows, where only the local one runs).
  let admin: AdminSocket | undefined;
  /** What a start that fails from here on closes, in this order. */
  const closeAll = async () => {
    await admin?.close();
    await storage.close();
    await logging.close();
  };
  try {
    if (Deno.build.os !== "windows") {
      admin = await AdminSocket.listen(join(dataDirectory, ADMIN_SOCKET_NAME), server, commands);
    }
  } catch (error) {
    await closeAll();
    if (error instanceof AdminSocketError) {
      console.error(`error: ${error.message}`);
      return 1;
    }
    throw error;
  }
  // Listen for signals before the server starts, so that one arriving right after the
  // "listening" line still stops it gracefully instead of killing the process.
  let stopRequested = false;
  let stopped!: () => void;
  const done = new Promise<void>((resolve) => stopped = resolve);
  // On a terminal, log lines go above the console's prompt (from the "listening" line on,
  // which would otherwise arrive after the first prompt).
  const interactive = invocation.console && Deno.stdin.isTerminal() && Deno.stdout.isTerminal();
  let adminConsole: AdminConsole | undefined;
  const say = (text: string) => {
    if (adminConsole) adminConsole.printAbove(text, process.stderr);
    // A terminal gets the line at once, ordered with the console's prompt; a pipe gets it
    // through the bounded queue, so that a reader that stops never blocks the server.
    else if (interactive) writeStderr(text.endsWith("\n") ? text : `${text}\n`);
    else logging.notice(text.endsWith("\n") ? text.slice(0, -1) : text);
  };
  let unrouteLogs = interactive ? routeConsoleLogs(say) : () => {};
  const requestStop = stopRequests(
    () => {
      stopRequested = true;
      adminConsole?.close(); // no prompt after this; a command still running finishes
      say("Stopping; press Ctrl+C again (after a second) to quit at once.");
      if (server.running) server.stop().then(stopped);
    },
    () => Deno.exit(130), // a second, deliberate Ctrl+C means "now"
  );
  const stopListening = listenForStopSignals(requestStop);
  try {
    await server.start();
  } catch (error) {
    await closeAll();
    if (error instanceof ListenError) {
      console.error(`error: ${error.message}`);
      return 1;
    }
    throw error;
  }
  let http: HttpApi | undefined;
  try {
    http = await startHttp(server, config, commands, { history, version: VERSION_TEXT });
  } catch (error) {
    console.error(
      `error: [http] cannot listen on ${config.http.hostname}:${config.http.port}: ${
        (error as Error).message
      }`,
    );
    await server.stop();
    await closeAll();
    return 1;
  }
  // An admin `stop` (console, API, plugin) stops the server without a signal: exit then too.
  server.once("stop").then(stopped);
  const attach = dataDirectory === resolve(invocationDirectory(), "data")
    ? "deno task console"
    : `deno task console --data ${dataDirectory}`;
  // From here on nothing may write to standard error synchronously: a stopped reader would
  // block the whole server. Log lines and notices go through a bounded, non-blocking queue.
  say(
    [
      `${VERSION_TEXT}; configuration: ${source}; data: ${dataDirectory}`,
      ...settingsLines(config),
      stateLine(server.status()),
      ...connectHints(config.server.hostname, server.port),
      invocation.console
        ? `Commands: type 'help' here, or attach from another terminal with: ${attach}`
        : `Commands: ${attach}. Stop with Ctrl+C.`,
    ].join("\n"),
  );
  if (invocation.console && !stopRequested) {
    const opened = new AdminConsole(server, commands, {
      historyFile: join(dataDirectory, "console_history"),
      onInterrupt: requestStop,
    });
    adminConsole = opened;
    opened.closed.then(() => {
      adminConsole = undefined;
      unrouteLogs();
      unrouteLogs = () => {};
      if (server.running) {
        say(
          "Console input ended; the server keeps running (stop it with Ctrl+C, SIGTERM or: deno task console stop)",
        );
      }
    });
  }
  if (stopRequested) server.stop().then(stopped); // the signal came while starting
  await done;
  stopListening();
  unrouteLogs();
  await adminConsole?.close();
  await admin?.close();
  await http?.stop(); // requests in flight read the database: let them finish first
  await storage.close();
  await logging.close(); // the summaries, then the sinks
  return 0;
}

/** Writes to standard error at once, so that it is ordered with the terminal console's output. */
function writeStderr(text: string): void {
  const bytes = new TextEncoder().encode(text);
  for (let at = 0; at < bytes.length;) at += Deno.stderr.writeSync(bytes.subarray(at));
}

if (import.meta.main) Deno.exit(await main());

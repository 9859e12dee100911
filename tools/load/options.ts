/**
 * The load generator's command line.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { isIpv4Loopback, MAX_CLIENTS } from "./addresses.ts";
import type { ServerStderr } from "./server_process.ts";
import {
  ATTACK_HELP,
  type AttackName,
  ATTACKS,
  MAX_ATTACK_CONNECTIONS,
  MAX_ATTACK_RATE,
} from "./attacks.ts";

/** Settings of one load run. */
export interface LoadOptions {
  clients: number;
  /** Share of clients that are TCP-only (0…1). */
  tcpOnlyRatio: number;
  /** Milliseconds between two UPDATEs of one client. */
  rateMs: number;
  /** Length of the measured window, after the warm-up. */
  seconds: number;
  /** Seconds of traffic before the window opens, not counted. */
  warmupSeconds: number;
  /** Number of distinct maps; client i is on map i mod maps. */
  maps: number;
  /** Server port; undefined with --spawn means "pick a free one". */
  port: number | undefined;
  spawn: boolean;
  /** Pid of an already running server to measure. */
  pid: number | undefined;
  /** Server address (IPv4 loopback). */
  host: string;
  /** Configuration file for the spawned server. */
  config: string | undefined;
  /** How many receivers measure staleness. */
  stalenessReceivers: number;
  /** Live channel viewers subscribed to positions (needs --spawn and an [http] config). */
  viewers: number;
  /** The attack run during the measured window, if any. */
  attack: AttackName | undefined;
  /** The attack's connections and rate; undefined: the scenario's defaults. */
  attackConnections: number | undefined;
  attackRate: number | undefined;
  /** Milliseconds between two newcomers trying to join during the window; 0 for none. */
  newcomerMs: number;
  /** Seconds after the window (attack over, players still on) before memory is read again. */
  cooldownSeconds: number;
  /** What becomes of the spawned server's standard error once it listens. */
  serverStderr: ServerStderr;
}

/** A bad command line; the message names the flag. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The help text. */
export const USAGE =
  `Usage: deno task load -- --clients N [--tcp-only-ratio R] [--rate-ms MS] [--seconds S]
         [--warmup-seconds S] [--maps M] [--port P | --spawn] [--pid PID] [--host ADDRESS]
         [--config FILE] [--staleness-receivers K] [--viewers V]
         [--attack NAME [--attack-connections N] [--attack-rate R]] [--newcomer-ms MS]
         [--cooldown-seconds S] [--server-stderr read|stopped|closed]

Runs N SAR-like clients against a ghost server on this machine, each from its own loopback
address, and reports bulk update rate, staleness, bytes, drops and the server's CPU and memory.

  --clients N               clients to run (1-${MAX_CLIENTS})
  --tcp-only-ratio R        share of clients that are TCP-only, 0 to 1 (default 0.25)
  --rate-ms MS              milliseconds between two UPDATEs of one client (default 50)
  --seconds S               length of the measured window (default 20)
  --warmup-seconds S        traffic before the window opens, not counted (default 2)
  --maps M                  distinct maps; client i is on map i mod M (default 1)
  --port P                  server port (default 53000; with --spawn: a free port)
  --spawn                   start the server (src/main.ts) and stop it at the end
  --pid PID                 measure CPU, memory and UDP drops of this running server
  --host ADDRESS            server address, an IPv4 loopback address (default 127.0.0.1)
  --config FILE             configuration file for the spawned server (needs --spawn)
  --staleness-receivers K   clients that measure staleness, 0 for none (default 16)
  --viewers V               live channel viewers subscribed to positions (default 0); needs
                            --spawn and a --config with [http] enabled and a token, e.g.
                            bench/configs/http_viewers.toml
  --attack NAME             run this attack during the measured window, in a process of its
                            own, from 127.50.x.y (see below)
  --attack-connections N    the attack's connections at once (default: per attack)
  --attack-rate R           the attack's events per second (default: per attack)
  --newcomer-ms MS          a newcomer tries to join every MS during the window, 0 for none
                            (default 2500 with --attack, else 0)
  --cooldown-seconds S      after the window, keep the players on S more seconds, then read
                            the server's memory again (default 10 with --attack, else 0)
  --server-stderr MODE      once the spawned server listens, keep reading its standard error
                            ("read", the default), stop reading it ("stopped": the pipe fills
                            up) or close it ("closed": its writes fail with EPIPE)
  -h, --help                show this help

Attacks:
${ATTACK_HELP}`;

function integer(flag: string, text: string | undefined, min: number, max: number): number;
function integer(
  flag: string,
  text: string | undefined,
  min: number,
  max: number,
  fallback: number | undefined,
): number | undefined;
function integer(
  flag: string,
  text: string | undefined,
  min: number,
  max: number,
  fallback?: number,
): number | undefined {
  if (text === undefined) return fallback;
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`Flag --${flag} must be an integer from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

function decimal(
  flag: string,
  text: string | undefined,
  min: number,
  max: number,
  fallback: number,
): number {
  if (text === undefined) return fallback;
  const value = /^\d+(\.\d+)?$|^\.\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`Flag --${flag} must be a number from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

/**
 * Parses the command line; undefined means "--help was asked for".
 *
 * @throws {UsageError} naming the flag that is wrong
 */
export function parseOptions(args: string[]): LoadOptions | undefined {
  // `deno task load -- --clients 5` passes the "--" on to the script; without this,
  // parseArgs would take every flag after it for a positional argument.
  const flags = args[0] === "--" ? args.slice(1) : args;
  let values;
  try {
    values = parseArgs({
      args: flags,
      options: {
        clients: { type: "string" },
        "tcp-only-ratio": { type: "string" },
        "rate-ms": { type: "string" },
        seconds: { type: "string" },
        "warmup-seconds": { type: "string" },
        maps: { type: "string" },
        port: { type: "string" },
        spawn: { type: "boolean" },
        pid: { type: "string" },
        host: { type: "string" },
        config: { type: "string" },
        "staleness-receivers": { type: "string" },
        viewers: { type: "string" },
        attack: { type: "string" },
        "attack-connections": { type: "string" },
        "attack-rate": { type: "string" },
        "newcomer-ms": { type: "string" },
        "cooldown-seconds": { type: "string" },
        "server-stderr": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\.$/, ""));
  }
  if (values.help) return undefined;
  if (values.clients === undefined) {
    throw new UsageError("Flag --clients is required: say how many clients to run");
  }
  const spawn = values.spawn ?? false;
  const host = values.host ?? "127.0.0.1";
  if (!isIpv4Loopback(host)) {
    throw new UsageError(
      `Flag --host must be an IPv4 loopback address such as 127.0.0.1, got "${host}"`,
    );
  }
  if (values.pid !== undefined && spawn) {
    throw new UsageError(
      "Flag --pid cannot be combined with --spawn, which measures its own server",
    );
  }
  if (values.config !== undefined && !spawn) {
    throw new UsageError("Flag --config needs --spawn: it configures the spawned server");
  }
  const port = integer("port", values.port, 1, 65535, spawn ? undefined : 53000);
  const viewers = integer("viewers", values.viewers, 0, 100, 0)!;
  if (viewers > 0 && values.config === undefined) {
    throw new UsageError(
      "Flag --viewers needs --spawn and --config with [http] enabled and a token, e.g. bench/configs/http_viewers.toml",
    );
  }
  const attack = values.attack as AttackName | undefined;
  if (attack !== undefined && !ATTACKS.includes(attack)) {
    throw new UsageError(`Flag --attack must be one of ${ATTACKS.join(", ")}, got "${attack}"`);
  }
  const serverStderr = (values["server-stderr"] ?? "read") as ServerStderr;
  if (!["read", "stopped", "closed"].includes(serverStderr)) {
    throw new UsageError(
      `Flag --server-stderr must be read, stopped or closed, got "${serverStderr}"`,
    );
  }
  if (serverStderr !== "read" && !spawn) {
    throw new UsageError("Flag --server-stderr needs --spawn: it is about the spawned server");
  }
  if (attack === undefined) {
    for (const flag of ["attack-connections", "attack-rate"] as const) {
      if (values[flag] !== undefined) throw new UsageError(`Flag --${flag} needs --attack`);
    }
  }
  return {
    clients: integer("clients", values.clients, 1, MAX_CLIENTS),
    tcpOnlyRatio: decimal("tcp-only-ratio", values["tcp-only-ratio"], 0, 1, 0.25),
    rateMs: integer("rate-ms", values["rate-ms"], 1, 60_000, 50)!,
    seconds: decimal("seconds", values.seconds, 0.5, 3600, 20),
    warmupSeconds: decimal("warmup-seconds", values["warmup-seconds"], 0, 600, 2),
    maps: integer("maps", values.maps, 1, 1000, 1)!,
    port,
    spawn,
    pid: integer("pid", values.pid, 1, 2 ** 31 - 1, undefined),
    host,
    config: values.config,
    stalenessReceivers: integer("staleness-receivers", values["staleness-receivers"], 0, 1e6, 16)!,
    viewers,
    attack,
    attackConnections: integer(
      "attack-connections",
      values["attack-connections"],
      0,
      MAX_ATTACK_CONNECTIONS,
      undefined,
    ),
    attackRate: integer("attack-rate", values["attack-rate"], 1, MAX_ATTACK_RATE, undefined),
    newcomerMs: integer("newcomer-ms", values["newcomer-ms"], 0, 600_000, attack ? 2500 : 0)!,
    cooldownSeconds: decimal(
      "cooldown-seconds",
      values["cooldown-seconds"],
      0,
      600,
      attack ? 10 : 0,
    ),
    serverStderr,
  };
}

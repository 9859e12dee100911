/**
 * One attack, as a process of its own: `deno run --allow-net tools/load/attack.ts --attack NAME
 * --port P --seconds S [...]`. The load generator runs it next to the legitimate players, so
 * the attacker's CPU never comes out of theirs; it prints one JSON {@linkcode AttackReport}
 * on standard output when done. It can also be run by hand against any loopback server.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  ATTACK_HELP,
  type AttackName,
  type AttackOptions,
  ATTACKS,
  MAX_ATTACK_CONNECTIONS,
  MAX_ATTACK_RATE,
  runAttack,
} from "./attacks.ts";

const USAGE = `Usage: deno run --allow-net tools/load/attack.ts --attack NAME --port P [--host H]
         [--seconds S] [--connections N] [--rate R] [--victims A,B,…] [--max-id N]

Attacks (each bounded in count, rate and time; attackers use 127.50.x.y):
${ATTACK_HELP}`;

/** Parses the command line; undefined for --help. */
export function parseAttackArgs(args: string[]): (AttackOptions & { seconds: number }) | undefined {
  const { values } = parseArgs({
    args,
    options: {
      attack: { type: "string" },
      host: { type: "string" },
      port: { type: "string" },
      seconds: { type: "string" },
      connections: { type: "string" },
      rate: { type: "string" },
      victims: { type: "string" },
      "max-id": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return undefined;
  const name = values.attack as AttackName;
  if (!ATTACKS.includes(name)) {
    throw new RangeError(
      `Flag --attack must be one of ${ATTACKS.join(", ")}, got "${values.attack}"`,
    );
  }
  const number = (flag: string, text: string | undefined, max: number) => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!(value >= 0 && value <= max)) {
      throw new RangeError(`Flag --${flag} must be a number from 0 to ${max}, got "${text}"`);
    }
    return value;
  };
  const port = number("port", values.port, 65535);
  if (!port) throw new RangeError("Flag --port is required: the server's port");
  return {
    name,
    host: values.host ?? "127.0.0.1",
    port,
    seconds: number("seconds", values.seconds, 3600) ?? 20,
    connections: number("connections", values.connections, MAX_ATTACK_CONNECTIONS),
    rate: number("rate", values.rate, MAX_ATTACK_RATE),
    victims: values.victims ? values.victims.split(",") : [],
    maxId: number("max-id", values["max-id"], 100_000),
  };
}

async function main(): Promise<number> {
  let options;
  try {
    options = parseAttackArgs(Deno.args);
  } catch (error) {
    console.error(`error: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (!options) {
    console.log(USAGE);
    return 0;
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.seconds * 1000);
  // SIGTERM or SIGINT from the load generator ends the attack early, tidily.
  const stop = () => controller.abort();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  const report = await runAttack(options, controller.signal);
  clearTimeout(timer);
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  console.log(JSON.stringify(report));
  return 0;
}

if (import.meta.main) Deno.exit(await main());

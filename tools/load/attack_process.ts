/**
 * Running one attack (`attack.ts`) as a child process during the measured window: its CPU is
 * then the attacker's, not the measuring clients', as it would be on a real server.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import type { AttackName, AttackReport } from "./attacks.ts";
import { stopChild } from "./stop_child.ts";

const ATTACK_SCRIPT = fileURLToPath(new URL("./attack.ts", import.meta.url));

/** What to run. */
export interface AttackProcessOptions {
  name: AttackName;
  host: string;
  port: number;
  /** Upper bound on its length; {@linkcode AttackProcess.stop} normally ends it sooner. */
  seconds: number;
  connections?: number;
  rate?: number;
  victims: readonly string[];
  maxId: number;
}

/** A running attack process. */
export class AttackProcess {
  readonly #child: Deno.ChildProcess;
  readonly #output: Promise<string>;

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#output = new Response(child.stdout).text();
  }

  /** Starts the attack; it stops by itself after `seconds` at the latest. */
  static start(options: AttackProcessOptions): AttackProcess {
    const args = [
      "run",
      "--allow-net",
      ATTACK_SCRIPT,
      "--attack",
      options.name,
      "--host",
      options.host,
      "--port",
      String(options.port),
      "--seconds",
      String(options.seconds),
      "--max-id",
      String(options.maxId),
    ];
    if (options.connections !== undefined) args.push("--connections", String(options.connections));
    if (options.rate !== undefined) args.push("--rate", String(options.rate));
    if (options.victims.length > 0) args.push("--victims", options.victims.join(","));
    const child = new Deno.Command(Deno.execPath(), {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    return new AttackProcess(child);
  }

  /** Ends the attack (SIGTERM; SIGKILL after `timeoutMs`) and returns its report, if any. */
  async stop(timeoutMs: number): Promise<AttackReport | null> {
    await stopChild(this.#child, "SIGTERM", timeoutMs);
    const output = await this.#output;
    try {
      return JSON.parse(output.trim().split("\n").at(-1) ?? "") as AttackReport;
    } catch {
      return null;
    }
  }
}

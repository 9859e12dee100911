/**
 * Newcomers during an attack: every few seconds a player from a fresh address tries to join,
 * as SAR does, and leaves again. Whether each one got in is what "nobody new can join"
 * measures.
 *
 * @module
 */
import { ConnectionRefusedError, SarClient } from "../../src/client/sar_client.ts";
import { loopbackAddress } from "./addresses.ts";

/** What the newcomers saw. */
export interface NewcomerReport {
  attempted: number;
  joined: number;
  /** Why the others did not: the server's explanation, or what happened → count. */
  failures: Record<string, number>;
}

/** The address of newcomer `index`: 127.2.0.1, 127.2.0.2, … (not the players', not attackers'). */
export function newcomerAddress(index: number): string {
  return loopbackAddress(2, index);
}

/** How long a newcomer waits for the reply (SAR: 5 s for TCP, then 30 s). */
const JOIN_TIMEOUT_MS = 5000;
/** How long a newcomer stays before leaving. */
const STAY_MS = 500;

/** Lets a newcomer try to join every `intervalMs` until {@linkcode Newcomers.stop}. */
export class Newcomers {
  readonly #report: NewcomerReport = { attempted: 0, joined: 0, failures: {} };
  readonly #pending = new Set<Promise<void>>();
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(host: string, port: number, intervalMs: number) {
    this.#timer = setInterval(() => {
      const attempt = this.#join(host, port, this.#report.attempted++);
      this.#pending.add(attempt);
      attempt.finally(() => this.#pending.delete(attempt));
    }, intervalMs);
  }

  async #join(host: string, port: number, index: number): Promise<void> {
    try {
      const client = await SarClient.connect({
        host,
        port,
        name: `newcomer${index}`,
        localAddress: newcomerAddress(index),
        timeoutMs: JOIN_TIMEOUT_MS,
      });
      this.#report.joined++;
      await new Promise((resolve) => setTimeout(resolve, STAY_MS));
      await client.disconnect();
    } catch (error) {
      const reason = error instanceof ConnectionRefusedError
        ? (error.explanation || error.message)
        : String(error);
      this.#report.failures[reason] = (this.#report.failures[reason] ?? 0) + 1;
    }
  }

  /** Stops starting new attempts, waits for those under way, and reports. */
  async stop(): Promise<NewcomerReport> {
    clearInterval(this.#timer);
    await Promise.all([...this.#pending]);
    return this.#report;
  }
}

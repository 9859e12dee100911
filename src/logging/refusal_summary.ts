/**
 * Refusals and drops summed up per network and reason: under a flood the log gets one line per
 * (network, reason) every few seconds ("1987 connections from 127.50.0.0/16 refused
 * (handshake_timeout) in the last 10 s") instead of one per connection or packet.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { Clock, TimerId } from "../clock.ts";
import type { GhostServer, Unsubscribe } from "../server/mod.ts";
import { addressPrefix } from "./address_prefix.ts";
import { SUMMARY_CATEGORY } from "./log_gate.ts";

const log = getLogger([...SUMMARY_CATEGORY]);

/** The part of the server's public API the summaries listen to. */
export type RefusalSource = Pick<GhostServer, "on">;

/** Options of {@linkcode RefusalSummary}. */
export interface RefusalSummaryOptions {
  /** How long a window is, in milliseconds. */
  intervalMs: number;
  /** (network, reason) pairs reported one by one per window; the rest are summed up. */
  maxLines?: number;
  clock: Clock;
}

const OTHER = "other networks";

/**
 * Counts refusals and drops per /16 (IPv4) or /48 (IPv6) network and reason, and at the end of
 * each window in which any happened logs, at info, one line per pair seen more than once
 * (a single one is already in the log as it is). At most `maxLines` pairs per window are
 * reported by name; the others are summed up as "other networks". Windows start with the
 * first event, so an idle server has no timer running.
 */
export class RefusalSummary {
  readonly #intervalMs: number;
  readonly #maxLines: number;
  readonly #clock: Clock;
  readonly #refused = new Map<string, number>();
  readonly #dropped = new Map<string, number>();
  readonly #unsubscribe: Unsubscribe[] = [];
  #timer: TimerId | undefined;

  /** @throws {RangeError} when `intervalMs` is not positive */
  constructor(options: RefusalSummaryOptions) {
    if (!(options.intervalMs > 0)) {
      throw new RangeError(`intervalMs must be positive, got ${options.intervalMs}`);
    }
    this.#intervalMs = options.intervalMs;
    this.#maxLines = options.maxLines ?? 32;
    this.#clock = options.clock;
  }

  /** Starts counting the refusals and drops of `server`. */
  watch(server: RefusalSource): void {
    this.#unsubscribe.push(
      server.on("refuse", ({ ip, reason }) => this.#count(this.#refused, ip, reason)),
      server.on("drop", ({ ip, reason }) => this.#count(this.#dropped, ip, reason)),
    );
  }

  /** Logs what the current window holds and stops listening. */
  close(): void {
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    this.flush();
  }

  /** Logs what the current window holds now, and starts a new window. */
  flush(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const seconds = Math.round(this.#intervalMs / 1000);
    report(
      this.#refused,
      (count, network, reason) =>
        log.info("{count} connections from {network} refused ({reason}) in the last {seconds} s", {
          count,
          network,
          reason,
          seconds,
        }),
    );
    report(
      this.#dropped,
      (count, network, reason) =>
        log.info("{count} packets from {network} dropped ({reason}) in the last {seconds} s", {
          count,
          network,
          reason,
          seconds,
        }),
    );
  }

  #count(counts: Map<string, number>, ip: string, reason: string): void {
    let key = `${addressPrefix(ip)} ${reason}`;
    if (!counts.has(key) && counts.size >= this.#maxLines) key = `${OTHER} ${reason}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    this.#timer ??= this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.flush();
    }, this.#intervalMs);
  }
}

function report(
  counts: Map<string, number>,
  line: (count: number, network: string, reason: string) => void,
): void {
  for (const [key, count] of counts) {
    const split = key.lastIndexOf(" ");
    if (count > 1) line(count, key.slice(0, split), key.slice(split + 1));
  }
  counts.clear();
}

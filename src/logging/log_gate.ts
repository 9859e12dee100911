/**
 * The gate every log line passes before any sink: it keeps one kind of line, or one network,
 * from flooding the logs (and rotating the start-up line and who connected from where out of
 * the log files), and bounds the player-supplied text in the lines it lets through.
 *
 * @module
 */
import type { LogRecord, Sink } from "@logtape/logtape";
import type { Clock, TimerId } from "../clock.ts";
import { addressPrefix } from "./address_prefix.ts";
import { boundText } from "./bounded_text.ts";

/**
 * Where a line comes from, as the rate limits see it. Lines players cause (chat, map changes,
 * connections, refusals, drops) each have their own budget, so a flood of one never starves
 * another, and none of them can starve `server` lines (start-up, admin actions, errors).
 * `summary` lines are the gate's and the summaries' own: bounded by construction, never limited.
 */
export type LogSource =
  | "chat"
  | "player"
  | "connection"
  | "refusal"
  | "drop"
  | "server"
  | "summary";

/** Log categories whose lines are summaries, bounded in number per window by their makers. */
export const SUMMARY_CATEGORY = ["ghosting", "summary"] as const;

/** Message templates of the server's lines that players cause, by prefix. */
const TEMPLATE_SOURCES: readonly [string, LogSource][] = [
  ["[message] ", "chat"],
  ["{name} is now on ", "player"],
  ["{name} finished in ", "player"],
  ["Connection: ", "connection"],
  ["Disconnected: ", "connection"],
  ["Refused connection ", "refusal"],
  ["Dropped ", "drop"],
  // Two UDP ports speaking for one player (part A's UDP identity rules): a drop, caused remotely.
  ["UDP conflict ", "drop"],
];

/** The {@linkcode LogSource} of a record, from its category and message template. */
export function sourceOf(record: LogRecord): LogSource {
  if (
    record.category.length >= SUMMARY_CATEGORY.length &&
    SUMMARY_CATEGORY.every((part, i) => record.category[i] === part)
  ) {
    return "summary";
  }
  const template = typeof record.rawMessage === "string"
    ? record.rawMessage
    : record.rawMessage.join("{}");
  for (const [prefix, source] of TEMPLATE_SOURCES) {
    if (template.startsWith(prefix)) return source;
  }
  return "server";
}

/**
 * The network a record is about: the /16 or /48 of its `ip` (or of the address in `who`),
 * else its player `name`, else "" (one budget for the whole source).
 */
export function networkOf(record: LogRecord): string {
  const { ip, who, name } = record.properties;
  if (typeof ip === "string") return addressPrefix(ip);
  if (typeof who === "string") return addressPrefix(who.slice(who.lastIndexOf("@ ") + 1).trim());
  if (typeof name === "string") return `name ${boundText(name, 32)}`;
  return "";
}

/** Options of {@linkcode LogGate}. */
export interface LogGateOptions {
  /** The sinks lines go to once through the gate; one failing never stops the others. */
  sinks: readonly Sink[];
  /** Lines per second each network may log per source; each source as a whole may log 3×. */
  linesPerSecond: number;
  /** How many seconds' worth of lines may come at once (the bucket size). Default 10. */
  burstSeconds?: number;
  /** Player-supplied strings longer than this are cut and their size noted. */
  maxTextChars: number;
  /** How often what was held back is summed up, in milliseconds. */
  summaryIntervalMs: number;
  /** Networks tracked per source; more share one budget. Default 256. */
  maxNetworks?: number;
  /** Time for the buckets and the summary timer. */
  clock: Clock;
}

interface Bucket {
  tokens: number;
  updated: number;
}

/** What one source held back in the current window. */
interface Held {
  count: number;
  byNetwork: Map<string, number>;
}

const OTHER_NETWORKS = "other networks";

/**
 * Rate-limits, bounds and fans out log records. Use {@linkcode LogGate.sink} as the only
 * logtape sink of the `ghosting` categories.
 *
 * Each (source, network) pair has a token bucket of `linesPerSecond` (bursts of
 * `burstSeconds` worth), and each source one of three times that for all networks together.
 * A line that finds either empty is counted, not written; once per `summaryIntervalMs` one
 * line says how many lines of each source were held back and from which network most.
 * Everything is O(1) per line held back, so a flood costs little more than the counting.
 */
export class LogGate {
  readonly #sinks: readonly Sink[];
  readonly #rate: number;
  readonly #burst: number;
  readonly #maxTextChars: number;
  readonly #intervalMs: number;
  readonly #maxNetworks: number;
  readonly #clock: Clock;
  readonly #buckets = new Map<string, Bucket>();
  readonly #sourceBuckets = new Map<LogSource, Bucket>();
  readonly #held = new Map<LogSource, Held>();
  #timer: TimerId | undefined;
  #closed = false;

  /** @throws {RangeError} when a number is not positive */
  constructor(options: LogGateOptions) {
    for (const key of ["linesPerSecond", "maxTextChars", "summaryIntervalMs"] as const) {
      if (!(options[key] > 0)) throw new RangeError(`${key} must be positive, got ${options[key]}`);
    }
    this.#sinks = options.sinks;
    this.#rate = options.linesPerSecond / 1000;
    this.#burst = options.linesPerSecond * (options.burstSeconds ?? 10);
    this.#maxTextChars = options.maxTextChars;
    this.#intervalMs = options.summaryIntervalMs;
    this.#maxNetworks = options.maxNetworks ?? 256;
    this.#clock = options.clock;
  }

  /** The logtape sink: give it to `configure`. */
  readonly sink: Sink = (record) => this.#accept(record);

  /** Lines held back so far in this window, per source (for tests and reports). */
  get held(): Partial<Record<LogSource, number>> {
    return Object.fromEntries([...this.#held].map(([source, held]) => [source, held.count]));
  }

  /** Writes the pending summary now and stops the timer; later lines pass unlimited. */
  close(): void {
    this.#summarize();
    this.#closed = true;
  }

  #accept(record: LogRecord): void {
    const source = sourceOf(record);
    if (source !== "summary" && !this.#closed) {
      const network = networkOf(record);
      if (!this.#admit(source, network)) {
        this.#hold(source, network);
        return;
      }
    }
    this.#write(boundRecord(record, this.#maxTextChars));
  }

  #admit(source: LogSource, network: string): boolean {
    const now = this.#clock.now();
    let sourceBucket = this.#sourceBuckets.get(source);
    if (!sourceBucket) {
      sourceBucket = { tokens: this.#burst * 3, updated: now };
      this.#sourceBuckets.set(source, sourceBucket);
    }
    const key = `${source} ${network}`;
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      if (this.#buckets.size >= this.#maxNetworks * 7 && network !== OTHER_NETWORKS) {
        // Too many networks to track one by one: the rest share one budget.
        return this.#admit(source, OTHER_NETWORKS);
      }
      bucket = { tokens: this.#burst, updated: now };
      this.#buckets.set(key, bucket);
    }
    refill(sourceBucket, now, this.#rate * 3, this.#burst * 3);
    refill(bucket, now, this.#rate, this.#burst);
    if (bucket.tokens < 1 || sourceBucket.tokens < 1) return false;
    bucket.tokens--;
    sourceBucket.tokens--;
    return true;
  }

  #hold(source: LogSource, network: string): void {
    let held = this.#held.get(source);
    if (!held) {
      held = { count: 0, byNetwork: new Map() };
      this.#held.set(source, held);
    }
    held.count++;
    const key = held.byNetwork.has(network) || held.byNetwork.size < this.#maxNetworks
      ? network
      : OTHER_NETWORKS;
    held.byNetwork.set(key, (held.byNetwork.get(key) ?? 0) + 1);
    this.#timer ??= this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#summarize();
    }, this.#intervalMs);
  }

  #summarize(): void {
    if (this.#timer !== undefined) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#held.size === 0) return;
    const parts: string[] = [];
    for (const [source, held] of this.#held) {
      let top = "";
      let topCount = 0;
      for (const [network, count] of held.byNetwork) {
        if (count > topCount) [top, topCount] = [network, count];
      }
      const from = top === "" ? "" : ` (${topCount} from ${top})`;
      parts.push(`${held.count} ${source} lines${from}`);
    }
    this.#held.clear();
    // Buckets refilled to the brim are as good as new: forget them, so the map stays small.
    const now = this.#clock.now();
    for (const [key, bucket] of this.#buckets) {
      refill(bucket, now, this.#rate, this.#burst);
      if (bucket.tokens >= this.#burst) this.#buckets.delete(key);
    }
    const seconds = Math.round(this.#intervalMs / 1000);
    this.#write(summaryRecord(
      "Log rate limit: not logged in the last {seconds} s: {held}",
      { seconds, held: parts.join(", ") },
      "warning",
    ));
  }

  #write(record: LogRecord): void {
    for (const sink of this.#sinks) {
      try {
        sink(record);
      } catch {
        // A sink that fails (disk full, …) must not throw into the code that logged.
      }
    }
  }
}

function refill(bucket: Bucket, now: number, perMs: number, max: number): void {
  if (now > bucket.updated) {
    bucket.tokens = Math.min(max, bucket.tokens + (now - bucket.updated) * perMs);
    bucket.updated = now;
  }
}

/** A record whose string values are {@linkcode boundText}ed; the same record when none need it. */
export function boundRecord(record: LogRecord, maxChars: number): LogRecord {
  let message: unknown[] | undefined;
  for (let i = 1; i < record.message.length; i += 2) {
    const value = record.message[i];
    if (typeof value !== "string") continue;
    const bounded = boundText(value, maxChars);
    if (bounded === value) continue;
    message ??= [...record.message];
    message[i] = bounded;
  }
  let properties: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(record.properties)) {
    if (typeof value !== "string") continue;
    const bounded = boundText(value, maxChars);
    if (bounded === value) continue;
    properties ??= { ...record.properties };
    properties[key] = bounded;
  }
  if (!message && !properties) return record;
  return {
    ...record,
    message: message ?? record.message,
    properties: properties ?? record.properties,
  };
}

/** A record of the `ghosting.summary` category, as the gate and the summaries write them. */
export function summaryRecord(
  template: string,
  properties: Record<string, unknown>,
  level: LogRecord["level"] = "info",
): LogRecord {
  const message: unknown[] = [];
  let rest = template;
  for (let match; (match = /\{(\w+)\}/.exec(rest));) {
    message.push(rest.slice(0, match.index), properties[match[1]]);
    rest = rest.slice(match.index + match[0].length);
  }
  message.push(rest);
  return {
    category: SUMMARY_CATEGORY,
    level,
    message,
    rawMessage: template,
    timestamp: Date.now(),
    properties,
  };
}

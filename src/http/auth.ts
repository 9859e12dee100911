/**
 * Bearer tokens: constant-time lookup, scopes, and the lockout of an IP that keeps guessing.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import type { HttpToken, HttpTokenScope } from "../config/mod.ts";

/** Failed attempts from one IP within {@linkcode LOCKOUT_WINDOW_MS} that lock it out. */
export const LOCKOUT_FAILURES = 10;
/** The window failures are counted in, and how long a lockout lasts. */
export const LOCKOUT_WINDOW_MS = 60_000;
/** IPs tracked at most; beyond it the oldest records are forgotten (memory stays bounded). */
const MAX_TRACKED_IPS = 10_000;

const encoder = new TextEncoder();

/** Compares two byte strings in time that depends only on their lengths. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/** The configured tokens; a lookup compares the candidate with every one of them in full. */
export class TokenStore {
  readonly #tokens: { token: HttpToken; bytes: Uint8Array }[];

  constructor(tokens: readonly HttpToken[]) {
    this.#tokens = tokens.map((token) => ({ token, bytes: encoder.encode(token.token) }));
  }

  /** The token whose secret is `candidate`, or undefined. Never returns early. */
  find(candidate: string): HttpToken | undefined {
    const bytes = encoder.encode(candidate);
    let found: HttpToken | undefined;
    for (const entry of this.#tokens) {
      if (sameBytes(entry.bytes, bytes)) found = entry.token;
    }
    return found;
  }
}

/** Whether `scope` may do what `needed` requires. */
export function allows(scope: HttpTokenScope, needed: HttpTokenScope): boolean {
  return scope === "admin" || needed === "read";
}

/** What a locked-out caller is told, over HTTP and on the live channel. */
export function lockedOutMessage(ms: number): string {
  return `Too many bad tokens from your address; try again in ${Math.ceil(ms / 1000)} s`;
}

interface Failures {
  times: number[];
  lockedUntil: number;
}

/** Counts bad tokens by IP: {@linkcode LOCKOUT_FAILURES} within a minute lock the IP for a minute. */
export class Lockout {
  readonly #clock: Clock;
  readonly #byIp = new Map<string, Failures>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Milliseconds until `ip` may try again; 0 when it is not locked out. */
  lockedFor(ip: string): number {
    const record = this.#byIp.get(ip);
    if (!record) return 0;
    return Math.max(0, record.lockedUntil - this.#clock.now());
  }

  /** Records a bad token from `ip`; true when that locked it out. */
  fail(ip: string): boolean {
    const now = this.#clock.now();
    let record = this.#byIp.get(ip);
    if (record) {
      this.#byIp.delete(ip); // re-inserted below: the map stays ordered by last failure
    } else {
      record = { times: [], lockedUntil: 0 };
      if (this.#byIp.size >= MAX_TRACKED_IPS) this.#forgetOldest(now);
    }
    this.#byIp.set(ip, record);
    record.times = record.times.filter((time) => now - time < LOCKOUT_WINDOW_MS);
    record.times.push(now);
    if (record.times.length >= LOCKOUT_FAILURES) {
      record.lockedUntil = now + LOCKOUT_WINDOW_MS;
      record.times = [];
      return true;
    }
    return false;
  }

  #forgetOldest(now: number): void {
    for (const [ip, record] of this.#byIp) {
      if (this.#byIp.size < MAX_TRACKED_IPS) return;
      if (record.lockedUntil <= now || this.#byIp.size >= MAX_TRACKED_IPS) this.#byIp.delete(ip);
    }
  }
}

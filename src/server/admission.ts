/**
 * Fair admission of new connections, before a byte of them is read: per-address caps on
 * connections per second and on handshakes in progress, and a global cap on handshakes in
 * progress. A flood from one address is refused at the door. A flood from many addresses
 * cannot keep others out: when the global cap is reached, the oldest pending handshake of the
 * network (IPv4 /24, IPv6 /48) with the most pending handshakes makes room. A newcomer from
 * elsewhere is never the one evicted, even when the flood is so fast that the newcomer's
 * CONNECT, already sent, has not been read yet.
 *
 * Handshake timeouts share one timer. Every handshake gets the same timeout, so the pending
 * handshakes, kept in the order they started, are also in the order they fall due: the timer
 * is set for the oldest. A connection flood makes thousands of handshakes fall due within
 * milliseconds; they are timed out {@linkcode EXPIRE_BATCH} at a time, one batch per turn of
 * the event loop, so the 50 ms bulk update never waits behind them. (A timer per connection
 * cost memory per connection, and its callbacks ran back to back.)
 *
 * @module
 */
import type { Clock, TimerId } from "../clock.ts";
import type { LimitsSection } from "../config/mod.ts";
import type { TcpConnection } from "../net/tcp_connection.ts";
import type { Handshake } from "./handshake.ts";
import type { RefusalReason } from "./reasons.ts";
import { TokenBucket } from "./token_bucket.ts";

/** How often the per-address rate buckets that are full again are forgotten. */
const SWEEP_INTERVAL_MS = 10_000;

/** Handshakes timed out per turn of the event loop; the rest follow in the next turns. */
export const EXPIRE_BATCH = 64;

interface Pending {
  ip: string;
  prefix: string;
  /** When it times out, on the clock. */
  deadline: number;
  handshake: Handshake;
}

/**
 * The network an address belongs to, for fairness between networks: the first three octets
 * of IPv4 (/24), the first three groups of IPv6 (/48). `ip` is in canonical form.
 */
export function networkOf(ip: string): string {
  if (!ip.includes(":")) return ip.slice(0, ip.lastIndexOf("."));
  const [head, tail] = ip.split("::");
  const groups = head === "" ? [] : head.split(":");
  if (tail !== undefined) {
    const rest = tail === "" ? [] : tail.split(":");
    while (groups.length + rest.length < 8) groups.push("0");
    groups.push(...rest);
  }
  return groups.slice(0, 3).join(":");
}

/** The admission rules and the handshakes in progress. */
export class Admission {
  readonly #limits: LimitsSection;
  /** Handshakes in progress, oldest first (Map keeps insertion order). */
  readonly #pending = new Map<TcpConnection, Pending>();
  readonly #pendingPerIp = new Map<string, number>();
  /** The same handshakes by network, each oldest first. */
  readonly #pendingPerNetwork = new Map<string, Set<TcpConnection>>();
  readonly #rates = new Map<string, TokenBucket>();
  #sweptAt = -Infinity;
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  /** The one timer of all pending handshakes; undefined when none is set. */
  #timer: TimerId | undefined;

  /**
   * @param clock times the handshakes
   * @param timeoutMs how long a handshake may wait for its CONNECT (`handshake_timeout_ms`)
   */
  constructor(limits: LimitsSection, clock: Clock, timeoutMs: number) {
    this.#limits = limits;
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
  }

  /** Handshakes in progress. */
  get pending(): number {
    return this.#pending.size;
  }

  /**
   * The per-address rules for a new connection from `ip` at `now`: undefined to go on, or why
   * it is refused. An allowed connection counts against the address's rate.
   */
  check(ip: string, now: number): RefusalReason | undefined {
    if ((this.#pendingPerIp.get(ip) ?? 0) >= this.#limits.handshakes_per_ip) {
      return "handshakes_per_ip";
    }
    if (now - this.#sweptAt >= SWEEP_INTERVAL_MS) this.#sweep(now);
    let bucket = this.#rates.get(ip);
    if (!bucket) {
      const { connections_per_ip_rate: rate, connections_per_ip_burst: burst } = this.#limits;
      bucket = new TokenBucket(rate, burst, now);
      this.#rates.set(ip, bucket);
    }
    return bucket.take(1, now) ? undefined : "connection_rate";
  }

  /**
   * Records a handshake in progress; {@linkcode Handshake.timeOut} is called once it has waited
   * `timeoutMs`. When that makes more than `max_pending_handshakes`, the oldest one of the
   * network with the most is returned, already removed: the caller abandons and closes it
   * (`server_busy`).
   */
  add(
    connection: TcpConnection,
    ip: string,
    handshake: Handshake,
  ): { connection: TcpConnection; handshake: Handshake } | undefined {
    const prefix = networkOf(ip);
    const deadline = this.#clock.now() + this.#timeoutMs;
    this.#pending.set(connection, { ip, prefix, deadline, handshake });
    if (this.#timer === undefined) this.#arm(deadline);
    this.#pendingPerIp.set(ip, (this.#pendingPerIp.get(ip) ?? 0) + 1);
    let network = this.#pendingPerNetwork.get(prefix);
    if (!network) {
      network = new Set();
      this.#pendingPerNetwork.set(prefix, network);
    }
    network.add(connection);
    if (this.#pending.size <= this.#limits.max_pending_handshakes) return undefined;
    // The busiest network; on a tie the one that has been pending longest, never the newest.
    let busiest: Set<TcpConnection> | undefined;
    for (const other of this.#pendingPerNetwork.values()) {
      if (!busiest || other.size > busiest.size) busiest = other;
    }
    const oldest: TcpConnection = busiest!.values().next().value!;
    const { handshake: oldestHandshake } = this.#pending.get(oldest)!;
    this.remove(oldest);
    return { connection: oldest, handshake: oldestHandshake };
  }

  /** Forgets a handshake that ended (either way); unknown connections are ignored. */
  remove(connection: TcpConnection): void {
    const pending = this.#pending.get(connection);
    if (!pending) return;
    this.#pending.delete(connection);
    const count = (this.#pendingPerIp.get(pending.ip) ?? 1) - 1;
    if (count > 0) this.#pendingPerIp.set(pending.ip, count);
    else this.#pendingPerIp.delete(pending.ip);
    const network = this.#pendingPerNetwork.get(pending.prefix);
    network?.delete(connection);
    if (network?.size === 0) this.#pendingPerNetwork.delete(pending.prefix);
  }

  /** Removes and returns every handshake in progress (the server is stopping). */
  drain(): { connection: TcpConnection; handshake: Handshake }[] {
    const all = [...this.#pending].map(([connection, { handshake }]) => ({
      connection,
      handshake,
    }));
    this.#pending.clear();
    this.#pendingPerIp.clear();
    this.#pendingPerNetwork.clear();
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    return all;
  }

  #arm(due: number): void {
    this.#timer = this.#clock.setTimeout(this.#expire, due - this.#clock.now());
  }

  /**
   * Times out at most {@linkcode EXPIRE_BATCH} handshakes that are due, oldest first, then sets
   * the timer again: at once (a later turn of the event loop) if more are due, else for the
   * oldest left. Handshakes that ended meanwhile were removed, so they are not looked at.
   */
  readonly #expire = (): void => {
    this.#timer = undefined;
    const now = this.#clock.now();
    let expired = 0;
    for (const [connection, pending] of this.#pending) {
      if (pending.deadline > now) return this.#arm(pending.deadline);
      if (expired++ === EXPIRE_BATCH) return this.#arm(now);
      this.remove(connection);
      pending.handshake.timeOut();
    }
  };

  /** Forgets the buckets that are full again: they behave like new ones. Keeps the map small. */
  #sweep(now: number): void {
    this.#sweptAt = now;
    for (const [ip, bucket] of this.#rates) if (bucket.isFull(now)) this.#rates.delete(ip);
  }
}

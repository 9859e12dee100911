/**
 * Fair admission of new connections, before a byte of them is read: per-address caps on
 * connections per second and on handshakes in progress, and a global cap on handshakes in
 * progress. A flood from one address is refused at the door; a flood from many addresses
 * cannot keep others out, because when the global cap is reached the *oldest* pending
 * handshake makes room (a real client sends CONNECT within a round trip, so it is never the
 * oldest for long).
 *
 * @module
 */
import type { LimitsSection } from "../config/mod.ts";
import type { TcpConnection } from "../net/tcp_connection.ts";
import type { RefusalReason } from "./reasons.ts";
import { TokenBucket } from "./token_bucket.ts";

/** How often the per-address rate buckets that are full again are forgotten. */
const SWEEP_INTERVAL_MS = 10_000;

interface Pending {
  ip: string;
  /** Stops the handshake's timer and reading. */
  abandon: () => void;
}

/** The admission rules and the handshakes in progress. */
export class Admission {
  readonly #limits: LimitsSection;
  /** Handshakes in progress, oldest first (Map keeps insertion order). */
  readonly #pending = new Map<TcpConnection, Pending>();
  readonly #pendingPerIp = new Map<string, number>();
  readonly #rates = new Map<string, TokenBucket>();
  #sweptAt = -Infinity;

  constructor(limits: LimitsSection) {
    this.#limits = limits;
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
   * Records a handshake in progress. When that makes more than `max_pending_handshakes`, the
   * oldest one is returned, already removed: the caller closes it (`server_busy`).
   */
  add(
    connection: TcpConnection,
    ip: string,
    abandon: () => void,
  ): { connection: TcpConnection; abandon: () => void } | undefined {
    this.#pending.set(connection, { ip, abandon });
    this.#pendingPerIp.set(ip, (this.#pendingPerIp.get(ip) ?? 0) + 1);
    if (this.#pending.size <= this.#limits.max_pending_handshakes) return undefined;
    const [oldest, { abandon: abandonOldest }] = this.#pending.entries().next().value!;
    this.remove(oldest);
    return { connection: oldest, abandon: abandonOldest };
  }

  /** Forgets a handshake that ended (either way); unknown connections are ignored. */
  remove(connection: TcpConnection): void {
    const pending = this.#pending.get(connection);
    if (!pending) return;
    this.#pending.delete(connection);
    const count = (this.#pendingPerIp.get(pending.ip) ?? 1) - 1;
    if (count > 0) this.#pendingPerIp.set(pending.ip, count);
    else this.#pendingPerIp.delete(pending.ip);
  }

  /** Removes and returns every handshake in progress (the server is stopping). */
  drain(): { connection: TcpConnection; abandon: () => void }[] {
    const all = [...this.#pending].map(([connection, { abandon }]) => ({ connection, abandon }));
    this.#pending.clear();
    this.#pendingPerIp.clear();
    return all;
  }

  /** Forgets the buckets that are full again: they behave like new ones. Keeps the map small. */
  #sweep(now: number): void {
    this.#sweptAt = now;
    for (const [ip, bucket] of this.#rates) if (bucket.isFull(now)) this.#rates.delete(ip);
  }
}

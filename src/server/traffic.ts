/**
 * Traffic counters by packet header and the bulk tick's duration histogram: what metrics
 * export. Counting is a few array writes per packet, never an allocation.
 *
 * @module
 */
import { headerName } from "../protocol/mod.ts";

/** Upper bounds (ms) of the tick duration histogram's buckets; the last bucket is +Inf. */
export const TICK_DURATION_BUCKETS_MS: readonly number[] = [
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  25,
  50,
  100,
];

/**
 * Packets and bytes of one header.
 *
 * @example
 * ```ts
 * import type { PacketCount } from "@ghosting/server";
 *
 * const average = (count: PacketCount) => count.packets ? count.bytes / count.packets : 0;
 * console.log(average({ packets: 2, bytes: 60 })); // 30
 * ```
 */
export interface PacketCount {
  /** Packets (TCP frames or datagrams). */
  packets: number;
  /** Bytes on the wire (TCP: with the 4-byte length prefix). */
  bytes: number;
}

/**
 * What {@linkcode GhostServer.traffic} returns: counters since start.
 *
 * @example
 * ```ts
 * import type { GhostServer } from "@ghosting/server";
 *
 * function bulkBytes(server: GhostServer): number {
 *   return server.traffic().sent.UPDATE?.bytes ?? 0;
 * }
 * ```
 */
export interface TrafficStats {
  /** Received after the handshake, by header name (headers never seen are absent). */
  received: Record<string, PacketCount>;
  /** Sent, by header name (queued for a TCP client, handed to the UDP socket). */
  sent: Record<string, PacketCount>;
  /** How long each bulk tick took to build and hand over its updates. */
  tickDurations: {
    /** Upper bounds of the buckets in milliseconds; a last, unbounded bucket follows. */
    bucketsMs: readonly number[];
    /** Ticks per bucket (not cumulative); one longer than `bucketsMs`. */
    counts: number[];
    /** Sum of every tick's duration. */
    sumMs: number;
    /** Ticks measured. */
    count: number;
  };
  /** Event listeners (plugins, surfaces) that threw or rejected. */
  listenerErrors: number;
}

/** The counters behind {@linkcode TrafficStats}. */
export class TrafficCounters {
  readonly #packetsIn = new Float64Array(256);
  readonly #bytesIn = new Float64Array(256);
  readonly #packetsOut = new Float64Array(256);
  readonly #bytesOut = new Float64Array(256);
  readonly #tickCounts = new Float64Array(TICK_DURATION_BUCKETS_MS.length + 1);
  #tickSum = 0;
  #ticks = 0;
  listenerErrors = 0;

  /** Counts one packet received; `header` is its first byte. */
  countIn(header: number, bytes: number): void {
    this.#packetsIn[header]++;
    this.#bytesIn[header] += bytes;
  }

  /** Counts one packet sent. */
  countOut(header: number, bytes: number): void {
    this.#packetsOut[header]++;
    this.#bytesOut[header] += bytes;
  }

  /** Records one bulk tick's duration. */
  tick(durationMs: number): void {
    let bucket = 0;
    while (
      bucket < TICK_DURATION_BUCKETS_MS.length && durationMs > TICK_DURATION_BUCKETS_MS[bucket]
    ) {
      bucket++;
    }
    this.#tickCounts[bucket]++;
    this.#tickSum += durationMs;
    this.#ticks++;
  }

  /** A JSON snapshot. */
  stats(): TrafficStats {
    const byHeader = (packets: Float64Array, bytes: Float64Array) => {
      const out: Record<string, PacketCount> = {};
      for (let header = 0; header < 256; header++) {
        if (packets[header] > 0) {
          out[headerName(header)] = { packets: packets[header], bytes: bytes[header] };
        }
      }
      return out;
    };
    return {
      received: byHeader(this.#packetsIn, this.#bytesIn),
      sent: byHeader(this.#packetsOut, this.#bytesOut),
      tickDurations: {
        bucketsMs: TICK_DURATION_BUCKETS_MS,
        counts: [...this.#tickCounts],
        sumMs: this.#tickSum,
        count: this.#ticks,
      },
      listenerErrors: this.listenerErrors,
    };
  }
}

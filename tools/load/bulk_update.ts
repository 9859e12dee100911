/**
 * Reading bulk UPDATEs (`09 | id 0 | u32 count | count × (u32 id, 25-byte pose)`, PROTOCOL.md
 * §3.10) as they arrive at one load client: counting ticks and measuring how stale the other
 * players' poses are, without allocating anything per entry.
 *
 * The server may split one tick's bulk update into several packets of whole entries, and
 * their order on arrival is not guaranteed (a backend may send them concurrently). A packet
 * starts a new tick when more than {@linkcode TICK_GAP_MS} have passed since the previous
 * one: ticks are 50 ms apart, the parts of one tick arrive within a few ms in any order. Two
 * ticks closer than that would count as one, so the rate can only be underestimated.
 *
 * @module
 */
import { BULK_UPDATE_ENTRY_BYTES, BULK_UPDATE_HEADER_BYTES } from "../../src/protocol/mod.ts";
import type { Histogram } from "./histogram.ts";
import { readSendTime } from "./send_time.ts";
import type { LoadStats } from "./stats.ts";

/** A packet this long after the previous one starts a new tick (well under the 50 ms tick). */
export const TICK_GAP_MS = 20;

/** One client's view of the bulk updates it receives. */
export class BulkUpdateTracker {
  readonly #index: number;
  readonly #ownId: number;
  readonly #stats: LoadStats;
  readonly #staleness: Histogram | undefined;
  #lastAt = -Infinity;

  /**
   * @param index the client's number, its slot in the per-client counters
   * @param ownId the client's id, whose entry is not another player's pose
   * @param staleness where this client records staleness besides `stats.staleness` (the
   *   histogram of its transport), or undefined when it is not one of the sampled receivers
   */
  constructor(index: number, ownId: number, stats: LoadStats, staleness?: Histogram) {
    this.#index = index;
    this.#ownId = ownId;
    this.#stats = stats;
    this.#staleness = staleness;
  }

  /**
   * Handles an UPDATE packet (header 9) that starts at offset 0 of `view`; individual updates
   * (id not 0) are ignored, as SAR ignores them.
   *
   * @param length the packet's length (the view may be longer: a reused receive buffer)
   * @param nowMs `Date.now()` when it was received
   */
  receive(view: DataView, length: number, nowMs: number): void {
    const stats = this.#stats;
    if (length < BULK_UPDATE_HEADER_BYTES) {
      if (stats.measuring) stats.malformed++;
      return;
    }
    if (view.getUint32(1) !== 0) return;
    let count = view.getUint32(5);
    const fits = Math.floor((length - BULK_UPDATE_HEADER_BYTES) / BULK_UPDATE_ENTRY_BYTES);
    if (count > fits) {
      if (stats.measuring) stats.malformed++;
      count = fits;
    }
    const newTick = nowMs - this.#lastAt > TICK_GAP_MS;
    this.#lastAt = nowMs;
    if (!stats.measuring) return;
    stats.bulkPackets[this.#index]++;
    if (newTick) stats.ticks[this.#index]++;
    stats.entries += count;
    const staleness = this.#staleness;
    if (!staleness) return;
    for (let at = BULK_UPDATE_HEADER_BYTES, i = 0; i < count; i++, at += BULK_UPDATE_ENTRY_BYTES) {
      if (view.getUint32(at) === this.#ownId) continue;
      const sentAt = readSendTime(view, at + 4);
      if (sentAt < 0) {
        stats.unstamped++;
      } else {
        stats.staleness.record(nowMs - sentAt);
        staleness.record(nowMs - sentAt);
      }
    }
  }
}

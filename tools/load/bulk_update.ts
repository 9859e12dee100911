/**
 * Reading bulk UPDATEs (`09 | id 0 | u32 count | count × (u32 id, 25-byte pose)`, docs/protocol.md
 * §3.10) as they arrive at one load client: counting ticks and measuring how stale the other
 * players' poses are, without allocating anything per entry.
 *
 * The server may split one tick's bulk update into several packets of whole entries, in any
 * order on arrival, and with `bulk_scope = "same_map"` a client only gets its map's entries.
 * In every case a tick's update to a client holds that client's own entry exactly once, so a
 * tick is counted when the packet carrying the own entry arrives: exact however late or
 * bunched the packets are, and a tick whose own part was lost is not counted.
 *
 * @module
 */
import { BULK_UPDATE_ENTRY_BYTES, BULK_UPDATE_HEADER_BYTES } from "../../src/protocol/mod.ts";
import type { Histogram } from "./histogram.ts";
import { readSendTime } from "./send_time.ts";
import type { LoadStats } from "./stats.ts";

/** One client's view of the bulk updates it receives. */
export class BulkUpdateTracker {
  readonly #index: number;
  readonly #ownId: number;
  readonly #stats: LoadStats;
  readonly #staleness: Histogram | undefined;

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
    if (!stats.measuring) return;
    stats.bulkPackets[this.#index]++;
    stats.entries += count;
    const staleness = this.#staleness;
    const ownId = this.#ownId;
    for (let at = BULK_UPDATE_HEADER_BYTES, i = 0; i < count; i++, at += BULK_UPDATE_ENTRY_BYTES) {
      if (view.getUint32(at) === ownId) {
        stats.ticks[this.#index]++;
        continue;
      }
      if (!staleness) continue;
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

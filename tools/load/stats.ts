/**
 * Counters shared by all load clients. Per-client figures live in typed arrays indexed by
 * client number, so counting allocates nothing; everything but the connection counters is
 * only counted while the measured window is open.
 *
 * @module
 */
import { Histogram } from "./histogram.ts";

/** Staleness above this lands in the histogram's last bucket (its exact maximum is kept). */
const STALENESS_MAX_MS = 10_000;

/** What the load clients count. */
export class LoadStats {
  /** Whether the measured window is open (warm-up and shutdown are not counted). */
  measuring = false;
  /** Bulk update ticks received per client in the window (see `bulk_update.ts`). */
  readonly ticks: Uint32Array;
  /** Bulk update datagrams (or TCP frames) received per client in the window. */
  readonly bulkPackets: Uint32Array;
  /** Sum over all clients of the entry counts of the bulk packets received in the window. */
  entries = 0;
  /** Bytes received by all clients in the window: datagrams, and TCP including prefixes. */
  udpBytes = 0;
  tcpBytes = 0;
  /** UPDATEs sent in the window. */
  updatesSent = 0;
  /** UPDATEs not sent because the previous one was still being written (sender overloaded). */
  updatesSkipped = 0;
  /** Sends that failed (socket errors). */
  sendErrors = 0;
  /** Heartbeats answered in the window, by transport. */
  tcpHeartbeats = 0;
  udpHeartbeats = 0;
  /** Bulk packets that were too short or whose count ran past the end. */
  malformed = 0;
  /** Age of other players' poses when they arrive, on the sampled receivers. */
  readonly staleness = new Histogram(STALENESS_MAX_MS);
  /** The same, only on sampled receivers that get bulk updates over UDP. */
  readonly stalenessUdp = new Histogram(STALENESS_MAX_MS);
  /** The same, only on sampled TCP-only receivers. */
  readonly stalenessTcp = new Histogram(STALENESS_MAX_MS);
  /** Sampled entries with no send-time stamp (all-zero CONNECT pose, foreign client). */
  unstamped = 0;
  /** Clients the server closed while the run was going on, and why (its last chat message). */
  dropped = 0;
  readonly dropReasons = new Map<string, number>();

  /** @param clients how many clients there are (the size of the per-client arrays) */
  constructor(clients: number) {
    this.ticks = new Uint32Array(clients);
    this.bulkPackets = new Uint32Array(clients);
  }

  /** Counts a client closed by the server. */
  countDrop(reason: string): void {
    this.dropped++;
    this.dropReasons.set(reason, (this.dropReasons.get(reason) ?? 0) + 1);
  }
}

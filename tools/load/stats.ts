/**
 * Counters shared by all load clients. Per-client figures live in typed arrays indexed by
 * client number, so counting allocates nothing; everything but the connection counters is
 * only counted while the measured window is open.
 *
 * The staleness receivers count into a `LoadStats` of their own, in a worker
 * (`receiver_worker.ts`); at the end its {@linkcode LoadStatsSnapshot} is merged into the main
 * thread's, so the report reads as if every client had counted in one place.
 *
 * @module
 */
import { Histogram, type HistogramSnapshot } from "./histogram.ts";

/** Staleness above this lands in the histogram's last bucket (its exact maximum is kept). */
const STALENESS_MAX_MS = 10_000;

/**
 * Everything a {@linkcode LoadStats} counted, as plain data that survives `postMessage`. The
 * per-client arrays have one slot per client of the whole run, indexed by client number.
 */
export interface LoadStatsSnapshot {
  ticks: Uint32Array;
  bulkPackets: Uint32Array;
  entries: number;
  udpBytes: number;
  tcpBytes: number;
  updatesSent: number;
  updatesSkipped: number;
  sendErrors: number;
  tcpHeartbeats: number;
  udpHeartbeats: number;
  malformed: number;
  staleness: HistogramSnapshot;
  stalenessUdp: HistogramSnapshot;
  stalenessTcp: HistogramSnapshot;
  unstamped: number;
  dropped: number;
  /** Drop reason → count. */
  dropReasons: Record<string, number>;
}

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

  /** A copy of every counter, to send to another thread. */
  snapshot(): LoadStatsSnapshot {
    return {
      ticks: this.ticks.slice(),
      bulkPackets: this.bulkPackets.slice(),
      entries: this.entries,
      udpBytes: this.udpBytes,
      tcpBytes: this.tcpBytes,
      updatesSent: this.updatesSent,
      updatesSkipped: this.updatesSkipped,
      sendErrors: this.sendErrors,
      tcpHeartbeats: this.tcpHeartbeats,
      udpHeartbeats: this.udpHeartbeats,
      malformed: this.malformed,
      staleness: this.staleness.snapshot(),
      stalenessUdp: this.stalenessUdp.snapshot(),
      stalenessTcp: this.stalenessTcp.snapshot(),
      unstamped: this.unstamped,
      dropped: this.dropped,
      dropReasons: Object.fromEntries(this.dropReasons),
    };
  }

  /**
   * Adds what `other` counted, as if its clients had counted here: per-client slots and
   * totals add up, histograms merge exactly (see {@linkcode Histogram.merge}). The window
   * flag is left alone.
   *
   * @throws {RangeError} when `other` was made for another number of clients
   */
  merge(other: LoadStatsSnapshot): void {
    if (other.ticks.length !== this.ticks.length) {
      throw new RangeError(
        `Cannot merge counters of ${other.ticks.length} clients into counters of ${this.ticks.length}`,
      );
    }
    for (let i = 0; i < this.ticks.length; i++) {
      this.ticks[i] += other.ticks[i];
      this.bulkPackets[i] += other.bulkPackets[i];
    }
    this.entries += other.entries;
    this.udpBytes += other.udpBytes;
    this.tcpBytes += other.tcpBytes;
    this.updatesSent += other.updatesSent;
    this.updatesSkipped += other.updatesSkipped;
    this.sendErrors += other.sendErrors;
    this.tcpHeartbeats += other.tcpHeartbeats;
    this.udpHeartbeats += other.udpHeartbeats;
    this.malformed += other.malformed;
    this.staleness.merge(other.staleness);
    this.stalenessUdp.merge(other.stalenessUdp);
    this.stalenessTcp.merge(other.stalenessTcp);
    this.unstamped += other.unstamped;
    this.dropped += other.dropped;
    for (const [reason, count] of Object.entries(other.dropReasons)) {
      this.dropReasons.set(reason, (this.dropReasons.get(reason) ?? 0) + count);
    }
  }
}

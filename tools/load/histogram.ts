/**
 * A fixed-bucket latency histogram: 1 ms buckets, no allocation per sample. Histograms
 * filled on different threads are combined exactly through {@linkcode HistogramSnapshot}s.
 *
 * @module
 */

/** Percentiles and extremes of a {@linkcode Histogram}, in milliseconds. */
export interface HistogramSummary {
  /** Samples recorded. */
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** The largest sample, exact (not bucketed). */
  max: number | null;
  mean: number | null;
}

/**
 * Everything a {@linkcode Histogram} holds, as plain data: it survives `postMessage` (a
 * class's private fields do not), and merging it loses nothing, since bucket counts add and
 * the exact maximum is kept.
 */
export interface HistogramSnapshot {
  /** Samples per 1 ms bucket; the last bucket holds every sample at or above its edge. */
  buckets: Uint32Array;
  count: number;
  /** Sum of the samples (after clamping negatives to 0), for the mean. */
  sum: number;
  /** The largest sample, or -Infinity when there is none. */
  max: number;
}

/**
 * Counts samples in 1 ms buckets from 0 to `maxMs`; larger samples land in the last bucket
 * (their exact maximum is still kept). Percentiles are the lower edge of the bucket holding
 * the requested rank, so they are exact to the millisecond below `maxMs`.
 */
export class Histogram {
  readonly #buckets: Uint32Array;
  #count = 0;
  #sum = 0;
  #max = -Infinity;

  /** @param maxMs samples at or above this are counted in the last bucket */
  constructor(maxMs = 10_000) {
    if (!Number.isInteger(maxMs) || maxMs < 1) {
      throw new RangeError(`maxMs must be a positive integer, got ${maxMs}`);
    }
    this.#buckets = new Uint32Array(maxMs + 1);
  }

  /** Records one sample; negative ones (clock steps) count as 0. */
  record(ms: number): void {
    const value = ms > 0 ? ms : 0;
    const last = this.#buckets.length - 1;
    const bucket = value >= last ? last : Math.floor(value);
    this.#buckets[bucket]++;
    this.#count++;
    this.#sum += value;
    if (value > this.#max) this.#max = value;
  }

  /** Samples recorded so far. */
  get count(): number {
    return this.#count;
  }

  /** A copy of the histogram's contents, to send to another thread. */
  snapshot(): HistogramSnapshot {
    return { buckets: this.#buckets.slice(), count: this.#count, sum: this.#sum, max: this.#max };
  }

  /**
   * Adds the samples of `other` as if they had been recorded here: bucket counts, count and
   * sum add up, the maximum is the larger one.
   *
   * @throws {RangeError} when `other` has different buckets (another `maxMs`)
   */
  merge(other: HistogramSnapshot): void {
    if (other.buckets.length !== this.#buckets.length) {
      throw new RangeError(
        `Cannot merge a histogram of ${other.buckets.length} buckets into one of ${this.#buckets.length}`,
      );
    }
    for (let bucket = 0; bucket < other.buckets.length; bucket++) {
      this.#buckets[bucket] += other.buckets[bucket];
    }
    this.#count += other.count;
    this.#sum += other.sum;
    if (other.max > this.#max) this.#max = other.max;
  }

  /** The value below which `fraction` (0…1) of the samples lie, or null when empty. */
  percentile(fraction: number): number | null {
    if (this.#count === 0) return null;
    // The rank of the sample asked for, 1-based: p50 of 10 samples is the 5th.
    const rank = Math.max(1, Math.ceil(fraction * this.#count));
    let seen = 0;
    for (let bucket = 0; bucket < this.#buckets.length; bucket++) {
      seen += this.#buckets[bucket];
      if (seen >= rank) return bucket;
    }
    return this.#buckets.length - 1;
  }

  /** p50, p95, p99, max and mean. */
  summary(): HistogramSummary {
    const empty = this.#count === 0;
    return {
      count: this.#count,
      p50: this.percentile(0.5),
      p95: this.percentile(0.95),
      p99: this.percentile(0.99),
      max: empty ? null : this.#max,
      mean: empty ? null : this.#sum / this.#count,
    };
  }
}

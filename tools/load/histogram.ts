/**
 * A fixed-bucket latency histogram: 1 ms buckets, no allocation per sample.
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

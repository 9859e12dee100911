/**
 * A token bucket on the server's clock: the rate limiter behind every per-player and
 * per-address limit.
 *
 * @module
 */

/**
 * Holds up to `burst` tokens and gains `ratePerSecond` of them per second; each allowed action
 * takes some. Time comes from the caller (the server's injectable clock), so tests drive it
 * with a `ManualClock` and the bucket allocates nothing per call.
 */
export class TokenBucket {
  readonly ratePerSecond: number;
  readonly burst: number;
  #tokens: number;
  #updatedAt: number;

  /**
   * Starts full at `now`.
   *
   * @throws {RangeError} when the rate or the burst is not a positive number
   */
  constructor(ratePerSecond: number, burst: number, now: number) {
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) {
      throw new RangeError(`A token bucket needs a positive rate, got ${ratePerSecond}`);
    }
    if (!(burst > 0) || !Number.isFinite(burst)) {
      throw new RangeError(`A token bucket needs a positive burst, got ${burst}`);
    }
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
    this.#tokens = burst;
    this.#updatedAt = now;
  }

  /** Tokens available at `now`. */
  available(now: number): number {
    this.#refill(now);
    return this.#tokens;
  }

  /** Takes `amount` tokens if that many are available at `now`; false (and nothing taken) if not. */
  take(amount: number, now: number): boolean {
    this.#refill(now);
    if (this.#tokens < amount) return false;
    this.#tokens -= amount;
    return true;
  }

  /** Whether the bucket is full again at `now` (it then behaves like a new one). */
  isFull(now: number): boolean {
    this.#refill(now);
    return this.#tokens >= this.burst;
  }

  #refill(now: number): void {
    const elapsed = now - this.#updatedAt;
    if (elapsed <= 0) return;
    this.#updatedAt = now;
    this.#tokens = Math.min(this.burst, this.#tokens + elapsed * this.ratePerSecond / 1000);
  }
}

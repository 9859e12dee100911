/** The token bucket behind every rate limit: burst, refill, and no partial takes. */
import assert from "node:assert/strict";
import { TokenBucket } from "../../src/server/token_bucket.ts";

Deno.test("a token bucket allows its burst, then its rate, and never more than its burst", () => {
  const bucket = new TokenBucket(2, 3, 1000);
  assert.equal(bucket.take(1, 1000), true);
  assert.equal(bucket.take(2, 1000), true);
  assert.equal(bucket.take(1, 1000), false);
  assert.equal(bucket.take(1, 1499), false); // 0.998 of a token
  assert.equal(bucket.take(1, 1501), true);
  assert.equal(bucket.isFull(1501), false);
  assert.equal(bucket.available(100_000), 3); // capped at the burst however long it waited
  assert.equal(bucket.isFull(100_000), true);
});

Deno.test("a token bucket takes nothing when it cannot take all, and ignores time going back", () => {
  const bucket = new TokenBucket(1000, 1500, 0);
  assert.equal(bucket.take(1021, 0), true);
  assert.equal(bucket.take(1021, 0), false);
  assert.equal(bucket.available(0), 479);
  assert.equal(bucket.available(-50), 479);
  assert.equal(bucket.take(1021, 542), true);
});

Deno.test("a token bucket refuses a rate or burst that is not positive", () => {
  assert.throws(() => new TokenBucket(0, 1, 0), RangeError);
  assert.throws(() => new TokenBucket(1, -1, 0), RangeError);
  assert.throws(() => new TokenBucket(Number.NaN, 1, 0), RangeError);
});

import assert from "node:assert/strict";
import { Histogram } from "../../tools/load/histogram.ts";
import {
  readSendTime,
  SEND_TIME_MARKER,
  stampSendTime,
  writeStampedPose,
} from "../../tools/load/send_time.ts";
import { BulkUpdateTracker } from "../../tools/load/bulk_update.ts";
import { LoadStats } from "../../tools/load/stats.ts";

Deno.test("histogram percentiles are the lower edge of the 1 ms bucket", () => {
  const histogram = new Histogram(100);
  for (let ms = 1; ms <= 100; ms++) histogram.record(ms - 0.5);
  const summary = histogram.summary();
  assert.equal(summary.count, 100);
  assert.equal(summary.p50, 49);
  assert.equal(summary.p95, 94);
  assert.equal(summary.p99, 98);
  assert.equal(summary.max, 99.5);
  assert.equal(summary.mean, 50);
});

Deno.test("histogram clamps negatives to 0 and keeps the exact maximum of overflows", () => {
  const histogram = new Histogram(10);
  histogram.record(-3);
  histogram.record(5000);
  assert.equal(histogram.percentile(0.5), 0);
  assert.equal(histogram.percentile(1), 10);
  assert.equal(histogram.summary().max, 5000);
  assert.deepEqual(new Histogram().summary(), {
    count: 0,
    p50: null,
    p95: null,
    p99: null,
    max: null,
    mean: null,
  });
});

Deno.test("send time survives float32 exactly, across the 2^24 split", () => {
  const view = new DataView(new ArrayBuffer(25));
  writeStampedPose(view, 0, 0);
  assert.equal(view.getFloat32(8, true), SEND_TIME_MARKER);
  assert.equal(view.getUint8(24), 0xc0);
  for (const ms of [0, 2 ** 24 - 1, 2 ** 24, 1_795_000_000_123, Date.now()]) {
    stampSendTime(view, 0, ms);
    assert.equal(readSendTime(view, 0), ms);
  }
  view.setFloat32(8, 0, true);
  assert.equal(readSendTime(view, 0), -1);
});

/** A bulk update of poses stamped `sentAt`, one entry per id. */
function bulk(ids: number[], sentAt: number, declaredCount = ids.length): DataView {
  const view = new DataView(new ArrayBuffer(9 + ids.length * 29));
  view.setUint8(0, 9);
  view.setUint32(5, declaredCount);
  ids.forEach((id, i) => {
    view.setUint32(9 + i * 29, id);
    writeStampedPose(view, 13 + i * 29, sentAt);
  });
  return view;
}

Deno.test("tracker counts one tick per bulk update, and staleness of others only", () => {
  const stats = new LoadStats(1);
  stats.measuring = true;
  const tracker = new BulkUpdateTracker(0, 2, stats, stats.stalenessUdp);
  for (let tick = 0; tick < 5; tick++) {
    const packet = bulk([1, 2, 3], 1000 + tick * 50);
    tracker.receive(packet, packet.byteLength, 1000 + tick * 50 + 7);
  }
  assert.equal(stats.ticks[0], 5);
  assert.equal(stats.bulkPackets[0], 5);
  assert.equal(stats.entries, 15);
  assert.equal(stats.staleness.count, 10);
  assert.equal(stats.stalenessUdp.summary().p50, 7);
});

Deno.test("tracker counts a tick split into several packets once, in any order", () => {
  const stats = new LoadStats(1);
  stats.measuring = true;
  const tracker = new BulkUpdateTracker(0, 1, stats);
  for (let tick = 0; tick < 4; tick++) {
    // Parts of one tick arrive within a few ms, not always in order; ticks are 50 ms apart.
    const parts = tick % 2 === 0 ? [[1, 2], [3, 4], [5]] : [[3, 4], [5], [1, 2]];
    parts.forEach((part, i) => {
      const packet = bulk(part, 0);
      tracker.receive(packet, packet.byteLength, 10_000 + tick * 50 + i * 2);
    });
  }
  assert.equal(stats.ticks[0], 4);
  assert.equal(stats.bulkPackets[0], 12);
});

Deno.test("tracker counts a tick by the client's own entry: bunched ticks count apart, a lost own part not at all", () => {
  const stats = new LoadStats(1);
  stats.measuring = true;
  const tracker = new BulkUpdateTracker(0, 1, stats);
  // Two whole ticks arriving 1 ms apart (delivery delayed under load) are two ticks.
  for (const at of [1000, 1001]) {
    const whole = bulk([1, 2, 3], 0);
    tracker.receive(whole, whole.byteLength, at);
  }
  // The part of the next tick holding the client's own entry was lost: not a tick.
  const tail = bulk([2, 3], 0);
  tracker.receive(tail, tail.byteLength, 1050);
  assert.equal(stats.ticks[0], 2);
  assert.equal(stats.bulkPackets[0], 3);
});

Deno.test("tracker ignores individual updates and counts a count that runs past the end", () => {
  const stats = new LoadStats(1);
  stats.measuring = true;
  const tracker = new BulkUpdateTracker(0, 1, stats);
  const single = bulk([7], 0);
  single.setUint32(1, 7);
  tracker.receive(single, single.byteLength, 1000);
  assert.equal(stats.bulkPackets[0], 0);
  const lying = bulk([1, 2], 0, 1000);
  tracker.receive(lying, lying.byteLength, 2000);
  assert.equal(stats.malformed, 1);
  assert.equal(stats.entries, 2);
});

Deno.test("tracker counts nothing outside the measured window", () => {
  const stats = new LoadStats(1);
  const tracker = new BulkUpdateTracker(0, 1, stats, stats.stalenessTcp);
  const packet = bulk([1, 2], 0);
  tracker.receive(packet, packet.byteLength, 1000);
  assert.equal(stats.ticks[0], 0);
  assert.equal(stats.staleness.count, 0);
});

import assert from "node:assert/strict";
import { Histogram } from "../../tools/load/histogram.ts";
import { LoadStats } from "../../tools/load/stats.ts";
import { ReceiverWorker, WorkerFailure } from "../../tools/load/receivers.ts";

/** Fills `stats` as a client numbered `index` would, with staleness samples `samples`. */
function count(stats: LoadStats, index: number, samples: number[], tcp: boolean): void {
  stats.ticks[index] += samples.length;
  stats.bulkPackets[index] += 2 * samples.length;
  stats.entries += 10 * samples.length;
  for (const ms of samples) {
    stats.staleness.record(ms);
    (tcp ? stats.stalenessTcp : stats.stalenessUdp).record(ms);
  }
}

Deno.test("histogram merge equals recording every sample in one histogram", () => {
  const first = [-2, 0, 3, 3.5, 27, 49, 250];
  const second = [1, 27, 27, 28, 80, 9_999, 12_345.5];
  const a = new Histogram(10_000);
  const b = new Histogram(10_000);
  const both = new Histogram(10_000);
  for (const ms of first) a.record(ms);
  for (const ms of second) b.record(ms);
  for (const ms of [...first, ...second]) both.record(ms);
  // Through structured cloning, as from the worker.
  a.merge(structuredClone(b.snapshot()));
  assert.deepEqual(a.snapshot(), both.snapshot());
  assert.deepEqual(a.summary(), both.summary());
  assert.equal(a.summary().max, 12_345.5);
  assert.equal(a.count, 14);
});

Deno.test("histogram merge keeps the larger maximum and takes empty ones as they are", () => {
  const histogram = new Histogram(100);
  histogram.record(70);
  const smaller = new Histogram(100);
  smaller.record(5);
  histogram.merge(smaller.snapshot());
  histogram.merge(new Histogram(100).snapshot());
  assert.equal(histogram.summary().max, 70);
  assert.equal(histogram.count, 2);
  const empty = new Histogram(100);
  empty.merge(new Histogram(100).snapshot());
  assert.equal(empty.summary().max, null);
  assert.throws(() => empty.merge(new Histogram(10).snapshot()), RangeError);
});

Deno.test("snapshot is a copy: later samples do not change it", () => {
  const histogram = new Histogram(10);
  histogram.record(1);
  const snapshot = histogram.snapshot();
  histogram.record(2);
  assert.equal(snapshot.count, 1);
  assert.equal(snapshot.buckets[2], 0);
});

Deno.test("stats merge adds per-client slots and totals, as if counted in one place", () => {
  const main = new LoadStats(4);
  const worker = new LoadStats(4);
  const together = new LoadStats(4);
  // Clients 0 and 2 run in the main thread, 1 (UDP) and 3 (TCP) in the worker.
  for (const stats of [main, together]) {
    stats.ticks[2] = 100;
    stats.udpBytes += 1000;
    stats.updatesSent += 40;
    stats.udpHeartbeats += 2;
    stats.countDrop("Kicked");
  }
  for (const stats of [worker, together]) {
    count(stats, 1, [25, 26, 31], false);
    count(stats, 3, [27, 70], true);
    stats.udpBytes += 500;
    stats.tcpBytes += 300;
    stats.updatesSent += 39;
    stats.updatesSkipped += 1;
    stats.sendErrors += 1;
    stats.tcpHeartbeats += 1;
    stats.malformed += 1;
    stats.unstamped += 4;
    stats.countDrop("Kicked");
    stats.countDrop("closed without a message");
  }
  main.merge(structuredClone(worker.snapshot()));
  assert.deepEqual(main.snapshot(), together.snapshot());
  assert.deepEqual([...main.ticks], [0, 3, 100, 2]);
  assert.equal(main.dropped, 3);
  assert.deepEqual(Object.fromEntries(main.dropReasons), {
    Kicked: 2,
    "closed without a message": 1,
  });
  assert.deepEqual(main.stalenessTcp.summary(), together.stalenessTcp.summary());
  assert.equal(main.staleness.summary().max, 70);
  assert.equal(main.measuring, false);
  assert.throws(() => main.merge(new LoadStats(5).snapshot()), RangeError);
});

const SETTINGS = { clients: 3, host: "127.0.0.1", port: 1, rateMs: 50, connectTimeoutMs: 100 };

Deno.test("receiver worker goes through every phase and hands back its counters", async () => {
  // No plans, so no sockets: this checks the messages, not the clients.
  const receivers = await ReceiverWorker.start(SETTINGS);
  try {
    assert.deepEqual(await receivers.connect([]), []);
    await receivers.start();
    assert.deepEqual(await receivers.measure(), []);
    await receivers.stop();
    const snapshot = await receivers.disconnect(100);
    assert.deepEqual(snapshot, new LoadStats(3).snapshot());
  } finally {
    receivers.terminate();
  }
  await assert.rejects(receivers.start(), /terminated/);
});

function moduleUrl(source: string): string {
  return `data:application/javascript,${encodeURIComponent(source)}`;
}

Deno.test("an error in the receiver worker is reported, not swallowed", async () => {
  const url = moduleUrl(`throw new Error("boom");`);
  await assert.rejects(
    ReceiverWorker.start(SETTINGS, { url }),
    (error) => error instanceof WorkerFailure && /failed: .*boom/.test(error.message),
  );
});

Deno.test("a request the worker fails is reported with its message", async () => {
  const url = moduleUrl(
    `self.onmessage = (e) => self.postMessage({ id: e.data.id, ok: false, message: "no" });`,
  );
  await assert.rejects(
    ReceiverWorker.start(SETTINGS, { url }),
    (error) => error instanceof WorkerFailure && error.message.endsWith(`at "init": no`),
  );
});

Deno.test("a receiver worker that does not answer fails after the time limit", async () => {
  const url = moduleUrl(`self.onmessage = () => {};`);
  const started = performance.now();
  await assert.rejects(
    ReceiverWorker.start(SETTINGS, { url, replyTimeoutMs: 200 }),
    (error) =>
      error instanceof WorkerFailure && /did not answer "init" within 200 ms/.test(error.message),
  );
  assert.ok(performance.now() - started < 5000);
});

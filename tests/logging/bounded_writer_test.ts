/** The console writer: bounded, never blocking, surviving a vanished reader. */
import assert from "node:assert/strict";
import { BoundedWriter, type ByteWriter } from "../../src/logging/bounded_writer.ts";

/** A destination whose writes complete only when the test says so, like a stopped reader. */
class HeldWriter implements ByteWriter {
  readonly written: Uint8Array[] = [];
  #pending: { bytes: Uint8Array; resolve: (n: number) => void; reject: (e: Error) => void }[] = [];

  write(bytes: Uint8Array): Promise<number> {
    return new Promise((resolve, reject) => this.#pending.push({ bytes, resolve, reject }));
  }

  get pending(): number {
    return this.#pending.length;
  }

  /** Completes the pending write, taking at most `max` bytes of it. */
  release(max = Infinity): void {
    const write = this.#pending.shift()!;
    const taken = write.bytes.subarray(0, Math.min(max, write.bytes.length));
    this.written.push(taken.slice());
    write.resolve(taken.length);
  }

  fail(error: Error): void {
    this.#pending.shift()!.reject(error);
  }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const bytes = (n: number, fill = 0x61) => new Uint8Array(n).fill(fill);

Deno.test("a stopped reader costs dropped chunks, never more than the bound", async () => {
  const destination = new HeldWriter();
  const writer = new BoundedWriter(destination, 100);
  for (let i = 0; i < 1000; i++) writer.write(bytes(30));
  // One write is pending at the destination; the queue holds what fits in 100 bytes.
  assert.equal(destination.pending, 1);
  assert.equal(writer.stats.queuedBytes, 90);
  assert.equal(writer.stats.droppedChunks, 997);
  assert.equal(writer.fits(10), true);
  assert.equal(writer.fits(11), false);
  // The reader comes back: everything queued is written, in order, even in partial writes.
  destination.release(7);
  for (let i = 0; i < 20 && writer.stats.queuedBytes > 0; i++) {
    await tick();
    if (destination.pending > 0) destination.release();
  }
  await writer.flush(1000);
  assert.equal(destination.written.reduce((n, chunk) => n + chunk.length, 0), 90);
  assert.equal(writer.stats.queuedBytes, 0);
  assert.equal(writer.write(bytes(100)), true);
});

Deno.test("a broken destination stops the writing, not the caller", async () => {
  const destination = new HeldWriter();
  const writer = new BoundedWriter(destination, 1000);
  writer.write(bytes(10));
  writer.write(bytes(10));
  destination.fail(new Deno.errors.BrokenPipe("Broken pipe (os error 32)"));
  await writer.flush(1000);
  assert.ok(writer.stats.broken instanceof Deno.errors.BrokenPipe);
  assert.equal(writer.stats.droppedChunks, 2);
  assert.equal(writer.write(bytes(10)), false);
  assert.equal(writer.stats.droppedChunks, 3);
  assert.equal(destination.pending, 0);
});

Deno.test("flush gives up after its timeout when the reader never comes back", async () => {
  const destination = new HeldWriter();
  const writer = new BoundedWriter(destination, 1000);
  writer.write(bytes(10));
  await writer.flush(5);
  assert.equal(writer.stats.queuedBytes, 10);
  destination.release(); // let the test end with nothing pending
  await writer.flush(1000);
});

Deno.test("a queue size that is not a positive integer is a RangeError", () => {
  assert.throws(() => new BoundedWriter(new HeldWriter(), 0), RangeError);
});

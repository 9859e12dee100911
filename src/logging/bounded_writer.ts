/**
 * A writer that never blocks the caller and never holds more than a fixed number of bytes:
 * what does not fit is dropped and counted, and a broken destination (the reader of a pipe
 * gone: EPIPE) stops the writing, not the process.
 *
 * @module
 */

/** Where the bytes go: `Deno.stderr` and `Deno.stdout` are such writers. */
export interface ByteWriter {
  write(bytes: Uint8Array): Promise<number>;
}

/** Counters of a {@linkcode BoundedWriter}. */
export interface BoundedWriterStats {
  /** Chunks accepted and not yet written. */
  queuedChunks: number;
  /** Bytes accepted and not yet written. */
  queuedBytes: number;
  /** Chunks refused because the queue was full or the destination broken. */
  droppedChunks: number;
  /** The error that broke the destination, if it broke. */
  broken: Error | undefined;
}

/**
 * Queues chunks for one {@linkcode ByteWriter} and writes them one at a time in the
 * background. A stopped reader (a pipe nobody reads) leaves one write pending forever: the
 * queue then fills up to `maxQueuedBytes` and every later chunk is dropped, so memory stays
 * bounded however fast lines come. `Deno.stderr.write` runs off the main thread, so the loop
 * is never blocked either (unlike `console.error`, which blocks on a full pipe).
 */
export class BoundedWriter {
  readonly #destination: ByteWriter;
  readonly #maxQueuedBytes: number;
  #queue: Uint8Array[] = [];
  #head = 0;
  #queuedBytes = 0;
  #droppedChunks = 0;
  #broken: Error | undefined;
  #writing = false;
  #idle: (() => void)[] = [];

  /**
   * @param destination where the bytes go
   * @param maxQueuedBytes bytes that may wait; a chunk that would exceed it is dropped
   * @throws {RangeError} when `maxQueuedBytes` is not a positive integer
   */
  constructor(destination: ByteWriter, maxQueuedBytes: number) {
    if (!Number.isInteger(maxQueuedBytes) || maxQueuedBytes <= 0) {
      throw new RangeError(`Queue size must be a positive integer, got ${maxQueuedBytes}`);
    }
    this.#destination = destination;
    this.#maxQueuedBytes = maxQueuedBytes;
  }

  /**
   * Queues `bytes` (which must not change afterwards) and returns whether it was accepted:
   * false when the queue is full or the destination broken. Never throws, never blocks.
   */
  write(bytes: Uint8Array): boolean {
    if (this.#broken || this.#queuedBytes + bytes.length > this.#maxQueuedBytes) {
      this.#droppedChunks++;
      return false;
    }
    this.#queue.push(bytes);
    this.#queuedBytes += bytes.length;
    if (!this.#writing) this.#drain();
    return true;
  }

  /** Whether `bytes` more would be accepted now. */
  fits(bytes: number): boolean {
    return !this.#broken && this.#queuedBytes + bytes <= this.#maxQueuedBytes;
  }

  /** The counters, for reports and tests. */
  get stats(): BoundedWriterStats {
    return {
      queuedChunks: this.#queue.length - this.#head,
      queuedBytes: this.#queuedBytes,
      droppedChunks: this.#droppedChunks,
      broken: this.#broken,
    };
  }

  /**
   * Resolves once everything queued is written, the destination broke, or `timeoutMs` passed
   * (a stopped reader may never take the rest: shutting down must not wait for it).
   */
  async flush(timeoutMs: number): Promise<void> {
    if (!this.#writing) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.#idle.push(resolve)),
      new Promise<void>((resolve) => timer = setTimeout(resolve, timeoutMs)),
    ]);
    clearTimeout(timer);
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#head < this.#queue.length && !this.#broken) {
        const chunk = this.#queue[this.#head];
        let at = 0;
        while (at < chunk.length) at += await this.#destination.write(chunk.subarray(at));
        this.#queue[this.#head++] = EMPTY;
        this.#queuedBytes -= chunk.length;
        // Compact now and then, so the array does not grow with everything ever written.
        if (this.#head >= 1024 && this.#head * 2 >= this.#queue.length) {
          this.#queue = this.#queue.slice(this.#head);
          this.#head = 0;
        }
      }
    } catch (error) {
      // EPIPE, EBADF, …: nobody will read what follows. Drop it all and keep serving.
      this.#broken = error instanceof Error ? error : new Error(String(error));
      this.#droppedChunks += this.#queue.length - this.#head;
    }
    if (this.#broken) {
      this.#queue = [];
      this.#head = 0;
      this.#queuedBytes = 0;
    }
    this.#writing = false;
    for (const resolve of this.#idle.splice(0)) resolve();
  }
}

const EMPTY = new Uint8Array(0);

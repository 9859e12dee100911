/**
 * One client's TCP connection: frames in, frames out, never blocking anyone else.
 *
 * @module
 */
import { FRAME_PREFIX_BYTES, FrameDecoder, ProtocolError } from "../protocol/mod.ts";
import type { Clock, TimerId } from "../clock.ts";
import { normalizeIp } from "./address.ts";

/** Why the transport closed a connection on its own. */
export type ConnectionCloseReason =
  | "connection_closed"
  | "connection_error"
  | "frame_too_large"
  | "write_backlog"
  | "internal_error";

/** Limits of one connection. */
export interface TcpConnectionOptions {
  /** Largest frame payload the peer may send. */
  maxFrameBytes: number;
  /** Bytes that may wait to be written before the peer counts as stuck. */
  maxWriteQueueBytes: number;
  /** Times {@linkcode TcpConnection.end}'s grace period. */
  clock: Clock;
  /** Told of each frame queued: its first payload byte and its size with the prefix (metrics). */
  onFrameQueued?: (firstByte: number, frameBytes: number) => void;
}

// Big enough for a burst of SAR frames (VOICE is about 1 KiB); small enough for 1000 clients.
const READ_BUFFER_BYTES = 8192;

/**
 * Wraps a socket with a frame decoder and a write queue.
 *
 * Reading: frames go to {@linkcode TcpConnection.onFrame} in order; a partial frame waits in
 * this connection's own buffer, so it delays nobody.
 *
 * Writing: frames are copied into a pending buffer and written by one writer at a time, so
 * frames never interleave; everything queued while a write is in flight goes out in the next
 * single write (batching). Deno does not copy a buffer handed to `write`, so the writer owns
 * two buffers and only ever refills the one not being written. The queue is capped in bytes;
 * a peer that stops reading is closed with `write_backlog` instead of growing memory.
 */
export class TcpConnection {
  /** The peer address as the socket reports it (used to send it UDP). */
  readonly remoteHostname: string;
  /** The peer address normalised for comparisons (`::ffff:1.2.3.4` → `1.2.3.4`). */
  readonly remoteIp: string;
  /** Called for each complete frame payload; return false to stop reading. */
  onFrame: (payload: Uint8Array) => boolean | void = () => {};
  /** Called once when the transport closes the connection itself (not on close()/end()). */
  onClose: (reason: ConnectionCloseReason, error?: unknown) => void = () => {};

  readonly #conn: Deno.TcpConn;
  readonly #decoder: FrameDecoder;
  readonly #maxQueue: number;
  readonly #clock: Clock;
  readonly #onFrameQueued: ((firstByte: number, frameBytes: number) => void) | undefined;
  #state: "open" | "ending" | "closed" = "open";

  #pending = new Uint8Array(512);
  #pendingLength = 0;
  #spare = new Uint8Array(512);
  /** Where the replaceable frame (the newest bulk update) sits in #pending, or -1. */
  #latestAt = -1;
  #latestLength = 0;
  #flushScheduled = false;
  /** What the socket is writing now: one of the two queue buffers, or a shared frame. */
  #inflight: Uint8Array | undefined;
  #inflightLength = 0;
  #inflightOffset = 0;
  #drainWaiters: (() => void)[] = [];

  #readDone: Promise<void> = Promise.resolve();
  #closedResolve!: () => void;
  readonly #closed = new Promise<void>((resolve) => this.#closedResolve = resolve);

  constructor(conn: Deno.TcpConn, options: TcpConnectionOptions) {
    this.#conn = conn;
    // Frames are already batched per turn of the event loop; Nagle would only add the peer's
    // delayed-ACK time (40 ms on Linux) to chat, relays and bulk updates.
    conn.setNoDelay(true);
    const remote = conn.remoteAddr;
    this.remoteHostname = remote.hostname;
    this.remoteIp = normalizeIp(remote.hostname);
    this.#decoder = new FrameDecoder(options.maxFrameBytes);
    this.#maxQueue = options.maxWriteQueueBytes;
    this.#clock = options.clock;
    this.#onFrameQueued = options.onFrameQueued;
  }

  /** Starts reading. */
  start(): void {
    this.#readDone = this.#readLoop();
  }

  /** True until the connection starts ending or is closed. */
  get isOpen(): boolean {
    return this.#state === "open";
  }

  /** Resolves once the socket is closed and its reader has stopped. */
  get closed(): Promise<void> {
    return this.#closed.then(() => this.#readDone);
  }

  /** Queues one frame (the payload is copied and length-prefixed); false once closing. */
  send(payload: Uint8Array): boolean {
    if (this.#state !== "open") return false;
    this.#onFrameQueued?.(payload[0], payload.length + FRAME_PREFIX_BYTES);
    return this.#enqueue(payload, false);
  }

  /**
   * Sends a complete frame (length prefix included) that the caller never changes again, and
   * that supersedes the previous one sent this way if that one is still queued (bulk updates:
   * only the newest positions matter). An idle connection writes it as is, without copying,
   * so one bulk update goes to every TCP-only client from the same bytes.
   */
  sendSharedLatest(frame: Uint8Array): boolean {
    if (this.#state !== "open") return false;
    this.#onFrameQueued?.(frame[FRAME_PREFIX_BYTES], frame.length);
    if (this.#inflight || this.#pendingLength > 0 || this.#flushScheduled) {
      return this.#enqueue(frame.subarray(FRAME_PREFIX_BYTES), true);
    }
    this.#startWrite(frame, frame.length);
    return true;
  }

  /**
   * Graceful close: writes what is queued, sends FIN, then waits for the peer to close (so an
   * unread inbound byte cannot turn the close into a reset that destroys the last message),
   * at most `graceMs` in all. Frames arriving meanwhile are ignored.
   */
  async end(graceMs: number): Promise<void> {
    if (this.#state !== "open") return this.closed;
    this.#state = "ending";
    const timer: TimerId = this.#clock.setTimeout(() => this.close(), graceMs);
    await this.#whenDrained();
    if (this.#state === "ending") {
      try {
        await this.#conn.closeWrite();
      } catch {
        this.close();
      }
    }
    await this.closed;
    this.#clock.clearTimeout(timer);
  }

  /** Closes at once; queued bytes are dropped. */
  close(): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    try {
      this.#conn.close();
    } catch {
      // Already closed by the runtime after an error.
    }
    this.#wakeDrainWaiters();
    this.#closedResolve();
  }

  #fail(reason: ConnectionCloseReason, error?: unknown): void {
    if (this.#state === "closed") return;
    this.close();
    this.onClose(reason, error);
  }

  readonly #deliver = (payload: Uint8Array): boolean | void =>
    this.#state === "open" ? this.onFrame(payload) : false;

  async #readLoop(): Promise<void> {
    const buffer = new Uint8Array(READ_BUFFER_BYTES);
    while (this.#state !== "closed") {
      let count: number | null;
      try {
        count = await this.#conn.read(buffer);
      } catch (error) {
        this.#fail("connection_error", error);
        return;
      }
      if (count === null) {
        if (this.#state === "ending") this.close();
        else this.#fail("connection_closed");
        return;
      }
      if (this.#state !== "open") continue;
      try {
        this.#decoder.push(buffer.subarray(0, count), this.#deliver);
      } catch (error) {
        this.#fail(error instanceof ProtocolError ? "frame_too_large" : "internal_error", error);
        return;
      }
    }
  }

  #enqueue(payload: Uint8Array, latest: boolean): boolean {
    if (latest && this.#latestAt >= 0) {
      const end = this.#latestAt + this.#latestLength;
      this.#pending.copyWithin(this.#latestAt, end, this.#pendingLength);
      this.#pendingLength -= this.#latestLength;
      this.#latestAt = -1;
    }
    const frameLength = FRAME_PREFIX_BYTES + payload.length;
    const at = this.#pendingLength;
    if (at + frameLength > this.#maxQueue) {
      this.#fail("write_backlog");
      return false;
    }
    if (at + frameLength > this.#pending.length) {
      let capacity = this.#pending.length * 2;
      while (capacity < at + frameLength) capacity *= 2;
      const grown = new Uint8Array(capacity);
      grown.set(this.#pending.subarray(0, at));
      this.#pending = grown;
    }
    const pending = this.#pending;
    const length = payload.length;
    pending[at] = length >>> 24;
    pending[at + 1] = (length >>> 16) & 0xff;
    pending[at + 2] = (length >>> 8) & 0xff;
    pending[at + 3] = length & 0xff;
    pending.set(payload, at + FRAME_PREFIX_BYTES);
    this.#pendingLength = at + frameLength;
    if (latest) {
      this.#latestAt = at;
      this.#latestLength = frameLength;
    }
    if (!this.#inflight && !this.#flushScheduled) {
      // Deferred so every frame queued in this turn of the event loop goes out in one write.
      this.#flushScheduled = true;
      queueMicrotask(this.#flush);
    }
    return true;
  }

  readonly #flush = (): void => {
    this.#flushScheduled = false;
    if (!this.#inflight && this.#pendingLength > 0 && this.#state !== "closed") {
      this.#writePending();
    }
  };

  /** Writes the pending buffer while the other one takes new frames. */
  #writePending(): void {
    const buffer = this.#pending;
    const length = this.#pendingLength;
    this.#pending = this.#spare;
    this.#spare = buffer;
    this.#pendingLength = 0;
    this.#latestAt = -1;
    this.#startWrite(buffer, length);
  }

  // Writes go through pre-bound callbacks rather than an async loop: at 20 writes a second per
  // TCP-only client, the extra promises of an async function per write are measurable.
  #startWrite(buffer: Uint8Array, length: number): void {
    this.#inflight = buffer;
    this.#inflightLength = length;
    this.#inflightOffset = 0;
    this.#writeMore();
  }

  #writeMore(): void {
    const buffer = this.#inflight!;
    const offset = this.#inflightOffset;
    const chunk = offset === 0 && this.#inflightLength === buffer.length
      ? buffer
      : buffer.subarray(offset, this.#inflightLength);
    this.#conn.write(chunk).then(this.#written, this.#writeFailed);
  }

  readonly #written = (count: number): void => {
    if (this.#state === "closed") return this.#writeDone();
    this.#inflightOffset += count;
    if (this.#inflightOffset < this.#inflightLength) return this.#writeMore();
    if (this.#pendingLength > 0) return this.#writePending();
    this.#writeDone();
  };

  readonly #writeFailed = (error: unknown): void => {
    this.#writeDone();
    this.#fail("connection_error", error);
  };

  #writeDone(): void {
    this.#inflight = undefined;
    this.#wakeDrainWaiters();
  }

  #whenDrained(): Promise<void> {
    if ((!this.#inflight && this.#pendingLength === 0) || this.#state === "closed") {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  #wakeDrainWaiters(): void {
    if (this.#inflight && this.#state !== "closed") return;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const wake of waiters) wake();
  }
}

/**
 * TCP framing: u32 big-endian payload length, then the payload (docs/protocol.md §2.1).
 *
 * @module
 */
import { ProtocolError } from "./errors.ts";

/**
 * Bytes of the length prefix in front of every TCP frame.
 *
 * @example
 * ```ts
 * import { encodeFrame, FRAME_PREFIX_BYTES } from "@ghosting/server";
 *
 * const frame = encodeFrame(new Uint8Array([1, 0, 0, 0, 7]));
 * const payload = frame.subarray(FRAME_PREFIX_BYTES); // the PING again
 * ```
 */
export const FRAME_PREFIX_BYTES = 4;

/**
 * The default cap on a client frame's payload; SAR's largest is a VOICE of about 1 KiB, so the
 * cap only stops peers that are not SAR from making the server buffer without bound.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_FRAME_BYTES, GhostServer } from "@ghosting/server";
 *
 * // Allow frames twice as large as usual, e.g. for a custom client.
 * const server = new GhostServer({ maxFrameBytes: 2 * DEFAULT_MAX_FRAME_BYTES });
 * ```
 */
export const DEFAULT_MAX_FRAME_BYTES = 65536;

/**
 * Prefixes a payload with its u32 big-endian length, returning a new array. Every packet sent
 * over TCP goes through this; UDP datagrams carry the payload alone.
 *
 * @example
 * ```ts
 * import { encodeClientPacket, encodeFrame, Header } from "@ghosting/server";
 *
 * const ping = encodeClientPacket({ header: Header.PING, id: 7 });
 * const frame = encodeFrame(ping);
 * console.log(frame); // Uint8Array(9) [ 0, 0, 0, 5, 1, 0, 0, 0, 7 ]
 * ```
 */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(FRAME_PREFIX_BYTES + payload.length);
  new DataView(frame.buffer).setUint32(0, payload.length);
  frame.set(payload, FRAME_PREFIX_BYTES);
  return frame;
}

/**
 * Splits a TCP byte stream into frame payloads, whatever the chunking: split frames are kept
 * until complete, coalesced frames are delivered one by one. A length above the cap raises
 * `frame_too_large` as soon as the prefix is read, before any payload is buffered.
 *
 * Payloads passed to the callback may alias the input or an internal buffer: they are valid
 * only during the callback. Copy what must outlive it.
 *
 * @example
 * ```ts
 * import { FrameDecoder } from "@ghosting/server";
 *
 * const decoder = new FrameDecoder(65536);
 * decoder.push(new Uint8Array([0, 0, 0, 1]), (p) => console.log(p));
 * decoder.push(new Uint8Array([0x01]), (p) => console.log(p)); // Uint8Array(1) [ 1 ]
 * ```
 */
export class FrameDecoder {
  /** The largest payload accepted; a longer announced length raises `frame_too_large`. */
  readonly maxFrameBytes: number;
  #pending: Uint8Array = new Uint8Array(64);
  #pendingLength = 0;

  /**
   * Creates a decoder with an empty buffer.
   *
   * @throws {RangeError} when `maxFrameBytes` is not an integer from 1 to 2³² − 1
   */
  constructor(maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {
    if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 1 || maxFrameBytes > 0xffffffff) {
      throw new RangeError(`maxFrameBytes must be a positive integer, got ${maxFrameBytes}`);
    }
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Bytes held back because they do not complete a frame yet. */
  get bufferedBytes(): number {
    return this.#pendingLength;
  }

  /**
   * Consumes a chunk and calls `onFrame` for each complete payload, in order. When `onFrame`
   * returns `false` decoding stops and the rest of the stream is discarded.
   *
   * @throws {ProtocolError} `frame_too_large`
   */
  push(chunk: Uint8Array, onFrame: (payload: Uint8Array) => boolean | void): void {
    let input = chunk;
    if (this.#pendingLength > 0) {
      this.#append(chunk);
      input = this.#pending.subarray(0, this.#pendingLength);
    }
    let offset = 0;
    while (input.length - offset >= FRAME_PREFIX_BYTES) {
      const length = ((input[offset] << 24) | (input[offset + 1] << 16) |
        (input[offset + 2] << 8) | input[offset + 3]) >>> 0;
      if (length > this.maxFrameBytes) {
        this.#pendingLength = 0;
        throw new ProtocolError(
          "frame_too_large",
          `Frame of ${length} bytes exceeds the ${this.maxFrameBytes}-byte limit`,
        );
      }
      const end = offset + FRAME_PREFIX_BYTES + length;
      if (end > input.length) break;
      const keepGoing = onFrame(input.subarray(offset + FRAME_PREFIX_BYTES, end));
      offset = end;
      if (keepGoing === false) {
        this.#pendingLength = 0;
        return;
      }
    }
    const rest = input.length - offset;
    if (input === chunk) {
      if (rest > 0) this.#append(chunk.subarray(offset));
    } else if (rest === 0) {
      this.#pendingLength = 0;
    } else if (offset > 0) {
      this.#pending.copyWithin(0, offset, this.#pendingLength);
      this.#pendingLength = rest;
    }
  }

  #append(bytes: Uint8Array): void {
    const needed = this.#pendingLength + bytes.length;
    if (needed > this.#pending.length) {
      let capacity = this.#pending.length * 2;
      while (capacity < needed) capacity *= 2;
      const grown = new Uint8Array(capacity);
      grown.set(this.#pending.subarray(0, this.#pendingLength));
      this.#pending = grown;
    }
    this.#pending.set(bytes, this.#pendingLength);
    this.#pendingLength = needed;
  }
}

/**
 * Growable writer producing sf::Packet's encodings (docs/protocol.md §1).
 *
 * @module
 */
import type { Color, DataGhost, Vec3 } from "./types.ts";
import { DATA_GHOST_BYTES, packViewOffset } from "./data_ghost.ts";
import { encodeText } from "./text.ts";

function checkInteger(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${what} must be an integer from 0 to ${max}, got ${value}`);
  }
}

/**
 * Appends big-endian integers, little-endian floats, length-prefixed strings and composites to
 * a buffer that grows as needed. A writer can be {@linkcode PacketWriter.reset reset} and reused
 * so hot paths do not allocate. Out-of-range integers raise a `RangeError`.
 *
 * Use it for layouts the typed encoders do not cover, or to build packets without allocating a
 * writer each time; {@linkcode encodeClientPacket} and {@linkcode encodeServerPacket} are
 * built on it.
 *
 * @example
 * ```ts
 * import { Header, PacketWriter } from "@ghosting/server";
 *
 * const writer = new PacketWriter();
 * for (const text of ["Race in 1 minute", "Race in 30 seconds"]) {
 *   // The same bytes as encodeServerPacket({ header: Header.MESSAGE, id: 0, text }).
 *   const bytes = writer.reset().u8(Header.MESSAGE).u32(0).string(text).toBytes();
 *   console.log(bytes.length);
 * }
 * ```
 */
export class PacketWriter {
  #buffer: Uint8Array;
  #view: DataView;
  #length = 0;

  /** Creates an empty writer; `initialCapacity` (at least 16) only sizes the first buffer. */
  constructor(initialCapacity = 64) {
    this.#buffer = new Uint8Array(Math.max(16, initialCapacity));
    this.#view = new DataView(this.#buffer.buffer);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#length;
  }

  /** Forgets the content and keeps the buffer. */
  reset(): this {
    this.#length = 0;
    return this;
  }

  // Callers must call this before touching #buffer or #view: it may replace both.
  #reserve(count: number): number {
    const at = this.#length;
    const needed = at + count;
    if (needed > this.#buffer.length) {
      let capacity = this.#buffer.length * 2;
      while (capacity < needed) capacity *= 2;
      const grown = new Uint8Array(capacity);
      grown.set(this.#buffer.subarray(0, at));
      this.#buffer = grown;
      this.#view = new DataView(grown.buffer);
    }
    this.#length = needed;
    return at;
  }

  /** One unsigned byte. */
  u8(value: number): this {
    checkInteger(value, 0xff, "u8");
    const at = this.#reserve(1);
    this.#buffer[at] = value;
    return this;
  }

  /** A big-endian u16 (only CONNECT's UDP port). */
  u16(value: number): this {
    checkInteger(value, 0xffff, "u16");
    const at = this.#reserve(2);
    this.#view.setUint16(at, value);
    return this;
  }

  /** A big-endian u32, the protocol's ids, counts and lengths. */
  u32(value: number): this {
    checkInteger(value, 0xffffffff, "u32");
    const at = this.#reserve(4);
    this.#view.setUint32(at, value);
    return this;
  }

  /** A little-endian u32 (only inside VOICE's raw Steam header). */
  u32le(value: number): this {
    checkInteger(value, 0xffffffff, "u32");
    const at = this.#reserve(4);
    this.#view.setUint32(at, value, true);
    return this;
  }

  /** Overwrites a u32 already written at `offset` (for length prefixes and counts). */
  patchU32(offset: number, value: number): this {
    checkInteger(value, 0xffffffff, "u32");
    if (offset < 0 || offset + 4 > this.#length) {
      throw new RangeError(`Offset ${offset} is outside the ${this.#length} bytes written`);
    }
    this.#view.setUint32(offset, value);
    return this;
  }

  /** A float in little-endian order, as SFML writes it on x86. */
  f32(value: number): this {
    if (typeof value !== "number") throw new TypeError(`f32 must be a number, got ${typeof value}`);
    const at = this.#reserve(4);
    this.#view.setFloat32(at, value, true);
    return this;
  }

  /** One byte: 1 for true, 0 for false. */
  bool(value: boolean): this {
    const at = this.#reserve(1);
    this.#buffer[at] = value ? 1 : 0;
    return this;
  }

  /** Raw bytes, no length prefix. */
  bytes(bytes: Uint8Array): this {
    const at = this.#reserve(bytes.length);
    this.#buffer.set(bytes, at);
    return this;
  }

  /**
   * A string: u32 big-endian byte count, then the bytes (for a JS string: UTF-8, with the
   * escaped bytes of {@linkcode decodeText} restored).
   */
  string(value: string | Uint8Array): this {
    const bytes = typeof value === "string" ? encodeText(value) : value;
    return this.u32(bytes.length).bytes(bytes);
  }

  /** Three little-endian f32 values. */
  vec3(value: Vec3): this {
    return this.f32(value.x).f32(value.y).f32(value.z);
  }

  /** Three bytes: red, green, blue. */
  color(value: Color): this {
    return this.u8(value.r).u8(value.g).u8(value.b);
  }

  /** A DataGhost: decoded values, or 25 raw bytes copied unchanged. */
  dataGhost(value: DataGhost | Uint8Array): this {
    if (value instanceof Uint8Array) {
      if (value.length !== DATA_GHOST_BYTES) {
        throw new RangeError(`A raw DataGhost is ${DATA_GHOST_BYTES} bytes, got ${value.length}`);
      }
      return this.bytes(value);
    }
    return this.vec3(value.position).vec3(value.viewAngle)
      .u8(packViewOffset(value.viewOffset, value.grounded));
  }

  /** A view of the bytes written; valid until the next write or reset. */
  view(): Uint8Array {
    return this.#buffer.subarray(0, this.#length);
  }

  /** A copy of the bytes written. */
  toBytes(): Uint8Array {
    return this.#buffer.slice(0, this.#length);
  }
}

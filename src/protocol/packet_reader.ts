/**
 * Sequential reader over one packet's bytes, with sf::Packet's encodings (docs/protocol.md §1).
 *
 * @module
 */
import { ProtocolError } from "./errors.ts";
import type { Color, DataGhost, Vec3 } from "./types.ts";
import { DATA_GHOST_BYTES } from "./data_ghost.ts";
import { decodeText } from "./text.ts";

/**
 * Reads big-endian integers, little-endian floats, length-prefixed strings and composites.
 * Every read checks that enough bytes remain and throws a {@linkcode ProtocolError} with code
 * `truncated_packet` otherwise. Returned byte views alias the input; copy them to keep them.
 *
 * Use it for layouts the typed decoders do not cover; {@linkcode decodeClientPacket} and
 * {@linkcode decodeServerPacket} are built on it.
 *
 * @example
 * ```ts
 * import { Header, PacketReader } from "@ghosting/server";
 *
 * // MESSAGE from client 3: header, id, then a length-prefixed string.
 * const bytes = new Uint8Array([Header.MESSAGE, 0, 0, 0, 3, 0, 0, 0, 2, 0x68, 0x69]);
 * const reader = new PacketReader(bytes);
 * console.log(reader.u8(), reader.u32(), reader.string()); // 7 3 "hi"
 * console.log(reader.remaining); // 0
 * ```
 */
export class PacketReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #offset = 0;

  /** Starts reading at the first byte of `bytes`, which are not copied. */
  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Bytes consumed so far. */
  get offset(): number {
    return this.#offset;
  }

  /** Bytes not yet consumed. */
  get remaining(): number {
    return this.#bytes.length - this.#offset;
  }

  #take(count: number): number {
    const at = this.#offset;
    if (count > this.#bytes.length - at) {
      throw new ProtocolError(
        "truncated_packet",
        `Packet ends early: ${count} bytes needed at offset ${at}, ${this.#bytes.length - at} left`,
      );
    }
    this.#offset = at + count;
    return at;
  }

  /** One unsigned byte. */
  u8(): number {
    return this.#view.getUint8(this.#take(1));
  }

  /** A big-endian u16 (only CONNECT's UDP port). */
  u16(): number {
    return this.#view.getUint16(this.#take(2));
  }

  /** A big-endian u32, the protocol's ids, counts and lengths. */
  u32(): number {
    return this.#view.getUint32(this.#take(4));
  }

  /** A little-endian u32 (only inside VOICE's raw Steam header). */
  u32le(): number {
    return this.#view.getUint32(this.#take(4), true);
  }

  /** A native-order float, which is little-endian on every platform SAR runs on. */
  f32(): number {
    return this.#view.getFloat32(this.#take(4), true);
  }

  /** One byte; any non-zero value is true, as in SFML. */
  bool(): boolean {
    return this.u8() !== 0;
  }

  /** `count` raw bytes (a view into the packet). */
  bytes(count: number): Uint8Array {
    const at = this.#take(count);
    return this.#bytes.subarray(at, at + count);
  }

  /** Everything not yet read (a view into the packet). */
  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }

  /** A string's raw bytes: u32 big-endian byte count, then the bytes. */
  stringBytes(): Uint8Array {
    return this.bytes(this.u32());
  }

  /**
   * A string, decoded losslessly: UTF-8, with the bytes of invalid sequences kept as escapes
   * (see {@linkcode decodeText}), so that writing it back gives the same bytes.
   */
  string(): string {
    return decodeText(this.stringBytes());
  }

  /** Three little-endian f32 values. */
  vec3(): Vec3 {
    const at = this.#take(12);
    const view = this.#view;
    return {
      x: view.getFloat32(at, true),
      y: view.getFloat32(at + 4, true),
      z: view.getFloat32(at + 8, true),
    };
  }

  /** Three bytes: red, green, blue. */
  color(): Color {
    const at = this.#take(3);
    const bytes = this.#bytes;
    return { r: bytes[at], g: bytes[at + 1], b: bytes[at + 2] };
  }

  /** A 25-byte pose, with the packed byte split into eye height and grounded. */
  dataGhost(): DataGhost {
    if (this.remaining < DATA_GHOST_BYTES) this.#take(DATA_GHOST_BYTES);
    const position = this.vec3();
    const viewAngle = this.vec3();
    const packed = this.u8();
    return { position, viewAngle, viewOffset: packed & 0x7f, grounded: (packed & 0x80) !== 0 };
  }
}

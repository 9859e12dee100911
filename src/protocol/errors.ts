/**
 * The codec's one error type.
 *
 * @module
 */

/**
 * Why bytes could not be decoded. Each code is also a drop or disconnect reason, so the server
 * can report it without translation.
 *
 * @example
 * ```ts
 * import { decodeClientPacket, ProtocolError, type ProtocolErrorCode } from "@ghosting/server";
 *
 * function problem(bytes: Uint8Array): ProtocolErrorCode | undefined {
 *   try {
 *     decodeClientPacket(bytes);
 *     return undefined;
 *   } catch (error) {
 *     if (error instanceof ProtocolError) return error.code;
 *     throw error;
 *   }
 * }
 *
 * console.log(problem(new Uint8Array([1, 0, 0]))); // "truncated_packet"
 * ```
 */
export type ProtocolErrorCode =
  | "truncated_packet"
  | "unknown_header"
  | "frame_too_large";

/**
 * Raised by the codec, and only by the codec, when bytes are not a valid packet or frame. Any
 * other error out of a decode call is a bug, which is why callers can catch this one alone.
 *
 * @example
 * ```ts
 * import { decodeClientPacket, ProtocolError } from "@ghosting/server";
 *
 * try {
 *   decodeClientPacket(new Uint8Array([42]));
 * } catch (error) {
 *   if (!(error instanceof ProtocolError)) throw error;
 *   console.log(error.code); // "unknown_header"
 * }
 * ```
 */
export class ProtocolError extends Error {
  /** Machine-readable reason, used as the drop or disconnect reason code. */
  readonly code: ProtocolErrorCode;

  /** Creates an error with its machine-readable `code` and a message for people. */
  constructor(code: ProtocolErrorCode, message: string) {
    super(message);
    this.name = "ProtocolError";
    this.code = code;
  }
}

/**
 * The codec's one error type.
 *
 * @module
 */

/** Why bytes could not be decoded. Each code is also a drop or disconnect reason. */
export type ProtocolErrorCode =
  | "truncated_packet"
  | "unknown_header"
  | "frame_too_large";

/** Raised by the codec, and only by the codec, when bytes are not a valid packet or frame. */
export class ProtocolError extends Error {
  /** Machine-readable reason, used as the drop or disconnect reason code. */
  readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string) {
    super(message);
    this.name = "ProtocolError";
    this.code = code;
  }
}

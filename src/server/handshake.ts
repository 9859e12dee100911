/**
 * The first frame of a connection (docs/protocol.md §4.2 steps 3–4), hardened per §7.6 and §7.7: the
 * wait has a deadline, not a blocking read, and the frame must be a complete CONNECT.
 *
 * @module
 */
import {
  type ConnectPacket,
  decodeClientPacket,
  Header,
  headerName,
  ProtocolError,
  readConnectPose,
} from "../protocol/mod.ts";
import type { TcpConnection } from "../net/tcp_connection.ts";
import type { RefusalReason } from "./reasons.ts";

/** What the first frame turned out to be. */
export type FirstFrame =
  | { connect: ConnectPacket; pose: Uint8Array }
  | { refusal: RefusalReason; detail: string };

/**
 * Checks that a first frame is a complete CONNECT. The C++ server takes any first frame as a
 * CONNECT and reads missing fields from uninitialised memory; that is refused here.
 */
export function readFirstFrame(payload: Uint8Array): FirstFrame {
  if (payload.length === 0) return { refusal: "not_connect_first", detail: "first frame is empty" };
  if (payload[0] !== Header.CONNECT) {
    return { refusal: "not_connect_first", detail: `first frame is ${headerName(payload[0])}` };
  }
  let connect: ConnectPacket;
  try {
    connect = decodeClientPacket(payload) as ConnectPacket;
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    return { refusal: "truncated_packet", detail: error.message };
  }
  return { connect, pose: readConnectPose(payload) };
}

/** How a handshake ends. */
export interface HandshakeCallbacks {
  /**
   * The first frame arrived, undecoded (synchronously, before any later frame): the caller
   * checks what needs no decoding first. Return false to stop reading.
   */
  onFirstFrame(payload: Uint8Array): boolean;
  /** No first frame: timeout, or the connection closed or broke first. */
  onFailure(reason: RefusalReason, detail: string): void;
}

/** A handshake in progress, as its owner holds it. */
export interface Handshake {
  /** Stops waiting: later frames, a close or a timeout are ignored. */
  abandon(): void;
  /** Ends the wait as timed out (`handshake_timeout`), unless it already ended. */
  timeOut(): void;
}

/**
 * Starts reading a new connection and waits, without blocking anyone, for its first frame.
 * It sets no timer of its own: whoever holds the handshakes times them out together (one
 * timer for thousands of pending connections, see `admission.ts`) with
 * {@linkcode Handshake.timeOut}.
 */
export function startHandshake(
  connection: TcpConnection,
  timeoutMs: number,
  callbacks: HandshakeCallbacks,
): Handshake {
  let settled = false;
  const settle = () => {
    if (settled) return false;
    settled = true;
    return true;
  };
  connection.onFrame = (payload) => settle() ? callbacks.onFirstFrame(payload) : false;
  connection.onClose = (reason, error) => {
    if (!settle()) return;
    const refusal: RefusalReason = reason === "frame_too_large" || reason === "connection_closed"
      ? reason
      : "connection_error";
    callbacks.onFailure(refusal, error instanceof Error ? error.message : reason);
  };
  connection.start();
  return {
    abandon: settle,
    timeOut: () => {
      if (settle()) callbacks.onFailure("handshake_timeout", `no CONNECT within ${timeoutMs} ms`);
    },
  };
}

/**
 * Choosing the UDP backend (`[server] udp_backend`), with the fallback when "mmsg" cannot run.
 *
 * @module
 */
import type { UdpBackendName } from "../config/schema.ts";
import { type DatagramHandler, DenoUdpSocket, type UdpSocket } from "./udp_socket.ts";
import { MmsgUdpSocket, MmsgUnavailableError } from "./mmsg_udp_socket.ts";

/** The socket opened, which backend it is, and why it is not the one asked for, if it is not. */
export interface OpenedUdpSocket {
  socket: UdpSocket;
  backend: UdpBackendName;
  fallbackReason?: string;
}

/**
 * Opens the server's UDP socket with the requested backend; "mmsg" falls back to "portable"
 * when this platform or process cannot use it (not Linux, no `--allow-ffi`, no glibc).
 *
 * @throws {Deno.errors.AddrInUse} and other bind errors, whatever the backend
 */
export function openUdpSocket(
  backend: UdpBackendName,
  hostname: string,
  port: number,
  onDatagram: DatagramHandler,
): OpenedUdpSocket {
  let fallbackReason: string | undefined;
  if (backend === "mmsg") {
    try {
      return { socket: MmsgUdpSocket.open(hostname, port, onDatagram), backend };
    } catch (error) {
      if (!(error instanceof MmsgUnavailableError)) throw error;
      fallbackReason = error.message;
    }
  }
  return {
    socket: DenoUdpSocket.open(hostname, port, onDatagram),
    backend: "portable",
    fallbackReason,
  };
}

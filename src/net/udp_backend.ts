/**
 * Choosing the UDP backend (`[server] udp_backend`): "auto" takes the batched Linux backend
 * wherever it works and the portable one elsewhere; "mmsg" falls back when it cannot run.
 *
 * @module
 */
import type { UdpBackendName } from "../config/schema.ts";
import { type DatagramHandler, DenoUdpSocket, type UdpSocket } from "./udp_socket.ts";
import { MmsgUdpSocket, MmsgUnavailableError } from "./mmsg_udp_socket.ts";

/** A backend actually in use: "auto" resolved. */
export type ResolvedUdpBackend = Exclude<UdpBackendName, "auto">;

/** How to open the socket, beyond the backend's name. */
export interface UdpBackendOptions {
  /** Let the mmsg backend segment split updates in the kernel (UDP GSO). Default true. */
  gso?: boolean;
  /** Called once if the kernel refuses a segmented send and GSO is turned off. */
  onGsoDisabled?: (reason: string) => void;
}

/** The socket opened, which backend it is, and why. */
export interface OpenedUdpSocket {
  socket: UdpSocket;
  backend: ResolvedUdpBackend;
  /** Why this backend (and, for mmsg, whether GSO is on now), for the log and the status. */
  readonly reason: string;
  /** Set when "mmsg" was asked for explicitly and could not be used: why not. */
  fallbackReason?: string;
}

function mmsgReason(socket: MmsgUdpSocket, why: string): string {
  const gso = socket.gso ? "UDP GSO on" : `UDP GSO off: ${socket.gsoOffReason}`;
  return `${why}; ${gso}`;
}

/**
 * Opens the server's UDP socket with the requested backend. "auto" uses "mmsg" where it works
 * (Linux, glibc, `--allow-ffi`) and "portable" elsewhere; an explicit "mmsg" also falls back
 * to "portable", and says so in `fallbackReason`.
 *
 * @throws {Deno.errors.AddrInUse} and other bind errors, whatever the backend
 */
export function openUdpSocket(
  backend: UdpBackendName,
  hostname: string,
  port: number,
  onDatagram: DatagramHandler,
  options: UdpBackendOptions = {},
): OpenedUdpSocket {
  let unavailable: string | undefined;
  if (backend !== "portable") {
    try {
      const socket = MmsgUdpSocket.open(hostname, port, onDatagram, {
        gso: options.gso,
        onGsoDisabled: options.onGsoDisabled,
      });
      const why = backend === "auto"
        ? "auto: batched system calls work here (Linux, FFI allowed)"
        : "configured";
      return {
        socket,
        backend: "mmsg",
        // Read when asked: GSO may have been turned off since.
        get reason() {
          return mmsgReason(socket, why);
        },
      };
    } catch (error) {
      if (!(error instanceof MmsgUnavailableError)) throw error;
      unavailable = error.message;
    }
  }
  const socket = DenoUdpSocket.open(hostname, port, onDatagram);
  if (backend === "auto") return { socket, backend: "portable", reason: `auto: ${unavailable}` };
  if (backend === "mmsg") {
    return {
      socket,
      backend: "portable",
      reason: `mmsg unavailable: ${unavailable}`,
      fallbackReason: unavailable,
    };
  }
  return { socket, backend: "portable", reason: "configured" };
}

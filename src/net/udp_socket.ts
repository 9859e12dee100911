/**
 * The server's UDP socket (the portable backend, on Deno's own sockets).
 *
 * @module
 */

/** Receives one datagram; `data` is only valid during the call. */
export type DatagramHandler = (data: Uint8Array, from: Deno.NetAddr) => void;

/** What the session layer needs from a UDP backend. */
export interface UdpSocket {
  /** The bound port (the same number as the TCP listener). */
  readonly port: number;
  /** Sends one datagram from the bound socket. `data` must stay unchanged until it is sent. */
  send(data: Uint8Array, to: Deno.NetAddr): void;
  /**
   * Handles every datagram already received; called right before each bulk update is built.
   * This backend handles datagrams as they arrive, so there is nothing left to do.
   */
  drain(): void;
  /**
   * Sends whatever {@linkcode UdpSocket.send} queued; called at the end of every tick. This
   * backend sends at once, so there is nothing left to do.
   */
  flush(): void;
  /** Stops receiving and closes the socket. */
  close(): Promise<void>;
}

// The largest UDP payload over IPv4: every datagram fits, so none is ever truncated.
const MAX_DATAGRAM_BYTES = 65507;

function ignoreSendError(): void {
  // UDP is best effort: an unreachable client (ICMP) must not disturb anyone else.
}

/** The portable backend: `Deno.listenDatagram`, one receive buffer reused for every datagram. */
export class DenoUdpSocket implements UdpSocket {
  readonly port: number;
  readonly #socket: Deno.DatagramConn;
  readonly #onDatagram: DatagramHandler;
  #closed = false;
  #loop: Promise<void> = Promise.resolve();

  private constructor(socket: Deno.DatagramConn, onDatagram: DatagramHandler) {
    this.#socket = socket;
    this.port = (socket.addr as Deno.NetAddr).port;
    this.#onDatagram = onDatagram;
  }

  /**
   * Binds `hostname:port` and starts receiving.
   *
   * @throws {Deno.errors.AddrInUse} and the runtime's other bind errors
   */
  static open(hostname: string, port: number, onDatagram: DatagramHandler): DenoUdpSocket {
    // hostname is always passed: some Deno versions default UDP to 127.0.0.1 (PROTOCOL.md §8).
    const socket = new DenoUdpSocket(
      Deno.listenDatagram({ hostname, port, transport: "udp" }),
      onDatagram,
    );
    socket.#loop = socket.#receiveLoop();
    return socket;
  }

  send(data: Uint8Array, to: Deno.NetAddr): void {
    if (this.#closed) return;
    this.#socket.send(data, to).then(undefined, ignoreSendError);
  }

  drain(): void {}

  flush(): void {}

  async close(): Promise<void> {
    if (this.#closed) return this.#loop;
    this.#closed = true;
    this.#socket.close();
    await this.#loop;
  }

  async #receiveLoop(): Promise<void> {
    const buffer = new Uint8Array(MAX_DATAGRAM_BYTES);
    while (!this.#closed) {
      let datagram: [Uint8Array, Deno.Addr];
      try {
        datagram = await this.#socket.receive(buffer);
      } catch (error) {
        if (this.#closed || error instanceof Deno.errors.BadResource) break;
        // After a send to a closed port Linux reports the ICMP error on the next receive;
        // that concerns one client, so keep receiving.
        continue;
      }
      this.#onDatagram(datagram[0], datagram[1] as Deno.NetAddr);
    }
  }
}

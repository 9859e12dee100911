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
   * Sends each of `datagrams` to `to` as a datagram of its own, in order: the receiver gets
   * exactly what as many {@linkcode UdpSocket.send} calls would give it. A backend may hand
   * them to the kernel in one go (UDP GSO). The buffers must stay unchanged until sent.
   */
  sendDatagrams(datagrams: readonly Uint8Array[], to: Deno.NetAddr): void;
  /**
   * Handles every datagram already received; called right before each bulk update is built,
   * and every 10 ms in between for a backend that does not read by itself. This backend
   * handles datagrams as they arrive, so there is nothing left to do.
   */
  drain(): void;
  /**
   * Sends whatever {@linkcode UdpSocket.send} queued; called at the end of every tick. This
   * backend sends at once, so there is nothing left to do.
   */
  flush(): void;
  /**
   * Datagrams given to {@linkcode UdpSocket.send} that were not sent (the socket could not
   * keep up, or the destination was refused), since the socket opened.
   */
  readonly sendsDropped: number;
  /** Stops receiving and closes the socket. */
  close(): Promise<void>;
}

/** Options of the portable backend. */
export interface DenoUdpSocketOptions {
  /**
   * Sends handed to the runtime and not yet completed, beyond which new ones are dropped.
   * Default 8192: more than two ticks of 400 clients with split bulk updates.
   */
  maxSendsInFlight?: number;
}

// The largest UDP payload over IPv4: every datagram fits, so none is ever truncated.
const MAX_DATAGRAM_BYTES = 65507;

/**
 * The portable backend: `Deno.listenDatagram`, one receive buffer reused for every datagram.
 *
 * Each send is an asynchronous operation of the runtime. When the event loop cannot complete
 * them as fast as ticks produce them (hundreds of clients with split bulk updates), queueing
 * more would only grow memory and delay everything else, heartbeats included, until healthy
 * clients time out. So at most `maxSendsInFlight` are pending; beyond that a datagram is
 * dropped and counted, as an overloaded network would lose it.
 */
export class DenoUdpSocket implements UdpSocket {
  readonly port: number;
  readonly #socket: Deno.DatagramConn;
  readonly #onDatagram: DatagramHandler;
  readonly #maxSendsInFlight: number;
  #sendsInFlight = 0;
  #sendsDropped = 0;
  #closed = false;
  #loop: Promise<void> = Promise.resolve();

  private constructor(
    socket: Deno.DatagramConn,
    onDatagram: DatagramHandler,
    options: DenoUdpSocketOptions,
  ) {
    this.#socket = socket;
    this.port = (socket.addr as Deno.NetAddr).port;
    this.#onDatagram = onDatagram;
    this.#maxSendsInFlight = options.maxSendsInFlight ?? 8192;
  }

  /**
   * Binds `hostname:port` and starts receiving.
   *
   * @throws {Deno.errors.AddrInUse} and the runtime's other bind errors
   */
  static open(
    hostname: string,
    port: number,
    onDatagram: DatagramHandler,
    options: DenoUdpSocketOptions = {},
  ): DenoUdpSocket {
    // hostname is always passed: some Deno versions default UDP to 127.0.0.1 (docs/protocol.md §2.2).
    const socket = new DenoUdpSocket(
      Deno.listenDatagram({ hostname, port, transport: "udp" }),
      onDatagram,
      options,
    );
    socket.#loop = socket.#receiveLoop();
    return socket;
  }

  get sendsDropped(): number {
    return this.#sendsDropped;
  }

  send(data: Uint8Array, to: Deno.NetAddr): void {
    if (this.#closed) return;
    if (this.#sendsInFlight >= this.#maxSendsInFlight) {
      this.#sendsDropped++;
      return;
    }
    this.#sendsInFlight++;
    this.#socket.send(data, to).then(this.#sent, this.#sendFailed);
  }

  sendDatagrams(datagrams: readonly Uint8Array[], to: Deno.NetAddr): void {
    for (let i = 0; i < datagrams.length; i++) this.send(datagrams[i], to);
  }

  readonly #sent = (): void => {
    this.#sendsInFlight--;
  };

  // UDP is best effort: an unreachable client (ICMP) must not disturb anyone else.
  readonly #sendFailed = (): void => {
    this.#sendsInFlight--;
    this.#sendsDropped++;
  };

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

/**
 * Where a client's UDP traffic comes from and goes to (docs/protocol.md §2.3, hardened).
 *
 * The C++ server moves a client's UDP port to the source port of any datagram from the client's
 * IP, so anyone sharing that IP could steal the stream. Here the endpoint only moves when the
 * current one has gone quiet, which still follows a NAT that rebinds.
 *
 * @module
 */

/** How long the current endpoint must be silent before another port may take it over. */
export const UDP_TAKEOVER_SILENCE_MS = 3000;

/**
 * The rule: the port announced in CONNECT is trusted; otherwise the first datagram fixes the
 * endpoint; after that, another port may take over only once the current one has been silent
 * for {@linkcode UDP_TAKEOVER_SILENCE_MS}. The caller has already checked the source IP.
 */
export class UdpEndpoint {
  #address: Deno.NetAddr;
  #heardAt: number | undefined;

  /**
   * @param hostname the client's address as the TCP socket reports it
   * @param announcedPort the UDP port from CONNECT
   */
  constructor(hostname: string, announcedPort: number) {
    this.#address = { transport: "udp", hostname, port: announcedPort };
  }

  /** Where datagrams for this client are sent. Replaced, never mutated, when the port moves. */
  get address(): Deno.NetAddr {
    return this.#address;
  }

  get port(): number {
    return this.#address.port;
  }

  /** Whether a datagram from `port` belongs to this client; moves the endpoint when allowed. */
  admit(port: number, now: number): boolean {
    if (port === this.#address.port) {
      this.#heardAt = now;
      return true;
    }
    if (this.#heardAt === undefined || now - this.#heardAt >= UDP_TAKEOVER_SILENCE_MS) {
      this.#address = { transport: "udp", hostname: this.#address.hostname, port };
      this.#heardAt = now;
      return true;
    }
    return false;
  }
}

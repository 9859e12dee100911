/**
 * Where a client's UDP traffic comes from and goes to (docs/protocol.md §2.3, hardened as far as
 * the protocol allows).
 *
 * The C++ server moves a client's UDP port to the source port of any datagram from the client's
 * IP, so anyone sharing that IP could steal the stream. Here the port announced in CONNECT is
 * the endpoint, and SAR proves it alive at least every second by answering the server's UDP
 * keep-alive. Another port of the same IP takes over only when the current endpoint has said
 * nothing for {@linkcode UDP_TAKEOVER_SILENCE_MS} (counted from the connection for the
 * announced port): that is a NAT that rewrote the announced port, or rebound. A datagram from
 * another port while the endpoint is alive is a conflict: it is dropped and never moves the
 * endpoint. TCP-only clients get no UDP at all (checked by the caller).
 *
 * What remains: whoever shares a player's IP (players behind one NAT) can take the endpoint of
 * a player whose NAT rewrote its announced port, during the silence before that player's own
 * first datagram or after it stays silent for the take-over window.
 *
 * @module
 */

/** How long the current endpoint must be silent before another port may take it over. */
export const UDP_TAKEOVER_SILENCE_MS = 3000;

/** What to do with a datagram from a port of the client's IP. */
export type UdpAdmission =
  /** From the endpoint, or it took over a silent endpoint. */
  | "accept"
  /** Another port, while the endpoint has not yet been silent for the window (not yet heard). */
  | "wait"
  /** Another port, while the endpoint itself spoke within the window: two ports for one player. */
  | "conflict";

/** The rule for one client; the caller has already checked the source IP. */
export class UdpEndpoint {
  #address: Deno.NetAddr;
  /** When the endpoint last spoke, or when the client connected while it has not yet. */
  #heardAt: number;
  /** Whether the current endpoint has sent anything itself. */
  #heard = false;
  #conflictReportedAt = -Infinity;

  /**
   * @param hostname the client's address as the TCP socket reports it
   * @param announcedPort the UDP port from CONNECT
   * @param now when the client connected (the announced port's silence counts from then)
   */
  constructor(hostname: string, announcedPort: number, now: number) {
    this.#address = { transport: "udp", hostname, port: announcedPort };
    this.#heardAt = now;
  }

  /** Where datagrams for this client are sent. Replaced, never mutated, when the port moves. */
  get address(): Deno.NetAddr {
    return this.#address;
  }

  get port(): number {
    return this.#address.port;
  }

  /** Whether a datagram from `port` belongs to this client; moves the endpoint when allowed. */
  admit(port: number, now: number): UdpAdmission {
    if (port === this.#address.port) {
      this.#heardAt = now;
      this.#heard = true;
      return "accept";
    }
    if (now - this.#heardAt >= UDP_TAKEOVER_SILENCE_MS) {
      this.#address = { transport: "udp", hostname: this.#address.hostname, port };
      this.#heardAt = now;
      this.#heard = true;
      return "accept";
    }
    return this.#heard ? "conflict" : "wait";
  }

  /** Whether a conflict at `now` should be logged: once per window, so a flood logs little. */
  reportConflict(now: number): boolean {
    if (now - this.#conflictReportedAt < UDP_TAKEOVER_SILENCE_MS) return false;
    this.#conflictReportedAt = now;
    return true;
  }
}

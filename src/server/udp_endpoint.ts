/**
 * Where a client's UDP traffic comes from and goes to (docs/protocol.md §2.3, hardened as far as
 * the protocol allows).
 *
 * The C++ server moves a client's UDP port to the source port of any datagram from the client's
 * IP, so anyone sharing that IP could steal the stream. Here the port announced in CONNECT is
 * the endpoint, and SAR proves it alive at least every second by answering the server's UDP
 * keep-alive. Another port of the same IP takes over only when the current endpoint has said
 * nothing for {@linkcode UDP_TAKEOVER_SILENCE_MS} (counted from the connection for the
 * announced port), and only when no other port contends for it within that window: that is a
 * NAT that rewrote the announced port, or rebound. Two ports speaking for one player within the
 * window (another port while the endpoint is alive, or two other ports while it is silent) is
 * a conflict: dropped, and it never moves the endpoint. TCP-only clients get no UDP at all
 * (checked by the caller).
 *
 * What remains: whoever shares a player's IP (players behind one NAT) can take the endpoint of
 * a player whose NAT rewrote its announced port while that player sends no UDP (in the menu,
 * or silent for the window), and keep it while they keep sending.
 *
 * @module
 */

/** How long the current endpoint must be silent before another port may take it over. */
export const UDP_TAKEOVER_SILENCE_MS = 3000;

/** What to do with a datagram from a port of the client's IP. */
export type UdpAdmission =
  /** From the endpoint, or it took over a silent endpoint. */
  | "accept"
  /** Another port, while the endpoint has not yet been silent for the window. */
  | "wait"
  /**
   * Two ports speak for one player within the window: another port while the endpoint itself
   * spoke, or two other ports contending for a silent endpoint. Never moves the endpoint.
   */
  | "conflict";

/** The rule for one client; the caller has already checked the source IP. */
export class UdpEndpoint {
  #address: Deno.NetAddr;
  /** When the endpoint last spoke, or when the client connected while it has not yet. */
  #heardAt: number;
  /** Whether the current endpoint has sent anything itself. */
  #heard = false;
  /** The other port heard last, and when: the one that may take over a silent endpoint. */
  #candidate: number | undefined;
  #candidateAt = -Infinity;
  /** When two other ports last spoke within one window of each other. */
  #contestedAt = -Infinity;
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
    if (this.#heard && now - this.#heardAt < UDP_TAKEOVER_SILENCE_MS) return "conflict";
    if (port !== this.#candidate) {
      if (now - this.#candidateAt < UDP_TAKEOVER_SILENCE_MS) this.#contestedAt = now;
      this.#candidate = port;
    }
    this.#candidateAt = now;
    const contested = now - this.#contestedAt < UDP_TAKEOVER_SILENCE_MS;
    if (now - this.#heardAt >= UDP_TAKEOVER_SILENCE_MS && !contested) {
      this.#address = { transport: "udp", hostname: this.#address.hostname, port };
      this.#heardAt = now;
      this.#heard = true;
      this.#candidate = undefined;
      this.#candidateAt = -Infinity;
      return "accept";
    }
    return contested ? "conflict" : "wait";
  }

  /** Whether a conflict at `now` should be logged: once per window, so a flood logs little. */
  reportConflict(now: number): boolean {
    if (now - this.#conflictReportedAt < UDP_TAKEOVER_SILENCE_MS) return false;
    this.#conflictReportedAt = now;
    return true;
  }
}

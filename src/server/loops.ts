/**
 * The server's timed loops (PROTOCOL.md §5.1–5.3): bulk UPDATE every 50 ms, UDP keep-alive
 * every 1 s, TCP heartbeat every 5 s with the two-miss rule.
 *
 * @module
 */
import { Header, PacketWriter } from "../protocol/mod.ts";
import type { Clock, TimerId } from "../clock.ts";
import type { UdpSocket } from "../net/udp_socket.ts";
import type { Client } from "./client.ts";
import type { DisconnectReason } from "./reasons.ts";

/** Bulk UPDATE period (`UPDATE_RATE`). */
export const BULK_UPDATE_INTERVAL_MS = 50;
/** UDP keep-alive period (`HEARTBEAT_RATE_UDP`). */
export const UDP_KEEPALIVE_INTERVAL_MS = 1000;
/** TCP heartbeat period (`HEARTBEAT_RATE`). */
export const HEARTBEAT_INTERVAL_MS = 5000;

/**
 * Calls `tick` every `periodMs` on a fixed cadence: a late tick does not shift the ones after
 * it, and a tick more than a whole period late is not caught up (no bursts after a stall).
 */
export class Ticker {
  readonly #clock: Clock;
  readonly #periodMs: number;
  readonly #tick: () => void;
  #due = 0;
  #timer: TimerId | undefined;

  constructor(clock: Clock, periodMs: number, tick: () => void) {
    this.#clock = clock;
    this.#periodMs = periodMs;
    this.#tick = tick;
  }

  start(): void {
    this.stop();
    this.#due = this.#clock.now() + this.#periodMs;
    this.#timer = this.#clock.setTimeout(this.#fire, this.#periodMs);
  }

  stop(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    try {
      this.#tick();
    } finally {
      const now = this.#clock.now();
      this.#due += this.#periodMs;
      if (this.#due <= now) this.#due = now + this.#periodMs;
      this.#timer = this.#clock.setTimeout(this.#fire, this.#due - now);
    }
  };
}

/** What the loops need from the server. */
export interface LoopHost {
  /** Connected clients, in connection order. */
  clients(): Iterable<Client>;
  readonly clientCount: number;
  readonly udp: UdpSocket;
  disconnect(client: Client, reason: DisconnectReason): void;
}

/** Builds bulk UPDATEs: one encoding per tick, the same bytes for everyone. */
export class BulkUpdateEncoder {
  readonly #writer = new PacketWriter(1024);

  /**
   * `09 | id 0 | count | (id, raw DataGhost)…` for every client including the recipient, in
   * connection order (PROTOCOL.md §3.10). The view is valid until the next call.
   */
  encode(clients: Iterable<Client>, count: number): Uint8Array {
    const writer = this.#writer.reset().u8(Header.UPDATE).u32(0).u32(count);
    for (const client of clients) writer.u32(client.id).bytes(client.pose);
    return writer.view();
  }
}

/** Sends one bulk UPDATE to everyone: over UDP, or over TCP to TCP-only clients. */
export function sendBulkUpdate(host: LoopHost, encoder: BulkUpdateEncoder): void {
  // Positions that already arrived go into this tick rather than the next one.
  host.udp.drain();
  if (host.clientCount === 0) return;
  const payload = encoder.encode(host.clients(), host.clientCount);
  // UDP sends keep a reference until they complete, so they get this tick's own copy; TCP
  // queues copy on their own.
  let datagram: Uint8Array | undefined;
  for (const client of host.clients()) {
    if (client.tcpOnly) {
      client.connection.sendLatest(payload);
    } else {
      datagram ??= payload.slice();
      host.udp.send(datagram, client.udp.address);
    }
  }
  host.udp.flush();
}

/** NAT keep-alive `06 | id | 0` over UDP to every client that is not TCP-only (§5.2). */
export function sendUdpKeepAlives(host: LoopHost): void {
  for (const client of host.clients()) {
    if (!client.tcpOnly) host.udp.send(client.udpKeepAlive, client.udp.address);
  }
  host.udp.flush();
}

const tokenSource = new Uint32Array(1);

/** A random non-zero token: 0 is what UDP heartbeat replies carry, so it must never count. */
function randomToken(): number {
  do crypto.getRandomValues(tokenSource); while (tokenSource[0] === 0);
  return tokenSource[0];
}

const heartbeatWriter = new PacketWriter(9);

/**
 * One TCP heartbeat round (§5.1): a client that left the previous two unanswered is
 * disconnected; everyone else gets a fresh token.
 */
export function heartbeatRound(host: LoopHost): void {
  for (const client of [...host.clients()]) {
    if (!client.heartbeatReturned && client.missedLastHeartbeat) {
      host.disconnect(client, "heartbeat_timeout");
      continue;
    }
    client.heartbeatToken = randomToken();
    client.missedLastHeartbeat = !client.heartbeatReturned;
    client.heartbeatReturned = false;
    heartbeatWriter.reset().u8(Header.HEART_BEAT).u32(client.id).u32(client.heartbeatToken);
    client.connection.send(heartbeatWriter.view());
  }
}

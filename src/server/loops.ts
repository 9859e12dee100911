/**
 * The server's timed loops (docs/protocol.md §5.1–5.3): bulk UPDATE every 50 ms, UDP keep-alive
 * every 1 s, TCP heartbeat every 5 s with the two-miss rule.
 *
 * @module
 */
import {
  type BulkUpdateEncoder,
  type EncodedBulkUpdate,
  Header,
  PacketWriter,
} from "../protocol/mod.ts";
import type { BulkScope } from "../config/schema.ts";
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
/** How often dropped UDP sends are reported, at most. */
export const SEND_DROP_REPORT_INTERVAL_MS = 10_000;
/**
 * How often datagrams waiting in the kernel are read between bulk updates (batched backend).
 * Read only at each tick, a flood of 50 000 datagrams a second needs 50 ms of receive buffer
 * (2 500 datagrams, more than the kernel allows): it dropped a quarter of all datagrams,
 * players' positions with them. Read every 10 ms, a fifth of that waits at a time.
 */
export const UDP_RECEIVE_INTERVAL_MS = 10;

/** How late a {@linkcode Ticker}'s ticks have fired, in milliseconds after they were due. */
export interface TickLateness {
  /** Ticks fired. */
  ticks: number;
  /** Lateness of the most recent tick. */
  lastMs: number;
  /** Mean lateness over every tick. */
  meanMs: number;
  /** Worst lateness seen. */
  maxMs: number;
}

/**
 * Calls `tick` every `periodMs` on a fixed cadence: a late tick does not shift the ones after
 * it, and a tick more than a whole period late is not caught up (no bursts after a stall).
 * It also records how late its ticks fire: a busy event loop shows here first.
 */
export class Ticker {
  readonly #clock: Clock;
  readonly #periodMs: number;
  readonly #tick: () => void;
  #due = 0;
  #timer: TimerId | undefined;
  #ticks = 0;
  #lastLateMs = 0;
  #totalLateMs = 0;
  #maxLateMs = 0;

  readonly #onDuration: ((ms: number) => void) | undefined;

  /** @param onDuration told how long each tick took (on the clock) */
  constructor(clock: Clock, periodMs: number, tick: () => void, onDuration?: (ms: number) => void) {
    this.#clock = clock;
    this.#periodMs = periodMs;
    this.#tick = tick;
    this.#onDuration = onDuration;
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

  /**
   * How long the next tick is overdue: 0 while the ticker keeps time (or is stopped), growing
   * once its timer fails to fire, e.g. when the event loop is blocked.
   */
  overdueMs(): number {
    if (this.#timer === undefined) return 0;
    return Math.max(0, this.#clock.now() - this.#due);
  }

  /** How late ticks have fired so far. */
  lateness(): TickLateness {
    return {
      ticks: this.#ticks,
      lastMs: this.#lastLateMs,
      meanMs: this.#ticks === 0 ? 0 : this.#totalLateMs / this.#ticks,
      maxMs: this.#maxLateMs,
    };
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    const started = this.#clock.now();
    const late = Math.max(0, started - this.#due);
    this.#ticks++;
    this.#lastLateMs = late;
    this.#totalLateMs += late;
    if (late > this.#maxLateMs) this.#maxLateMs = late;
    try {
      this.#tick();
    } finally {
      const now = this.#clock.now();
      this.#onDuration?.(now - started);
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

/** Clients grouped by map, in connection order within each group. */
function groupByMap(clients: Iterable<Client>): Client[][] {
  const groups = new Map<string, Client[]>();
  for (const client of clients) {
    const group = groups.get(client.map);
    if (group) group.push(client);
    else groups.set(client.map, [client]);
  }
  return [...groups.values()];
}

function sendToGroup(host: LoopHost, group: Iterable<Client>, update: EncodedBulkUpdate): void {
  for (const client of group) {
    if (client.tcpOnly) {
      client.connection.sendSharedLatest(update.frame);
    } else {
      // One array for every client: the mmsg backend copies it once and segments it (GSO).
      host.udp.sendDatagrams(update.datagrams, client.udp.address);
    }
  }
}

/**
 * One bulk UPDATE tick: UDP to most clients, TCP to TCP-only ones (docs/protocol.md §5.3). With
 * `scope` "same_map" each map gets its own update, encoded once for everyone on it.
 */
export function sendBulkUpdate(host: LoopHost, encoder: BulkUpdateEncoder, scope: BulkScope): void {
  // Positions that already arrived go into this tick rather than the next one.
  host.udp.drain();
  if (host.clientCount === 0) return;
  if (scope === "same_map") {
    for (const group of groupByMap(host.clients())) {
      sendToGroup(host, group, encoder.encode(group, group.length));
    }
  } else {
    sendToGroup(host, host.clients(), encoder.encode(host.clients(), host.clientCount));
  }
  host.udp.flush();
}

/**
 * Reads the datagrams that arrived since the last read, and sends at once whatever handling
 * them queued (heartbeat replies), as a tick would.
 */
export function receiveUdp(host: LoopHost): void {
  host.udp.drain();
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

/**
 * What the server does with each packet a client sends (docs/protocol.md §3.0): identity checks,
 * then store, relay the original bytes, answer, or ignore.
 *
 * @module
 */
import {
  type ClientPacket,
  DATA_GHOST_BYTES,
  decodeClientPacket,
  encodeServerPacket,
  FRAME_PREFIX_BYTES,
  Header,
  isKnownHeader,
  ProtocolError,
} from "../protocol/mod.ts";
import { getLogger } from "@logtape/logtape";
import type { Clock } from "../clock.ts";
import { type ChatGate, relayChat } from "./chat.ts";
import type { Client } from "./client.ts";
import type { Emitter } from "./emitter.ts";
import type { GhostServerEvents } from "./events.ts";
import type { DisconnectReason, DropReason } from "./reasons.ts";
import type { LimitsSection } from "../config/mod.ts";
import { CHAT_NOTICE_INTERVAL_MS, type ChatNotices, rawStringLength, stringCap } from "./limits.ts";

const log = getLogger(["ghosting", "server"]);

/** LOCATOR pings relayed at most once per this many ms per client (docs/protocol.md §3.15). */
export const LOCATOR_INTERVAL_MS = 100;

/** Bytes of an UPDATE from a client: header, id, DataGhost. */
const UPDATE_BYTES = 5 + DATA_GHOST_BYTES;

/** PING is answered with the header byte alone. */
const PING_ECHO = encodeServerPacket({ header: Header.PING });

/** COUNTDOWN "go", sent to each client that confirms a countdown. */
const COUNTDOWN_GO = encodeServerPacket({ header: Header.COUNTDOWN, id: 0, step: 1 });

/** What the relay rules need from the server. */
export interface RelayHost {
  readonly clock: Clock;
  readonly events: Emitter<GhostServerEvents>;
  /** Connected clients, in connection order. */
  clients(): Iterable<Client>;
  client(id: number): Client | undefined;
  disconnect(client: Client, reason: DisconnectReason): void;
  /** Ignores one packet: logs why (`detail`) and emits the `drop` event. */
  drop(report: GhostServerEvents["drop"], detail: string): void;
  /** Sends a chat frame to every client but its sender ({@linkcode relayToOthers}). */
  relay(sender: Client, payload: Uint8Array): void;
  /** The `[limits]` in force. */
  readonly limits: LimitsSection;
  /** What a player reads when its chat is dropped. */
  readonly chatNotices: ChatNotices;
  /** Relayed frames are not queued for a recipient with more than this many bytes waiting. */
  readonly relayQueueLimit: number;
  /** Chat filters; while any is registered, chat goes through them before the relay. */
  readonly chat: ChatGate;
}

type Via = "tcp" | "udp";

function readId(payload: Uint8Array): number {
  return ((payload[1] << 24) | (payload[2] << 16) | (payload[3] << 8) | payload[4]) >>> 0;
}

/**
 * Sends the original bytes, over TCP, to every other client (or every other client on the
 * sender's map). A recipient whose queue already holds its share for relays does not get it
 * (`recipient_backlog`): what one player sends never pushes another over its write limit.
 */
function relay(
  host: RelayHost,
  sender: Client,
  payload: Uint8Array,
  via: Via,
  sameMap: boolean,
): void {
  const limit = host.relayQueueLimit - FRAME_PREFIX_BYTES - payload.length;
  for (const other of host.clients()) {
    if (other === sender || (sameMap && other.map !== sender.map)) continue;
    if (other.connection.queuedBytes > limit) {
      host.drop({
        ip: sender.ip,
        via,
        reason: "recipient_backlog",
        header: payload[0],
        clientId: sender.id,
        recipientId: other.id,
      }, `client ${other.id} has ${other.connection.queuedBytes} bytes waiting`);
      continue;
    }
    other.connection.send(payload);
  }
}

/** Relays a frame to every client but its sender, with the same fairness as every relay. */
export function relayToOthers(
  host: RelayHost,
  sender: Client,
  payload: Uint8Array,
  via: Via,
): void {
  relay(host, sender, payload, via, false);
}

/**
 * A packet over a `[limits]` rate or size: dropped, counted toward the flood rule (too many
 * in `flood_window_ms` and the sender is kicked with `flood`); chat senders are told.
 */
function overLimit(
  host: RelayHost,
  client: Client,
  payload: Uint8Array,
  via: Via,
  reason: DropReason,
  detail: string,
): void {
  const header = payload[0];
  host.drop({ ip: client.ip, via, reason, header, clientId: client.id }, detail);
  const now = host.clock.now();
  if (client.limits.strike(now)) {
    host.disconnect(client, "flood");
    return;
  }
  if (header !== Header.MESSAGE) return;
  if (reason === "string_too_long") {
    client.connection.send(host.chatNotices.tooLong);
  } else if (now - client.limits.chatNoticeAt >= CHAT_NOTICE_INTERVAL_MS) {
    client.limits.chatNoticeAt = now;
    client.connection.send(host.chatNotices.tooFast);
  }
}

/**
 * A frame from a client's TCP connection. The id of every packet must be the connection's own
 * (docs/protocol.md §7.4: stricter than the C++ server's same-IP check, and the same when one
 * connection per IP is enforced).
 */
export function handleTcpPacket(host: RelayHost, client: Client, payload: Uint8Array): void {
  const header = payload[0];
  if (payload.length === 0) {
    return host.drop(
      { ip: client.ip, via: "tcp", reason: "truncated_packet", clientId: client.id },
      "empty frame",
    );
  }
  if (header === Header.NONE) return;
  if (!isKnownHeader(header)) {
    // A newer SAR may add headers; ignoring them keeps it connected, as SAR and GS do.
    return host.drop({
      ip: client.ip,
      via: "tcp",
      reason: "unknown_header",
      header,
      clientId: client.id,
    }, `header ${header}`);
  }
  if (header === Header.CONNECT) {
    return host.drop({
      ip: client.ip,
      via: "tcp",
      reason: "unexpected_connect",
      header,
      clientId: client.id,
    }, "already connected");
  }
  if (payload.length < 5) {
    return host.drop({
      ip: client.ip,
      via: "tcp",
      reason: "truncated_packet",
      header,
      clientId: client.id,
    }, "no id");
  }
  const id = readId(payload);
  if (id !== client.id) {
    return host.drop({
      ip: client.ip,
      via: "tcp",
      reason: "spoofed_id",
      header,
      clientId: client.id,
    }, `id ${id} on the connection of ${client.id}`);
  }
  handlePacket(host, client, payload, "tcp");
}

/**
 * A datagram. SAR only sends UPDATE, VOICE and heartbeat replies over UDP, so nothing else is
 * accepted; the id must belong to a client at the datagram's source IP, and the source port
 * must be that client's UDP endpoint (see `udp_endpoint.ts`).
 */
export function handleDatagram(
  host: RelayHost,
  payload: Uint8Array,
  from: Deno.NetAddr,
  ip: string,
): void {
  const header = payload[0];
  if (payload.length < 5) {
    return host.drop(
      { ip, via: "udp", reason: "truncated_packet", header },
      `${payload.length} bytes`,
    );
  }
  if (header !== Header.UPDATE && header !== Header.HEART_BEAT && header !== Header.VOICE) {
    return host.drop(
      { ip, via: "udp", reason: "udp_header_not_allowed", header },
      `header ${header}`,
    );
  }
  const id = readId(payload);
  const client = host.client(id);
  if (!client) return host.drop({ ip, via: "udp", reason: "unknown_client", header }, `id ${id}`);
  if (client.ip !== ip) {
    return host.drop(
      { ip, via: "udp", reason: "spoofed_id", header, clientId: id },
      `id ${id} belongs to another address`,
    );
  }
  if (client.tcpOnly) {
    // SAR with ghost_TCP_only sends nothing over UDP: any datagram is someone else's.
    return host.drop(
      { ip, via: "udp", reason: "udp_tcp_only", header, clientId: id },
      `port ${from.port}, client ${id} is TCP-only`,
    );
  }
  const now = host.clock.now();
  const admission = client.udp.admit(from.port, now);
  if (admission === "conflict") {
    if (client.udp.reportConflict(now)) {
      log.warn(
        "UDP conflict for {name} ({id}) @ {ip}: port {port} speaks for it while another port does; keeping {endpoint}",
        { name: client.name, id, ip, port: from.port, endpoint: client.udp.port },
      );
    }
    return host.drop(
      { ip, via: "udp", reason: "udp_endpoint_conflict", header, clientId: id },
      `port ${from.port} while another port speaks for ${id}`,
    );
  }
  if (admission === "wait") {
    return host.drop(
      { ip, via: "udp", reason: "udp_endpoint_mismatch", header, clientId: id },
      `port ${from.port}, expected ${client.udp.port}`,
    );
  }
  handlePacket(host, client, payload, "udp");
}

function handlePacket(host: RelayHost, client: Client, payload: Uint8Array, via: Via): void {
  const header = payload[0];
  if (header === Header.UPDATE) {
    // The hot path: stored raw without decoding or allocating (docs/protocol.md §3.10).
    if (payload.length < UPDATE_BYTES) {
      return host.drop({
        ip: client.ip,
        via,
        reason: "truncated_packet",
        header,
        clientId: client.id,
      }, `UPDATE of ${payload.length} bytes`);
    }
    const pose = client.pose;
    for (let i = 0; i < DATA_GHOST_BYTES; i++) pose[i] = payload[5 + i];
    return;
  }
  // Rates, then sizes, from the raw bytes: an over-limit packet is never decoded.
  if (!client.limits.allow(header, payload.length, host.clock.now())) {
    return overLimit(host, client, payload, via, "rate_limited", "over its rate");
  }
  const cap = stringCap(header, host.limits);
  if (cap !== undefined) {
    const bytes = rawStringLength(payload, 5);
    if (bytes !== undefined && bytes > cap) {
      return overLimit(host, client, payload, via, "string_too_long", `${bytes} bytes, cap ${cap}`);
    }
  }
  let packet: ClientPacket;
  try {
    packet = decodeClientPacket(payload);
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    const reason = header === Header.VOICE ? "invalid_voice" : "truncated_packet";
    return host.drop(
      { ip: client.ip, via, reason, header, clientId: client.id },
      error.message,
    );
  }
  const events = host.events;
  switch (packet.header) {
    case Header.PING:
      client.connection.send(PING_ECHO);
      return;
    case Header.DISCONNECT:
      host.disconnect(client, "client_disconnect");
      return;
    case Header.STOP_SERVER:
      // Any client could stop the 2024 C++ server this way (docs/protocol.md §3.5); ignored since.
      host.drop({
        ip: client.ip,
        via,
        reason: "stop_server_ignored",
        header,
        clientId: client.id,
      }, "clients cannot stop the server");
      return;
    case Header.MAP_CHANGE:
      client.map = packet.map;
      log.info("{name} is now on {map}", { name: client.name, map: packet.map });
      relay(host, client, payload, via, false);
      if (events.hasListeners("mapChange")) {
        const { map, ticks, ticksTotal } = packet;
        events.emit("mapChange", { client: client.info(), map, ticks, ticksTotal });
      }
      return;
    case Header.HEART_BEAT:
      // Only the latest TCP token counts, whatever the transport; UDP replies carry 0.
      if (packet.token === client.heartbeatToken) client.heartbeatReturned = true;
      return;
    case Header.MESSAGE:
      log.info("[message] {name}: {text}", { name: client.name, text: packet.text });
      if (host.chat.active) host.chat.submit(client, packet.text, payload);
      else relayChat(host, client, packet.text, payload);
      return;
    case Header.COUNTDOWN:
      client.connection.send(COUNTDOWN_GO);
      if (events.hasListeners("countdownConfirm")) {
        events.emit("countdownConfirm", { client: client.info() });
      }
      return;
    case Header.SPEEDRUN_FINISH:
      log.info("{name} finished in {time}", { name: client.name, time: packet.time });
      relay(host, client, payload, via, false);
      if (events.hasListeners("speedrunFinish")) {
        events.emit("speedrunFinish", { client: client.info(), time: packet.time });
      }
      return;
    case Header.MODEL_CHANGE:
      client.model = packet.model;
      relay(host, client, payload, via, false);
      if (events.hasListeners("modelChange")) {
        events.emit("modelChange", { client: client.info(), model: packet.model });
      }
      return;
    case Header.COLOR_CHANGE:
      client.color = packet.color;
      relay(host, client, payload, via, false);
      if (events.hasListeners("colorChange")) {
        events.emit("colorChange", { client: client.info(), color: { ...packet.color } });
      }
      return;
    case Header.TAUNT:
      relay(host, client, payload, via, true);
      if (events.hasListeners("taunt")) {
        events.emit("taunt", { client: client.info(), animation: packet.animation });
      }
      return;
    case Header.LOCATOR: {
      const now = host.clock.now();
      if (now - client.lastLocatorAt < LOCATOR_INTERVAL_MS) {
        return host.drop({
          ip: client.ip,
          via,
          reason: "locator_rate_limit",
          header,
          clientId: client.id,
        }, "more than one per 100 ms");
      }
      client.lastLocatorAt = now;
      relay(host, client, payload, via, true);
      if (events.hasListeners("locator")) {
        const { position, normal } = packet;
        events.emit("locator", { client: client.info(), position, normal });
      }
      return;
    }
    case Header.VOICE:
      // Arrives over UDP mostly, always relayed over TCP (docs/protocol.md §3.16).
      relay(host, client, payload, via, true);
      return;
  }
}

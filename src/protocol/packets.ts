/**
 * Typed encode and decode of every packet, in both directions (PROTOCOL.md §3).
 *
 * Payloads here never include the TCP length prefix; see `tcp_framing.ts` for that.
 *
 * @module
 */
import { Header, headerName } from "./header.ts";
import { ProtocolError } from "./errors.ts";
import { PacketReader } from "./packet_reader.ts";
import { PacketWriter } from "./packet_writer.ts";
import type { Color, DataGhost, Vec3 } from "./types.ts";

/** `ticks` value meaning "no split information" in MAP_CHANGE (PROTOCOL.md §3.6). */
export const NO_SPLIT_TICKS = 0xffffffff;

/** VOICE's Steam message type, `k_EMsgVoiceChatData` (PROTOCOL.md §3.16). */
export const VOICE_MESSAGE_TYPE = 702;

/** Bytes before a VOICE's audio data: header, id and the 16-byte Steam header. */
export const VOICE_PREFIX_BYTES = 21;

/** A client's description as the server announces it (connect reply entries and notifications). */
export interface GhostInfo {
  id: number;
  name: string;
  data: DataGhost;
  model: string;
  map: string;
  color: Color;
  spectator: boolean;
}

/**
 * A {@linkcode GhostInfo} to encode, whose pose may be the raw 25 bytes (copied unchanged, as
 * the server stores poses).
 */
export type GhostInfoInput = Omit<GhostInfo, "data"> & { data: DataGhost | Uint8Array };

/** Header 0: never sent; ignored by both sides. */
export interface NonePacket {
  header: typeof Header.NONE;
}

/** Client→server PING (PROTOCOL.md §3.1). */
export interface PingPacket {
  header: typeof Header.PING;
  id: number;
}

/** Server→client answer to PING: the header byte alone (PROTOCOL.md §3.1). */
export interface PingEchoPacket {
  header: typeof Header.PING;
}

/** Client→server CONNECT, the first frame of every connection (PROTOCOL.md §3.3.1). */
export interface ConnectPacket {
  header: typeof Header.CONNECT;
  /** The client's local UDP port. */
  udpPort: number;
  name: string;
  data: DataGhost;
  model: string;
  map: string;
  tcpOnly: boolean;
  color: Color;
  spectator: boolean;
}

/** Server→existing clients: a new client joined; no tcp_only byte (PROTOCOL.md §3.3.3). */
export interface ConnectNotificationPacket extends GhostInfo {
  header: typeof Header.CONNECT;
}

/** The header-less first frame the server sends to a new client (PROTOCOL.md §3.3.2). */
export interface ConnectReply {
  yourId: number;
  /** Every client connected before this one, in connection order. */
  ghosts: GhostInfo[];
}

/** DISCONNECT in either direction (PROTOCOL.md §3.4). */
export interface DisconnectPacket {
  header: typeof Header.DISCONNECT;
  id: number;
}

/** STOP_SERVER: ignored when received; sent (id 0) on graceful shutdown (PROTOCOL.md §3.5). */
export interface StopServerPacket {
  header: typeof Header.STOP_SERVER;
  id: number;
}

/** MAP_CHANGE; SARs before April 2022 sent no tick fields (PROTOCOL.md §3.6). */
export interface MapChangePacket {
  header: typeof Header.MAP_CHANGE;
  id: number;
  map: string;
  /** Ticks of the split just completed, or {@linkcode NO_SPLIT_TICKS}. */
  ticks?: number;
  ticksTotal?: number;
}

/** HEART_BEAT in any direction (PROTOCOL.md §3.7). */
export interface HeartBeatPacket {
  header: typeof Header.HEART_BEAT;
  id: number;
  token: number;
}

/** MESSAGE: chat from a client, or from the server with id 0 (PROTOCOL.md §3.8). */
export interface MessagePacket {
  header: typeof Header.MESSAGE;
  id: number;
  text: string;
}

/** Client→server COUNTDOWN confirm; SAR sends step 1 (PROTOCOL.md §3.9). */
export interface CountdownConfirmPacket {
  header: typeof Header.COUNTDOWN;
  id: number;
  step: number;
}

/** Server→all COUNTDOWN setup (step 0) (PROTOCOL.md §3.9). */
export interface CountdownSetupPacket {
  header: typeof Header.COUNTDOWN;
  id: number;
  step: 0;
  /** Seconds counted down in chat. */
  duration: number;
  preCommands: string;
  postCommands: string;
}

/** Server→client COUNTDOWN with a non-zero step; step 1 is "go" (PROTOCOL.md §3.9). */
export interface CountdownStepPacket {
  header: typeof Header.COUNTDOWN;
  id: number;
  step: number;
}

/** Client→server UPDATE with the sender's pose (PROTOCOL.md §3.10). */
export interface UpdatePacket {
  header: typeof Header.UPDATE;
  id: number;
  data: DataGhost;
}

/** One entry of a bulk UPDATE. */
export interface BulkUpdateEntry {
  id: number;
  data: DataGhost;
}

/** Server→client bulk UPDATE (id 0) with every client's pose (PROTOCOL.md §3.10). */
export interface BulkUpdatePacket {
  header: typeof Header.UPDATE;
  id: number;
  entries: BulkUpdateEntry[];
}

/** SPEEDRUN_FINISH with a formatted time such as `1:23.456` (PROTOCOL.md §3.11). */
export interface SpeedrunFinishPacket {
  header: typeof Header.SPEEDRUN_FINISH;
  id: number;
  time: string;
}

/** MODEL_CHANGE (PROTOCOL.md §3.12). */
export interface ModelChangePacket {
  header: typeof Header.MODEL_CHANGE;
  id: number;
  model: string;
}

/** COLOR_CHANGE (PROTOCOL.md §3.13). */
export interface ColorChangePacket {
  header: typeof Header.COLOR_CHANGE;
  id: number;
  color: Color;
}

/** TAUNT; SAR's only animation is `wave` (PROTOCOL.md §3.14). */
export interface TauntPacket {
  header: typeof Header.TAUNT;
  id: number;
  animation: string;
}

/** LOCATOR ping on a surface (PROTOCOL.md §3.15). */
export interface LocatorPacket {
  header: typeof Header.LOCATOR;
  id: number;
  position: Vec3;
  normal: Vec3;
}

/**
 * VOICE: after the id, Steam's 16-byte little-endian header and `data` (PROTOCOL.md §3.16).
 * Decoding fails when the header's length runs past the packet, which SAR would trust.
 */
export interface VoicePacket {
  header: typeof Header.VOICE;
  id: number;
  messageType: number;
  /** 8 bytes SAR never initialises. */
  steamId: Uint8Array;
  data: Uint8Array;
}

/** Every packet a client sends. */
export type ClientPacket =
  | NonePacket
  | PingPacket
  | ConnectPacket
  | DisconnectPacket
  | StopServerPacket
  | MapChangePacket
  | HeartBeatPacket
  | MessagePacket
  | CountdownConfirmPacket
  | UpdatePacket
  | SpeedrunFinishPacket
  | ModelChangePacket
  | ColorChangePacket
  | TauntPacket
  | LocatorPacket
  | VoicePacket;

/** Every packet the server sends, except the header-less {@linkcode ConnectReply}. */
export type ServerPacket =
  | NonePacket
  | PingEchoPacket
  | ConnectNotificationPacket
  | DisconnectPacket
  | StopServerPacket
  | MapChangePacket
  | HeartBeatPacket
  | MessagePacket
  | CountdownSetupPacket
  | CountdownStepPacket
  | BulkUpdatePacket
  | SpeedrunFinishPacket
  | ModelChangePacket
  | ColorChangePacket
  | TauntPacket
  | LocatorPacket
  | VoicePacket;

/** Packets whose layout is the same in both directions. */
type SharedPacket =
  | NonePacket
  | DisconnectPacket
  | StopServerPacket
  | MapChangePacket
  | HeartBeatPacket
  | MessagePacket
  | SpeedrunFinishPacket
  | ModelChangePacket
  | ColorChangePacket
  | TauntPacket
  | LocatorPacket
  | VoicePacket;

function writeGhostInfo(writer: PacketWriter, ghost: GhostInfoInput): void {
  writer.u32(ghost.id).string(ghost.name).dataGhost(ghost.data).string(ghost.model)
    .string(ghost.map).color(ghost.color).bool(ghost.spectator);
}

function readGhostInfo(reader: PacketReader): GhostInfo {
  return {
    id: reader.u32(),
    name: reader.string(),
    data: reader.dataGhost(),
    model: reader.string(),
    map: reader.string(),
    color: reader.color(),
    spectator: reader.bool(),
  };
}

function writeShared(writer: PacketWriter, packet: SharedPacket): void {
  writer.u8(packet.header);
  switch (packet.header) {
    case Header.NONE:
      return;
    case Header.DISCONNECT:
    case Header.STOP_SERVER:
      writer.u32(packet.id);
      return;
    case Header.MAP_CHANGE:
      writer.u32(packet.id).string(packet.map);
      if (packet.ticks !== undefined || packet.ticksTotal !== undefined) {
        writer.u32(packet.ticks ?? NO_SPLIT_TICKS).u32(packet.ticksTotal ?? NO_SPLIT_TICKS);
      }
      return;
    case Header.HEART_BEAT:
      writer.u32(packet.id).u32(packet.token);
      return;
    case Header.MESSAGE:
      writer.u32(packet.id).string(packet.text);
      return;
    case Header.SPEEDRUN_FINISH:
      writer.u32(packet.id).string(packet.time);
      return;
    case Header.MODEL_CHANGE:
      writer.u32(packet.id).string(packet.model);
      return;
    case Header.COLOR_CHANGE:
      writer.u32(packet.id).color(packet.color);
      return;
    case Header.TAUNT:
      writer.u32(packet.id).string(packet.animation);
      return;
    case Header.LOCATOR:
      writer.u32(packet.id).vec3(packet.position).vec3(packet.normal);
      return;
    case Header.VOICE:
      if (packet.steamId.length !== 8) {
        throw new RangeError(`VOICE steamId must be 8 bytes, got ${packet.steamId.length}`);
      }
      writer.u32(packet.id).u32le(packet.messageType).u32le(packet.data.length)
        .bytes(packet.steamId).bytes(packet.data);
      return;
  }
}

/** Reads the body of a packet whose layout is the same in both directions, or returns null. */
function readShared(header: number, reader: PacketReader): SharedPacket | null {
  switch (header) {
    case Header.NONE:
      return { header };
    case Header.DISCONNECT:
    case Header.STOP_SERVER:
      return { header, id: reader.u32() };
    case Header.MAP_CHANGE: {
      const packet: MapChangePacket = { header, id: reader.u32(), map: reader.string() };
      if (reader.remaining >= 8) {
        packet.ticks = reader.u32();
        packet.ticksTotal = reader.u32();
      }
      return packet;
    }
    case Header.HEART_BEAT:
      return { header, id: reader.u32(), token: reader.u32() };
    case Header.MESSAGE:
      return { header, id: reader.u32(), text: reader.string() };
    case Header.SPEEDRUN_FINISH:
      return { header, id: reader.u32(), time: reader.string() };
    case Header.MODEL_CHANGE:
      return { header, id: reader.u32(), model: reader.string() };
    case Header.COLOR_CHANGE:
      return { header, id: reader.u32(), color: reader.color() };
    case Header.TAUNT:
      return { header, id: reader.u32(), animation: reader.string() };
    case Header.LOCATOR:
      return { header, id: reader.u32(), position: reader.vec3(), normal: reader.vec3() };
    case Header.VOICE: {
      const id = reader.u32();
      const messageType = reader.u32le();
      const length = reader.u32le();
      const steamId = reader.bytes(8).slice();
      return { header, id, messageType, steamId, data: reader.bytes(length).slice() };
    }
    default:
      return null;
  }
}

function decodeWith<T>(
  bytes: Uint8Array,
  direction: string,
  read: (header: number, reader: PacketReader) => T | null,
): T {
  const reader = new PacketReader(bytes);
  if (bytes.length === 0) {
    throw new ProtocolError("truncated_packet", `Empty ${direction} packet has no header byte`);
  }
  const header = reader.u8();
  let packet: T | null;
  try {
    packet = read(header, reader);
  } catch (error) {
    if (error instanceof ProtocolError) {
      throw new ProtocolError(error.code, `${headerName(header)} packet: ${error.message}`);
    }
    throw error;
  }
  if (packet === null) {
    throw new ProtocolError("unknown_header", `Unknown ${direction} header ${header}`);
  }
  return packet;
}

/**
 * Encodes a packet as a client sends it.
 *
 * @throws {RangeError} when a number does not fit its wire type
 */
export function encodeClientPacket(packet: ClientPacket): Uint8Array {
  const writer = new PacketWriter();
  switch (packet.header) {
    case Header.PING:
      writer.u8(packet.header).u32(packet.id);
      break;
    case Header.CONNECT:
      writer.u8(packet.header).u16(packet.udpPort).string(packet.name).dataGhost(packet.data)
        .string(packet.model).string(packet.map).bool(packet.tcpOnly).color(packet.color)
        .bool(packet.spectator);
      break;
    case Header.COUNTDOWN:
      writer.u8(packet.header).u32(packet.id).u8(packet.step);
      break;
    case Header.UPDATE:
      writer.u8(packet.header).u32(packet.id).dataGhost(packet.data);
      break;
    default:
      writeShared(writer, packet);
  }
  return writer.toBytes();
}

/**
 * Decodes a packet a client sent. Extra trailing bytes are ignored, as SFML does.
 *
 * @throws {ProtocolError} `truncated_packet` or `unknown_header`
 */
export function decodeClientPacket(bytes: Uint8Array): ClientPacket {
  return decodeWith<ClientPacket>(bytes, "client", (header, reader) => {
    switch (header) {
      case Header.PING:
        return { header, id: reader.u32() };
      case Header.CONNECT:
        return {
          header,
          udpPort: reader.u16(),
          name: reader.string(),
          data: reader.dataGhost(),
          model: reader.string(),
          map: reader.string(),
          tcpOnly: reader.bool(),
          color: reader.color(),
          spectator: reader.bool(),
        };
      case Header.COUNTDOWN:
        return { header, id: reader.u32(), step: reader.u8() };
      case Header.UPDATE:
        return { header, id: reader.u32(), data: reader.dataGhost() };
      default:
        return readShared(header, reader);
    }
  });
}

/**
 * Encodes a packet as the server sends it.
 *
 * @throws {RangeError} when a number does not fit its wire type
 */
export function encodeServerPacket(packet: ServerPacket): Uint8Array {
  const writer = new PacketWriter();
  switch (packet.header) {
    case Header.PING:
      writer.u8(packet.header);
      break;
    case Header.CONNECT:
      return encodeConnectNotification(packet);
    case Header.COUNTDOWN:
      writer.u8(packet.header).u32(packet.id).u8(packet.step);
      if (isCountdownSetup(packet)) {
        writer.u32(packet.duration).string(packet.preCommands).string(packet.postCommands);
      }
      break;
    case Header.UPDATE:
      writer.u8(packet.header).u32(packet.id).u32(packet.entries.length);
      for (const entry of packet.entries) writer.u32(entry.id).dataGhost(entry.data);
      break;
    default:
      writeShared(writer, packet);
  }
  return writer.toBytes();
}

function isCountdownSetup(
  packet: CountdownSetupPacket | CountdownStepPacket,
): packet is CountdownSetupPacket {
  return packet.step === 0;
}

/**
 * Decodes a packet the server sent (what SAR parses).
 *
 * @throws {ProtocolError} `truncated_packet` or `unknown_header`
 */
export function decodeServerPacket(bytes: Uint8Array): ServerPacket {
  return decodeWith<ServerPacket>(bytes, "server", (header, reader) => {
    switch (header) {
      case Header.PING:
        return { header };
      case Header.CONNECT:
        return { header, ...readGhostInfo(reader) };
      case Header.COUNTDOWN: {
        const id = reader.u32();
        const step = reader.u8();
        if (step !== 0) return { header, id, step };
        return {
          header,
          id,
          step,
          duration: reader.u32(),
          preCommands: reader.string(),
          postCommands: reader.string(),
        };
      }
      case Header.UPDATE: {
        const id = reader.u32();
        const count = reader.u32();
        // Each entry needs 29 bytes; checking first keeps a forged count from allocating.
        if (count * 29 > reader.remaining) {
          throw new ProtocolError(
            "truncated_packet",
            `${count} entries need ${count * 29} bytes, ${reader.remaining} left`,
          );
        }
        const entries: BulkUpdateEntry[] = [];
        for (let i = 0; i < count; i++) {
          entries.push({ id: reader.u32(), data: reader.dataGhost() });
        }
        return { header, id, entries };
      }
      default:
        return readShared(header, reader);
    }
  });
}

/** Encodes the CONNECT notification announcing `ghost` to the clients already there. */
export function encodeConnectNotification(ghost: GhostInfoInput): Uint8Array {
  const writer = new PacketWriter(96);
  writer.u8(Header.CONNECT);
  writeGhostInfo(writer, ghost);
  return writer.toBytes();
}

/** Encodes the header-less connect reply. */
export function encodeConnectReply(
  reply: { yourId: number; ghosts: GhostInfoInput[] },
): Uint8Array {
  const writer = new PacketWriter(8 + reply.ghosts.length * 96);
  writer.u32(reply.yourId).u32(reply.ghosts.length);
  for (const ghost of reply.ghosts) writeGhostInfo(writer, ghost);
  return writer.toBytes();
}

/**
 * Decodes the header-less connect reply (what SAR reads as its first frame).
 *
 * @throws {ProtocolError} `truncated_packet`
 */
export function decodeConnectReply(bytes: Uint8Array): ConnectReply {
  const reader = new PacketReader(bytes);
  try {
    const yourId = reader.u32();
    const count = reader.u32();
    const ghosts: GhostInfo[] = [];
    for (let i = 0; i < count; i++) ghosts.push(readGhostInfo(reader));
    return { yourId, ghosts };
  } catch (error) {
    if (error instanceof ProtocolError) {
      throw new ProtocolError(error.code, `Connect reply: ${error.message}`);
    }
    throw error;
  }
}

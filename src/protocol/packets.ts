/**
 * Typed encode and decode of every packet, in both directions (docs/protocol.md §3).
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
import { DATA_GHOST_BYTES } from "./data_ghost.ts";

/**
 * Bytes of a bulk UPDATE before its entries: header, id 0, entry count (docs/protocol.md §3.10).
 *
 * @example How many entries fit in a 1200-byte datagram
 * ```ts
 * import { BULK_UPDATE_ENTRY_BYTES, BULK_UPDATE_HEADER_BYTES } from "@ghosting/server";
 *
 * console.log(Math.floor((1200 - BULK_UPDATE_HEADER_BYTES) / BULK_UPDATE_ENTRY_BYTES)); // 41
 * ```
 */
export const BULK_UPDATE_HEADER_BYTES = 9;

/**
 * Bytes of one bulk UPDATE entry: u32 id and a raw DataGhost (docs/protocol.md §3.10).
 *
 * @example
 * ```ts
 * import { BULK_UPDATE_ENTRY_BYTES } from "@ghosting/server";
 *
 * console.log(BULK_UPDATE_ENTRY_BYTES); // 29
 * ```
 */
export const BULK_UPDATE_ENTRY_BYTES: number = 4 + DATA_GHOST_BYTES;

/**
 * `ticks` value meaning "no split information" in MAP_CHANGE (docs/protocol.md §3.6). SAR sends it
 * after a plain map load, so only other values are split times.
 *
 * @example
 * ```ts
 * import { type GhostServer, NO_SPLIT_TICKS } from "@ghosting/server";
 *
 * function announceSplits(server: GhostServer) {
 *   server.on("mapChange", ({ client, map, ticks }) => {
 *     if (ticks === undefined || ticks === NO_SPLIT_TICKS) return;
 *     server.sendMessage(`${client.name} reached ${map}: split of ${ticks} ticks`);
 *   });
 * }
 * ```
 */
export const NO_SPLIT_TICKS = 0xffffffff;

/**
 * VOICE's Steam message type, `k_EMsgVoiceChatData` (docs/protocol.md §3.16): the only value SAR
 * sends.
 *
 * @example
 * ```ts
 * import { encodeClientPacket, Header, VOICE_MESSAGE_TYPE } from "@ghosting/server";
 *
 * const voice = encodeClientPacket({
 *   header: Header.VOICE,
 *   id: 3,
 *   messageType: VOICE_MESSAGE_TYPE,
 *   steamId: new Uint8Array(8),
 *   data: new Uint8Array([0x12, 0x34]),
 * });
 * ```
 */
export const VOICE_MESSAGE_TYPE = 702;

/**
 * Bytes before a VOICE's audio data: header, id and the 16-byte Steam header.
 *
 * @example
 * ```ts
 * import { VOICE_PREFIX_BYTES } from "@ghosting/server";
 *
 * // The Steam header's length field must not run past the payload (SAR trusts it).
 * function voiceLengthFits(payload: Uint8Array): boolean {
 *   if (payload.length < VOICE_PREFIX_BYTES) return false;
 *   const length = new DataView(payload.buffer, payload.byteOffset).getUint32(9, true);
 *   return VOICE_PREFIX_BYTES + length <= payload.length;
 * }
 * ```
 */
export const VOICE_PREFIX_BYTES = 21;

/**
 * A client's description as the server announces it (connect reply entries and notifications).
 *
 * @example
 * ```ts
 * import type { GhostInfo, SarClient } from "@ghosting/server";
 *
 * const describe = (ghost: GhostInfo) =>
 *   `${ghost.id}: ${ghost.name}${ghost.spectator ? " (spectator)" : ""} on ${ghost.map || "menu"}`;
 *
 * // Who was already there when this client joined.
 * function listGhosts(client: SarClient) {
 *   for (const ghost of client.ghosts) console.log(describe(ghost));
 * }
 * ```
 */
export interface GhostInfo {
  /** The client's id, unique while it is connected. */
  id: number;
  /** The name it connected with. */
  name: string;
  /** Its latest pose (zeros until its first UPDATE). */
  data: DataGhost;
  /** Its ghost model path. */
  model: string;
  /** Its current map file name; "" in the menu. */
  map: string;
  /** Its ghost colour. */
  color: Color;
  /** Whether it joined as a spectator. */
  spectator: boolean;
}

/**
 * A {@linkcode GhostInfo} to encode, whose pose may be the raw 25 bytes (copied unchanged, as
 * the server stores poses).
 *
 * @example
 * ```ts
 * import { DATA_GHOST_BYTES, encodeConnectReply, type GhostInfoInput } from "@ghosting/server";
 *
 * const alice: GhostInfoInput = {
 *   id: 1,
 *   name: "Alice",
 *   data: new Uint8Array(DATA_GHOST_BYTES),
 *   model: "models/props/food_can/food_can_open.mdl",
 *   map: "sp_a2_laser_intro",
 *   color: { r: 255, g: 0, b: 0 },
 *   spectator: false,
 * };
 * const reply = encodeConnectReply({ yourId: 2, ghosts: [alice] });
 * ```
 */
export type GhostInfoInput = Omit<GhostInfo, "data"> & { data: DataGhost | Uint8Array };

/**
 * Header 0: never sent; ignored by both sides. Decoding still accepts it so that a stray byte
 * is not mistaken for an unknown header.
 */
export interface NonePacket {
  /** {@linkcode Header.NONE}. */
  header: typeof Header.NONE;
}

/**
 * Client→server PING (docs/protocol.md §3.1); the server answers with a {@linkcode PingEchoPacket}
 * over TCP. Examples for the client packets are on {@linkcode ClientPacket}.
 */
export interface PingPacket {
  /** {@linkcode Header.PING}. */
  header: typeof Header.PING;
  /** The sender's id. */
  id: number;
}

/**
 * Server→client answer to PING: the header byte alone (docs/protocol.md §3.1). Examples for the
 * server packets are on {@linkcode ServerPacket}.
 */
export interface PingEchoPacket {
  /** {@linkcode Header.PING}. */
  header: typeof Header.PING;
}

/**
 * Client→server CONNECT, the first frame of every connection (docs/protocol.md §3.3.1). It has no
 * id: the server assigns one in the {@linkcode ConnectReply}.
 *
 * @example
 * ```ts
 * import {
 *   type ConnectPacket,
 *   DEFAULT_MODEL,
 *   encodeClientPacket,
 *   encodeFrame,
 *   Header,
 *   zeroDataGhost,
 * } from "@ghosting/server";
 *
 * // What `ghost_spec_connect` sends, framed for TCP.
 * const connect: ConnectPacket = {
 *   header: Header.CONNECT,
 *   udpPort: 50000,
 *   name: "Alice",
 *   data: zeroDataGhost(),
 *   model: DEFAULT_MODEL,
 *   map: "",
 *   tcpOnly: false,
 *   color: { r: 0, g: 0, b: 0 },
 *   spectator: true,
 * };
 * const frame = encodeFrame(encodeClientPacket(connect));
 * ```
 */
export interface ConnectPacket {
  /** {@linkcode Header.CONNECT}. */
  header: typeof Header.CONNECT;
  /** The client's local UDP port. */
  udpPort: number;
  /** The player's name (SAR's `ghost_name`). */
  name: string;
  /** Initial pose; SAR always sends zeros. */
  data: DataGhost;
  /** Ghost model path, {@linkcode DEFAULT_MODEL} unless changed. */
  model: string;
  /** Current map file name; "" in the menu. */
  map: string;
  /** Whether everything, UPDATE included, goes over TCP (SAR's `ghost_TCP_only`). */
  tcpOnly: boolean;
  /** Ghost colour. */
  color: Color;
  /** Whether the client joins as a spectator (`ghost_spec_connect`). */
  spectator: boolean;
}

/**
 * Server→existing clients: a new client joined; no tcp_only byte (docs/protocol.md §3.3.3).
 * Examples for the server packets are on {@linkcode ServerPacket}.
 */
export interface ConnectNotificationPacket extends GhostInfo {
  /** {@linkcode Header.CONNECT}. */
  header: typeof Header.CONNECT;
}

/**
 * The header-less first frame the server sends to a new client (docs/protocol.md §3.3.2).
 *
 * @example
 * ```ts
 * import { type ConnectReply, decodeConnectReply, encodeConnectReply } from "@ghosting/server";
 *
 * const reply: ConnectReply = decodeConnectReply(encodeConnectReply({ yourId: 4, ghosts: [] }));
 * console.log(reply.yourId, reply.ghosts.length); // 4 0
 * ```
 */
export interface ConnectReply {
  /** The id assigned to the new client; 0 when refused with an explanation in chat. */
  yourId: number;
  /** Every client connected before this one, in connection order. */
  ghosts: GhostInfo[];
}

/**
 * DISCONNECT in either direction (docs/protocol.md §3.4). Examples are on {@linkcode ClientPacket}
 * and {@linkcode ServerPacket}.
 */
export interface DisconnectPacket {
  /** {@linkcode Header.DISCONNECT}. */
  header: typeof Header.DISCONNECT;
  /** The id of the client leaving. */
  id: number;
}

/**
 * STOP_SERVER: ignored when received; sent (id 0) on graceful shutdown (docs/protocol.md §3.5).
 * SAR answers it by disconnecting, which is why a stopping server sends it.
 */
export interface StopServerPacket {
  /** {@linkcode Header.STOP_SERVER}. */
  header: typeof Header.STOP_SERVER;
  /** 0 from the server; any value a client sends is ignored. */
  id: number;
}

/**
 * MAP_CHANGE; SARs before April 2022 sent no tick fields (docs/protocol.md §3.6). Encoding writes
 * the tick fields when either is set, filling the other with {@linkcode NO_SPLIT_TICKS}.
 *
 * @example
 * ```ts
 * import { encodeClientPacket, Header, type MapChangePacket } from "@ghosting/server";
 *
 * // Client 3 finished a 1234-tick split, 5678 ticks into the run.
 * const packet: MapChangePacket = {
 *   header: Header.MAP_CHANGE,
 *   id: 3,
 *   map: "sp_a1_intro2",
 *   ticks: 1234,
 *   ticksTotal: 5678,
 * };
 * const bytes = encodeClientPacket(packet);
 * ```
 */
export interface MapChangePacket {
  /** {@linkcode Header.MAP_CHANGE}. */
  header: typeof Header.MAP_CHANGE;
  /** The client that loaded the map. */
  id: number;
  /** The map file name, e.g. `sp_a1_intro1`. */
  map: string;
  /** Ticks of the split just completed, or {@linkcode NO_SPLIT_TICKS}. */
  ticks?: number;
  /** Speedrun ticks at that split, or {@linkcode NO_SPLIT_TICKS} before the first. */
  ticksTotal?: number;
}

/**
 * HEART_BEAT in any direction (docs/protocol.md §3.7). A client answers each one with the same
 * token, on the transport it arrived on. Examples are on {@linkcode ClientPacket}.
 */
export interface HeartBeatPacket {
  /** {@linkcode Header.HEART_BEAT}. */
  header: typeof Header.HEART_BEAT;
  /** The client's own id, both ways. */
  id: number;
  /** Random per TCP round, 0 for UDP keep-alives; echoed back unchanged. */
  token: number;
}

/**
 * MESSAGE: chat from a client, or from the server with id 0 (docs/protocol.md §3.8). Examples are
 * on {@linkcode ClientPacket} and {@linkcode ServerPacket}.
 */
export interface MessagePacket {
  /** {@linkcode Header.MESSAGE}. */
  header: typeof Header.MESSAGE;
  /** The sender's id; 0 for the server, which SAR shows as "SERVER". */
  id: number;
  /** The chat line. */
  text: string;
}

/**
 * Client→server COUNTDOWN confirm; SAR sends step 1 (docs/protocol.md §3.9). Examples for the
 * client packets are on {@linkcode ClientPacket}.
 */
export interface CountdownConfirmPacket {
  /** {@linkcode Header.COUNTDOWN}. */
  header: typeof Header.COUNTDOWN;
  /** The sender's id. */
  id: number;
  /** 1 from SAR; the server answers whatever the value. */
  step: number;
}

/**
 * Server→all COUNTDOWN setup (step 0) (docs/protocol.md §3.9).
 * {@linkcode GhostServer.startCountdown} sends it; build one yourself only to speak the
 * protocol without the server.
 *
 * @example
 * ```ts
 * import { type CountdownSetupPacket, encodeServerPacket, Header } from "@ghosting/server";
 *
 * const setup: CountdownSetupPacket = {
 *   header: Header.COUNTDOWN,
 *   id: 0,
 *   step: 0,
 *   duration: 5,
 *   preCommands: "restart_level",
 *   postCommands: "",
 * };
 * const bytes = encodeServerPacket(setup);
 * ```
 */
export interface CountdownSetupPacket {
  /** {@linkcode Header.COUNTDOWN}. */
  header: typeof Header.COUNTDOWN;
  /** 0: the server. */
  id: number;
  /** 0, which is what makes it a setup. */
  step: 0;
  /** Seconds counted down in chat. */
  duration: number;
  /** Console commands every client runs when the setup arrives. */
  preCommands: string;
  /** Console commands every client runs at go. */
  postCommands: string;
}

/**
 * Server→client COUNTDOWN with a non-zero step; step 1 is "go" (docs/protocol.md §3.9). Examples
 * for the server packets are on {@linkcode ServerPacket}.
 */
export interface CountdownStepPacket {
  /** {@linkcode Header.COUNTDOWN}. */
  header: typeof Header.COUNTDOWN;
  /** 0: the server. */
  id: number;
  /** Non-zero; 1 is "go". */
  step: number;
}

/**
 * Client→server UPDATE with the sender's pose (docs/protocol.md §3.10). The server stores it and
 * relays it only inside the next {@linkcode BulkUpdatePacket}. An example is on
 * {@linkcode DataGhost}.
 */
export interface UpdatePacket {
  /** {@linkcode Header.UPDATE}. */
  header: typeof Header.UPDATE;
  /** The sender's id. */
  id: number;
  /** The sender's pose. */
  data: DataGhost;
}

/** One entry of a bulk UPDATE. An example is on {@linkcode BulkUpdatePacket}. */
export interface BulkUpdateEntry {
  /** The client this pose belongs to. */
  id: number;
  /** Its latest pose. */
  data: DataGhost;
}

/**
 * Server→client bulk UPDATE (id 0) with every client's pose (docs/protocol.md §3.10). SAR ignores
 * an UPDATE with any other id.
 *
 * @example
 * ```ts
 * import { type BulkUpdatePacket, Header, type SarClient } from "@ghosting/server";
 *
 * // Where everyone else is, from the next bulk update a client receives.
 * async function positions(client: SarClient) {
 *   const { packet } = await client.nextOf(Header.UPDATE);
 *   const update: BulkUpdatePacket = packet;
 *   return update.entries.filter((entry) => entry.id !== client.id)
 *     .map(({ id, data }) => ({ id, position: data.position }));
 * }
 * ```
 */
export interface BulkUpdatePacket {
  /** {@linkcode Header.UPDATE}. */
  header: typeof Header.UPDATE;
  /** 0: the server. */
  id: number;
  /** Poses in connection order, the recipient's included; one tick may span several packets. */
  entries: BulkUpdateEntry[];
}

/**
 * SPEEDRUN_FINISH with a formatted time such as `1:23.456` (docs/protocol.md §3.11). Plugins see
 * it as the `speedrunFinish` event. Examples are on {@linkcode ClientPacket}.
 */
export interface SpeedrunFinishPacket {
  /** {@linkcode Header.SPEEDRUN_FINISH}. */
  header: typeof Header.SPEEDRUN_FINISH;
  /** The client that finished. */
  id: number;
  /** The final time as SAR formats it: `S.mmm`, `M:SS.mmm` or `H:MM:SS.mmm`. */
  time: string;
}

/**
 * MODEL_CHANGE, sent by `ghost_prop_model` (docs/protocol.md §3.12). Examples are on
 * {@linkcode ClientPacket}.
 */
export interface ModelChangePacket {
  /** {@linkcode Header.MODEL_CHANGE}. */
  header: typeof Header.MODEL_CHANGE;
  /** The client whose model changed. */
  id: number;
  /** The new model path. */
  model: string;
}

/**
 * COLOR_CHANGE, sent by `ghost_set_color` (docs/protocol.md §3.13). Examples are on
 * {@linkcode ClientPacket}.
 */
export interface ColorChangePacket {
  /** {@linkcode Header.COLOR_CHANGE}. */
  header: typeof Header.COLOR_CHANGE;
  /** The client whose colour changed. */
  id: number;
  /** The new colour. */
  color: Color;
}

/**
 * TAUNT; SAR's only animation is `wave` (docs/protocol.md §3.14). Examples are on
 * {@linkcode ClientPacket}.
 */
export interface TauntPacket {
  /** {@linkcode Header.TAUNT}. */
  header: typeof Header.TAUNT;
  /** The client taunting. */
  id: number;
  /** The animation's name; SAR ignores names it does not know. */
  animation: string;
}

/**
 * LOCATOR ping on a surface, sent by `ghost_locator` (docs/protocol.md §3.15). Examples are on
 * {@linkcode ClientPacket}.
 */
export interface LocatorPacket {
  /** {@linkcode Header.LOCATOR}. */
  header: typeof Header.LOCATOR;
  /** The client pinging. */
  id: number;
  /** The point pinged, in world units. */
  position: Vec3;
  /** The normal of the surface at that point. */
  normal: Vec3;
}

/**
 * VOICE: after the id, Steam's 16-byte little-endian header and `data` (docs/protocol.md §3.16).
 * Decoding fails when the header's length runs past the packet, which SAR would trust. An
 * example is on {@linkcode VOICE_MESSAGE_TYPE}.
 */
export interface VoicePacket {
  /** {@linkcode Header.VOICE}. */
  header: typeof Header.VOICE;
  /** The client speaking. */
  id: number;
  /** Steam's message type, {@linkcode VOICE_MESSAGE_TYPE} from SAR. */
  messageType: number;
  /** 8 bytes SAR never initialises. */
  steamId: Uint8Array;
  /** Steam-compressed audio, at most about 1 KiB from SAR. */
  data: Uint8Array;
}

/**
 * Every packet a client sends. Its `header` field tells the shapes apart, so a `switch` on it
 * narrows a decoded packet.
 *
 * @example
 * ```ts
 * import {
 *   type ClientPacket,
 *   decodeClientPacket,
 *   encodeClientPacket,
 *   Header,
 * } from "@ghosting/server";
 *
 * const sent: ClientPacket[] = [
 *   { header: Header.PING, id: 3 },
 *   { header: Header.MESSAGE, id: 3, text: "gl hf" },
 *   { header: Header.SPEEDRUN_FINISH, id: 3, time: "1:23.456" },
 *   { header: Header.TAUNT, id: 3, animation: "wave" },
 *   { header: Header.MODEL_CHANGE, id: 3, model: "models/props/radio_reference.mdl" },
 *   { header: Header.COLOR_CHANGE, id: 3, color: { r: 255, g: 0, b: 255 } },
 *   {
 *     header: Header.LOCATOR,
 *     id: 3,
 *     position: { x: 0, y: 0, z: 64 },
 *     normal: { x: 0, y: 0, z: 1 },
 *   },
 *   { header: Header.HEART_BEAT, id: 3, token: 12345 },
 *   { header: Header.COUNTDOWN, id: 3, step: 1 },
 *   { header: Header.DISCONNECT, id: 3 },
 * ];
 *
 * for (const bytes of sent.map(encodeClientPacket)) {
 *   const packet = decodeClientPacket(bytes);
 *   switch (packet.header) {
 *     case Header.MESSAGE:
 *       console.log(`chat: ${packet.text}`);
 *       break;
 *     case Header.SPEEDRUN_FINISH:
 *       console.log(`finished in ${packet.time}`);
 *       break;
 *   }
 * }
 * ```
 */
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

/**
 * Every packet the server sends, except the header-less {@linkcode ConnectReply}. As with
 * {@linkcode ClientPacket}, `header` tells the shapes apart; COUNTDOWN is a setup when `step`
 * is 0.
 *
 * @example
 * ```ts
 * import { decodeServerPacket, Header, type ServerPacket } from "@ghosting/server";
 *
 * // How a SAR-like client might report what the server sent.
 * function describe(packet: ServerPacket): string {
 *   switch (packet.header) {
 *     case Header.PING:
 *       return "pong";
 *     case Header.CONNECT:
 *       return `${packet.name} joined`;
 *     case Header.DISCONNECT:
 *       return `client ${packet.id} left`;
 *     case Header.MESSAGE:
 *       return packet.id === 0 ? `SERVER: ${packet.text}` : `${packet.id}: ${packet.text}`;
 *     case Header.COUNTDOWN:
 *       return "duration" in packet ? `countdown of ${packet.duration} s` : "go!";
 *     case Header.UPDATE:
 *       return `${packet.entries.length} poses`;
 *     default:
 *       return `header ${packet.header}`;
 *   }
 * }
 *
 * console.log(describe(decodeServerPacket(new Uint8Array([Header.PING])))); // "pong"
 * ```
 */
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
 * Encodes a packet as a client sends it. The result is a payload: frame it with
 * {@linkcode encodeFrame} for TCP, or send it as is in one UDP datagram.
 *
 * @example
 * ```ts
 * import { encodeClientPacket, encodeFrame, Header } from "@ghosting/server";
 *
 * const ping = encodeClientPacket({ header: Header.PING, id: 7 });
 * console.log(ping); // Uint8Array(5) [ 1, 0, 0, 0, 7 ]
 * const frame = encodeFrame(ping); // ready for the TCP socket
 * ```
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
 * @example
 * ```ts
 * import { decodeClientPacket, Header } from "@ghosting/server";
 *
 * const packet = decodeClientPacket(new Uint8Array([1, 0, 0, 0, 7]));
 * if (packet.header === Header.PING) console.log(`ping from ${packet.id}`); // "ping from 7"
 * ```
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
 * The raw 25-byte DataGhost of a CONNECT payload, for a server that stores and forwards poses
 * unchanged (docs/protocol.md §1.1), as it does with UPDATEs.
 *
 * @example
 * ```ts
 * import { encodeClientPacket, Header, readConnectPose, zeroDataGhost } from "@ghosting/server";
 *
 * const connect = encodeClientPacket({
 *   header: Header.CONNECT, udpPort: 54321, name: "Alice", data: zeroDataGhost(), model: "",
 *   map: "", tcpOnly: false, color: { r: 0, g: 0, b: 0 }, spectator: false,
 * });
 * console.log(readConnectPose(connect).length); // 25
 * ```
 *
 * @throws {ProtocolError} `truncated_packet` when the payload ends before the pose
 */
export function readConnectPose(payload: Uint8Array): Uint8Array {
  const reader = new PacketReader(payload);
  reader.u8(); // header
  reader.u16(); // UDP port
  reader.stringBytes(); // name
  return reader.bytes(DATA_GHOST_BYTES).slice();
}

/**
 * Encodes a packet as the server sends it.
 *
 * @example
 * ```ts
 * import { encodeServerPacket, Header } from "@ghosting/server";
 *
 * // What SAR shows as "SERVER: Race in 5 minutes".
 * const message = encodeServerPacket({ header: Header.MESSAGE, id: 0, text: "Race in 5 minutes" });
 * ```
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
 * @example
 * ```ts
 * import { decodeServerPacket, Header } from "@ghosting/server";
 *
 * const packet = decodeServerPacket(new Uint8Array([Header.DISCONNECT, 0, 0, 0, 2]));
 * if (packet.header === Header.DISCONNECT) console.log(`client ${packet.id} left`);
 * ```
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
        if (count * BULK_UPDATE_ENTRY_BYTES > reader.remaining) {
          throw new ProtocolError(
            "truncated_packet",
            `${count} entries need ${
              count * BULK_UPDATE_ENTRY_BYTES
            } bytes, ${reader.remaining} left`,
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

/**
 * Encodes the CONNECT notification announcing `ghost` to the clients already there. Unlike
 * {@linkcode encodeServerPacket}, it takes the pose raw, as the server stores it.
 *
 * @example
 * ```ts
 * import { DEFAULT_MODEL, encodeConnectNotification, zeroDataGhost } from "@ghosting/server";
 *
 * const notification = encodeConnectNotification({
 *   id: 5,
 *   name: "Carol",
 *   data: zeroDataGhost(),
 *   model: DEFAULT_MODEL,
 *   map: "mp_coop_lobby_3",
 *   color: { r: 0, g: 255, b: 0 },
 *   spectator: false,
 * });
 * ```
 */
export function encodeConnectNotification(ghost: GhostInfoInput): Uint8Array {
  const writer = new PacketWriter(96);
  writer.u8(Header.CONNECT);
  writeGhostInfo(writer, ghost);
  return writer.toBytes();
}

/**
 * Encodes the header-less connect reply. It must be the first frame sent on a connection: SAR
 * reads its first frame as the reply.
 *
 * @example
 * ```ts
 * import { encodeConnectReply, encodeFrame } from "@ghosting/server";
 *
 * // The first client of a server gets id 1 and an empty list.
 * const frame = encodeFrame(encodeConnectReply({ yourId: 1, ghosts: [] }));
 * console.log(frame); // Uint8Array(12) [ 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0 ]
 * ```
 */
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
 * @example
 * ```ts
 * import { decodeConnectReply } from "@ghosting/server";
 *
 * const reply = decodeConnectReply(new Uint8Array([0, 0, 0, 1, 0, 0, 0, 0]));
 * console.log(reply); // { yourId: 1, ghosts: [] }
 * ```
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

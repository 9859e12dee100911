/**
 * Every frame of tests/fixtures/protocol_vectors.json is produced byte for byte by the encoder and
 * decoded back to the same values (docs/protocol.md §10).
 */
import assert from "node:assert/strict";
import {
  type ClientPacket,
  type ConnectReply,
  decodeClientPacket,
  decodeConnectReply,
  decodeServerPacket,
  DEFAULT_MODEL,
  encodeClientPacket,
  encodeConnectReply,
  encodeFrame,
  encodeServerPacket,
  type GhostInfo,
  Header,
  NO_SPLIT_TICKS,
  type ServerPacket,
  zeroDataGhost,
} from "../../src/protocol/mod.ts";
import type { DataGhost } from "../../src/protocol/mod.ts";
import { bytesToHex, vector, VECTORS } from "../helpers/vectors.ts";

const alicePose: DataGhost = {
  position: { x: 1.5, y: -2, z: 3 },
  viewAngle: { x: 0, y: 90, z: 0 },
  viewOffset: 64,
  grounded: true,
};
const bobPose: DataGhost = {
  position: { x: 10, y: 20, z: 30 },
  viewAngle: { x: 5, y: -45, z: 0 },
  viewOffset: 28,
  grounded: false,
};
const invalidPose: DataGhost = {
  position: { x: NaN, y: NaN, z: NaN },
  viewAngle: { x: NaN, y: NaN, z: NaN },
  viewOffset: 0,
  grounded: false,
};
const chell = "models/player/chell/player.mdl";
const bob: GhostInfo = {
  id: 1,
  name: "Bob",
  data: bobPose,
  model: DEFAULT_MODEL,
  map: "sp_a1_intro1",
  color: { r: 0, g: 0, b: 0 },
  spectator: false,
};
const carol: GhostInfo = {
  id: 2,
  name: "Carol",
  data: zeroDataGhost(),
  model: DEFAULT_MODEL,
  map: "",
  color: { r: 0, g: 255, b: 255 },
  spectator: true,
};
const aliceConnect: ClientPacket = {
  header: Header.CONNECT,
  udpPort: 54321,
  name: "Alice",
  data: alicePose,
  model: chell,
  map: "sp_a1_intro1",
  tcpOnly: false,
  color: { r: 255, g: 128, b: 0 },
  spectator: false,
};
const bulk: ServerPacket = {
  header: Header.UPDATE,
  id: 0,
  entries: [
    { id: 1, data: bobPose },
    { id: 2, data: zeroDataGhost() },
    { id: 3, data: alicePose },
  ],
};
const voice = {
  header: Header.VOICE,
  id: 3,
  messageType: 702,
  steamId: new Uint8Array(8),
  data: new Uint8Array([0xde, 0xad, 0xbe, 0xef]),
} as const;

/** Vector id → what the client sends and/or what the server sends. */
const CLIENT: Record<string, ClientPacket> = {
  V1: aliceConnect,
  V1b: { ...aliceConnect, data: zeroDataGhost() },
  V5a: { header: Header.UPDATE, id: 3, data: alicePose },
  V5b: { header: Header.UPDATE, id: 3, data: alicePose },
  V5c: { header: Header.UPDATE, id: 3, data: invalidPose },
  V7a: { header: Header.COUNTDOWN, id: 3, step: 1 },
  V8b: { header: Header.HEART_BEAT, id: 3, token: 0x643c9869 },
  V8d: { header: Header.HEART_BEAT, id: 3, token: 0 },
  V9a: { header: Header.MESSAGE, id: 3, text: "hello" },
  V10a: { header: Header.PING, id: 3 },
  V11a: { header: Header.MAP_CHANGE, id: 3, map: "sp_a1_intro2", ticks: 1234, ticksTotal: 5678 },
  V11b: {
    header: Header.MAP_CHANGE,
    id: 3,
    map: "sp_a1_intro1",
    ticks: NO_SPLIT_TICKS,
    ticksTotal: NO_SPLIT_TICKS,
  },
  V12: { header: Header.SPEEDRUN_FINISH, id: 3, time: "1:23.456" },
  V13: { header: Header.MODEL_CHANGE, id: 3, model: "models/props/metal_box.mdl" },
  V14: { header: Header.COLOR_CHANGE, id: 3, color: { r: 0x12, g: 0x34, b: 0x56 } },
  V15: { header: Header.TAUNT, id: 3, animation: "wave" },
  V16: {
    header: Header.LOCATOR,
    id: 3,
    position: { x: 100, y: -200.5, z: 64 },
    normal: { x: 0, y: 0, z: 1 },
  },
  V17a: voice,
  V18: { header: Header.DISCONNECT, id: 3 },
};

const SERVER: Record<string, ServerPacket> = {
  V3: { header: Header.CONNECT, id: 3, ...withoutHeader(aliceConnect) },
  V4a: bulk,
  V4b: bulk,
  V6: {
    header: Header.COUNTDOWN,
    id: 0,
    step: 0,
    duration: 3,
    preCommands: "sv_cheats 0",
    postCommands: "say go",
  },
  V7b: { header: Header.COUNTDOWN, id: 0, step: 1 },
  V8a: { header: Header.HEART_BEAT, id: 3, token: 0x643c9869 },
  V8c: { header: Header.HEART_BEAT, id: 3, token: 0 },
  V9a: { header: Header.MESSAGE, id: 3, text: "hello" },
  V9b: { header: Header.MESSAGE, id: 0, text: "Server restarting" },
  V10b: { header: Header.PING },
  V11a: CLIENT.V11a as ServerPacket,
  V11b: CLIENT.V11b as ServerPacket,
  V12: CLIENT.V12 as ServerPacket,
  V13: CLIENT.V13 as ServerPacket,
  V14: CLIENT.V14 as ServerPacket,
  V15: CLIENT.V15 as ServerPacket,
  V16: CLIENT.V16 as ServerPacket,
  V17b: voice,
  V18: { header: Header.DISCONNECT, id: 3 },
  V19: { header: Header.STOP_SERVER, id: 0 },
};

const REPLY: Record<string, ConnectReply> = { V2: { yourId: 3, ghosts: [bob, carol] } };

function withoutHeader(packet: ClientPacket): Omit<GhostInfo, "id"> {
  assert.equal(packet.header, Header.CONNECT);
  const { name, data, model, map, color, spectator } = packet as Extract<
    ClientPacket,
    { header: typeof Header.CONNECT }
  >;
  return { name, data, model, map, color, spectator };
}

function assertWire(id: string, payload: Uint8Array): void {
  const v = vector(id);
  const wire = v.transport === "tcp" ? encodeFrame(payload) : payload;
  assert.equal(bytesToHex(wire), bytesToHex(v.frame), `${id} ${v.title}`);
}

Deno.test("every protocol vector has an expected value", () => {
  const covered = new Set([...Object.keys(CLIENT), ...Object.keys(SERVER), ...Object.keys(REPLY)]);
  assert.deepEqual([...VECTORS.keys()].filter((id) => !covered.has(id)), []);
  assert.equal(VECTORS.size, 31);
});

for (const [id, packet] of Object.entries(CLIENT)) {
  Deno.test(`vector ${id}: client packet encodes byte-exact and decodes back`, () => {
    assertWire(id, encodeClientPacket(packet));
    assert.deepStrictEqual(decodeClientPacket(vector(id).payload), packet);
  });
}

for (const [id, packet] of Object.entries(SERVER)) {
  Deno.test(`vector ${id}: server packet encodes byte-exact and decodes back`, () => {
    assertWire(id, encodeServerPacket(packet));
    assert.deepStrictEqual(decodeServerPacket(vector(id).payload), packet);
  });
}

Deno.test("vector V2: header-less connect reply encodes byte-exact and decodes back", () => {
  assertWire("V2", encodeConnectReply(REPLY.V2));
  assert.deepStrictEqual(decodeConnectReply(vector("V2").payload), REPLY.V2);
});

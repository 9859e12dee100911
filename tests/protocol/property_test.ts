/** Property tests: decode(encode(x)) = x, and arbitrary bytes only ever raise ProtocolError. */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type ClientPacket,
  type Color,
  type DataGhost,
  decodeClientPacket,
  decodeConnectReply,
  decodeServerPacket,
  encodeClientPacket,
  encodeConnectReply,
  encodeFrame,
  encodeServerPacket,
  FrameDecoder,
  type GhostInfo,
  Header,
  ProtocolError,
  type ServerPacket,
  type Vec3,
} from "../../src/protocol/mod.ts";

/** Plain-prototype records, so deepStrictEqual compares them with decoded objects. */
function record<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true });
}

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const text = fc.string({ unit: "grapheme", maxLength: 40 });
const f32 = fc.float(); // every 32-bit float, NaN and -0 included
const vec3: fc.Arbitrary<Vec3> = record({ x: f32, y: f32, z: f32 });
const color: fc.Arbitrary<Color> = record({
  r: fc.integer({ min: 0, max: 255 }),
  g: fc.integer({ min: 0, max: 255 }),
  b: fc.integer({ min: 0, max: 255 }),
});
const dataGhost: fc.Arbitrary<DataGhost> = record({
  position: vec3,
  viewAngle: vec3,
  viewOffset: fc.integer({ min: 0, max: 127 }),
  grounded: fc.boolean(),
});
const ghostInfo: fc.Arbitrary<GhostInfo> = record({
  id: u32,
  name: text,
  data: dataGhost,
  model: text,
  map: text,
  color,
  spectator: fc.boolean(),
});
const bytes = (max: number) => fc.uint8Array({ maxLength: max });

const mapChange = fc.oneof(
  record({ header: fc.constant(Header.MAP_CHANGE), id: u32, map: text }),
  record({
    header: fc.constant(Header.MAP_CHANGE),
    id: u32,
    map: text,
    ticks: u32,
    ticksTotal: u32,
  }),
);

const shared = [
  fc.constant({ header: Header.NONE }),
  record({ header: fc.constant(Header.DISCONNECT), id: u32 }),
  record({ header: fc.constant(Header.STOP_SERVER), id: u32 }),
  mapChange,
  record({ header: fc.constant(Header.HEART_BEAT), id: u32, token: u32 }),
  record({ header: fc.constant(Header.MESSAGE), id: u32, text }),
  record({ header: fc.constant(Header.SPEEDRUN_FINISH), id: u32, time: text }),
  record({ header: fc.constant(Header.MODEL_CHANGE), id: u32, model: text }),
  record({ header: fc.constant(Header.COLOR_CHANGE), id: u32, color }),
  record({ header: fc.constant(Header.TAUNT), id: u32, animation: text }),
  record({ header: fc.constant(Header.LOCATOR), id: u32, position: vec3, normal: vec3 }),
  record({
    header: fc.constant(Header.VOICE),
    id: u32,
    messageType: u32,
    steamId: fc.uint8Array({ minLength: 8, maxLength: 8 }),
    data: bytes(1024),
  }),
] as const;

const clientPacket = fc.oneof(
  ...shared,
  record({ header: fc.constant(Header.PING), id: u32 }),
  record({
    header: fc.constant(Header.CONNECT),
    udpPort: fc.integer({ min: 0, max: 0xffff }),
    name: text,
    data: dataGhost,
    model: text,
    map: text,
    tcpOnly: fc.boolean(),
    color,
    spectator: fc.boolean(),
  }),
  record({
    header: fc.constant(Header.COUNTDOWN),
    id: u32,
    step: fc.integer({ min: 0, max: 255 }),
  }),
  record({ header: fc.constant(Header.UPDATE), id: u32, data: dataGhost }),
) as fc.Arbitrary<ClientPacket>;

const serverPacket = fc.oneof(
  ...shared,
  fc.constant({ header: Header.PING }),
  ghostInfo.map((ghost) => ({ header: Header.CONNECT, ...ghost })),
  record({
    header: fc.constant(Header.COUNTDOWN),
    id: u32,
    step: fc.constant(0),
    duration: u32,
    preCommands: text,
    postCommands: text,
  }),
  record({
    header: fc.constant(Header.COUNTDOWN),
    id: u32,
    step: fc.integer({ min: 1, max: 255 }),
  }),
  record({
    header: fc.constant(Header.UPDATE),
    id: u32,
    entries: fc.array(record({ id: u32, data: dataGhost }), { maxLength: 20 }),
  }),
) as fc.Arbitrary<ServerPacket>;

function onlyProtocolErrors(decode: (input: Uint8Array) => unknown) {
  return (input: Uint8Array) => {
    try {
      decode(input);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
    }
  };
}

Deno.test("property: client packets decode to what was encoded", () => {
  fc.assert(fc.property(clientPacket, (packet) => {
    assert.deepStrictEqual(decodeClientPacket(encodeClientPacket(packet)), packet);
  }));
});

Deno.test("property: server packets decode to what was encoded", () => {
  fc.assert(fc.property(serverPacket, (packet) => {
    assert.deepStrictEqual(decodeServerPacket(encodeServerPacket(packet)), packet);
  }));
});

Deno.test("property: connect replies decode to what was encoded", () => {
  const reply = record({ yourId: u32, ghosts: fc.array(ghostInfo, { maxLength: 8 }) });
  fc.assert(fc.property(reply, (value) => {
    assert.deepStrictEqual(decodeConnectReply(encodeConnectReply(value)), value);
  }));
});

Deno.test("property: arbitrary bytes only ever raise ProtocolError", () => {
  const input = fc.oneof(
    bytes(64),
    // Valid headers followed by noise reach deeper into each decoder.
    fc.tuple(fc.integer({ min: 0, max: 17 }), bytes(64)).map(([h, rest]) =>
      new Uint8Array([h, ...rest])
    ),
  );
  fc.assert(fc.property(input, onlyProtocolErrors(decodeClientPacket)), { numRuns: 2000 });
  fc.assert(fc.property(input, onlyProtocolErrors(decodeServerPacket)), { numRuns: 2000 });
  fc.assert(fc.property(input, onlyProtocolErrors(decodeConnectReply)), { numRuns: 2000 });
});

Deno.test("property: any chunking of a frame stream yields the same payloads", () => {
  const payloads = fc.array(bytes(300), { maxLength: 10 });
  fc.assert(fc.property(payloads, fc.array(fc.nat(400), { maxLength: 12 }), (list, cuts) => {
    const stream = new Uint8Array(list.reduce((n, p) => n + 4 + p.length, 0));
    let at = 0;
    for (const payload of list) {
      stream.set(encodeFrame(payload), at);
      at += 4 + payload.length;
    }
    const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
    const decoder = new FrameDecoder(300);
    const received: Uint8Array[] = [];
    let previous = 0;
    for (const point of [...points, stream.length]) {
      decoder.push(stream.subarray(previous, point), (p) => void received.push(p.slice()));
      previous = point;
    }
    assert.deepStrictEqual(received, list);
    assert.equal(decoder.bufferedBytes, 0);
  }));
});

Deno.test("property: arbitrary streams only ever raise frame_too_large", () => {
  fc.assert(fc.property(fc.array(bytes(40), { maxLength: 8 }), (chunks) => {
    const decoder = new FrameDecoder(64);
    try {
      for (const chunk of chunks) decoder.push(chunk, () => {});
    } catch (error) {
      assert.ok(error instanceof ProtocolError && error.code === "frame_too_large");
    }
  }));
});

import assert from "node:assert/strict";
import {
  decodeClientPacket,
  decodeServerPacket,
  encodeClientPacket,
  encodeServerPacket,
  Header,
  headerName,
  PacketReader,
  PacketWriter,
  packViewOffset,
  ProtocolError,
  zeroDataGhost,
} from "../../src/protocol/mod.ts";
import { bytesToHex, hexToBytes, vector } from "../helpers/vectors.ts";

function isCode(code: string) {
  return (error: unknown) => error instanceof ProtocolError && error.code === code;
}

Deno.test("strings are counted in UTF-8 bytes, not UTF-16 units", () => {
  const bytes = new PacketWriter().string("Zoë 👻").toBytes();
  assert.equal(bytesToHex(bytes.subarray(0, 4)), "00000009");
  assert.equal(new PacketReader(bytes).string(), "Zoë 👻");
});

Deno.test("integers are big-endian and floats little-endian", () => {
  const bytes = new PacketWriter().u16(0xd431).u32(0x01020304).f32(1.5).toBytes();
  assert.equal(bytesToHex(bytes), "d431010203040000c03f");
});

Deno.test("bool reads any non-zero byte as true, as SFML does", () => {
  assert.equal(new PacketReader(new Uint8Array([0x7f])).bool(), true);
  assert.equal(new PacketReader(new Uint8Array([0])).bool(), false);
});

Deno.test("the packed view-offset byte truncates and wraps like the C++ cast", () => {
  assert.equal(packViewOffset(64, true), 0xc0);
  assert.equal(packViewOffset(28.9, false), 0x1c);
  assert.equal(packViewOffset(130, false), 2);
  assert.equal(packViewOffset(-1, false), 0x7f);
  assert.equal(packViewOffset(NaN, true), 0x80);
});

Deno.test("writer rejects integers that do not fit their wire type", () => {
  assert.throws(() => new PacketWriter().u8(256), RangeError);
  assert.throws(() => new PacketWriter().u16(-1), RangeError);
  assert.throws(() => new PacketWriter().u32(2 ** 32), RangeError);
  assert.throws(() => new PacketWriter().u32(1.5), RangeError);
  assert.throws(
    () => encodeClientPacket({ header: Header.COLOR_CHANGE, id: 1, color: { r: 300, g: 0, b: 0 } }),
    RangeError,
  );
});

Deno.test("truncated packets raise truncated_packet naming the header", () => {
  const full = vector("V1").payload;
  for (let length = 1; length < full.length; length++) {
    assert.throws(() => decodeClientPacket(full.subarray(0, length)), (error) => {
      return isCode("truncated_packet")(error) && /CONNECT/.test((error as Error).message);
    });
  }
  assert.throws(() => decodeClientPacket(new Uint8Array()), isCode("truncated_packet"));
});

Deno.test("unknown headers raise unknown_header", () => {
  assert.throws(() => decodeClientPacket(hexToBytes("1000000001")), isCode("unknown_header"));
  assert.throws(() => decodeServerPacket(hexToBytes("ff")), isCode("unknown_header"));
  assert.equal(headerName(16), "UNKNOWN(16)");
  assert.equal(headerName(Header.VOICE), "VOICE");
});

Deno.test("extra trailing bytes are ignored, as SFML does", () => {
  const payload = new Uint8Array([...vector("V10a").payload, 1, 2, 3]);
  assert.deepStrictEqual(decodeClientPacket(payload), { header: Header.PING, id: 3 });
});

Deno.test("MAP_CHANGE without tick fields (SAR before 2022) decodes and re-encodes", () => {
  const packet = { header: Header.MAP_CHANGE, id: 3, map: "sp_a1_intro1" } as const;
  const bytes = encodeClientPacket(packet);
  assert.equal(bytes.length, 1 + 4 + 4 + 12);
  assert.deepStrictEqual(decodeClientPacket(bytes), packet);
});

Deno.test("VOICE whose Steam length runs past the packet is truncated", () => {
  const good = vector("V17a").payload;
  assert.throws(
    () => decodeClientPacket(good.subarray(0, good.length - 1)),
    isCode("truncated_packet"),
  );
  assert.throws(() => decodeClientPacket(good.subarray(0, 20)), isCode("truncated_packet"));
});

Deno.test("a bulk UPDATE with a forged count fails before allocating entries", () => {
  assert.throws(
    () => decodeServerPacket(hexToBytes("0900000000ffffffff")),
    isCode("truncated_packet"),
  );
});

Deno.test("server COUNTDOWN with a non-zero step carries no setup fields", () => {
  const bytes = encodeServerPacket({ header: Header.COUNTDOWN, id: 0, step: 7 });
  assert.equal(bytesToHex(bytes), "080000000007");
});

Deno.test("encoding does not share memory with later encodings", () => {
  const first = encodeClientPacket({ header: Header.UPDATE, id: 1, data: zeroDataGhost() });
  const copy = first.slice();
  encodeClientPacket({ header: Header.UPDATE, id: 2, data: zeroDataGhost() });
  assert.deepEqual(first, copy);
});

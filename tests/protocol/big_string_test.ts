/**
 * Strings far beyond any string limit, with invalid bytes, through the packets that carry
 * them: once a 300 KB name with one invalid byte overflowed the stack when the server encoded
 * it into the next connect reply (with `max_frame_bytes` raised), and every later join failed.
 */
import assert from "node:assert/strict";
import {
  decodeClientPacket,
  decodeConnectReply,
  decodeText,
  DEFAULT_MODEL,
  encodeClientPacket,
  encodeConnectReply,
  encodeText,
  Header,
  zeroDataGhost,
} from "../../src/protocol/mod.ts";

function bigInvalid(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = i === 10 || i === length >> 1 ? 0xfe : 0x61 + i % 26;
  return bytes;
}

Deno.test("a 300 KB invalid name survives CONNECT and the connect reply byte for byte", () => {
  const bytes = bigInvalid(300_000);
  const connect = decodeClientPacket(encodeClientPacket({
    header: Header.CONNECT,
    udpPort: 1,
    name: decodeText(bytes),
    data: zeroDataGhost(),
    model: DEFAULT_MODEL,
    map: decodeText(bigInvalid(100_000)),
    tcpOnly: false,
    color: { r: 1, g: 2, b: 3 },
    spectator: false,
  }));
  assert.equal(connect.header, Header.CONNECT);
  if (connect.header !== Header.CONNECT) return;
  const ghost = { ...connect, id: 1 };
  const reply = decodeConnectReply(encodeConnectReply({ yourId: 2, ghosts: [ghost, ghost] }));
  for (const received of reply.ghosts) {
    assert.deepStrictEqual(encodeText(received.name), bytes);
    assert.deepStrictEqual(encodeText(received.map), bigInvalid(100_000));
  }
});

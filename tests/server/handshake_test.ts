/** The handshake (docs/protocol.md §4.2) and its hardening (§7.6, §7.7). */
import assert from "node:assert/strict";
import {
  decodeConnectReply,
  encodeClientPacket,
  encodeFrame,
  FrameDecoder,
  Header,
} from "../../src/protocol/mod.ts";
import { bytesToHex, vector } from "../helpers/vectors.ts";
import { eventually, withServer } from "../helpers/harness.ts";
import type { SarClient } from "../../src/client/sar_client.ts";

/** Proves no CONNECT notification reached `client`: the next TCP packet is the PING echo. */
async function assertNoPhantom(client: SarClient): Promise<void> {
  client.send({ header: Header.PING, id: client.id });
  const next = await client.next((r) => r.via === "tcp");
  assert.equal(next.packet.header, Header.PING, `got header ${next.packet.header} before the echo`);
}

Deno.test("a connection that sends nothing is closed after handshake_timeout_ms", async () => {
  await withServer({ handshakeTimeoutMs: 1500 }, async (t) => {
    const raw = await t.raw();
    const refused = t.event("refuse");
    t.clock.advance(1499);
    assert.equal(t.server.clients().length, 0);
    t.clock.advance(1);
    const event = await refused;
    assert.equal(event.reason, "handshake_timeout");
    await raw.closed;
    assert.equal(raw.bytes().length, 0);
  });
});

Deno.test("a pending handshake stalls nobody: others connect and get bulk updates meanwhile", async () => {
  await withServer({}, async (t) => {
    const silent = await t.raw();
    const half = await t.raw();
    await half.write(vector("V1").frame.subarray(0, 40));
    const alice = await t.connect("Alice");
    t.clock.advance(50);
    await alice.nextOf(Header.UPDATE, "udp");
    const bob = await t.connect("Bob");
    assert.equal(bob.id, 2);
    t.clock.advance(1500);
    await silent.closed;
    await half.closed;
  });
});

Deno.test("a garbage first frame is closed and nobody hears of a phantom client", async () => {
  await withServer({}, async (t) => {
    const alice = await t.connect("Alice");
    await alice.ping();
    const raw = await t.raw();
    const refused = t.event("refuse");
    await raw.write(encodeFrame(new Uint8Array([0x41, 0x42, 0x43, 0x44, 0x45, 0x46])));
    assert.equal((await refused).reason, "not_connect_first");
    await raw.closed;
    assert.equal(raw.bytes().length, 0);
    await assertNoPhantom(alice);
    assert.deepEqual(t.server.clients().map((c) => c.name), ["Alice"]);
  });
});

Deno.test("a first frame that is not CONNECT is refused, though the C++ server accepted it", async () => {
  await withServer({}, async (t) => {
    const raw = await t.raw();
    const refused = t.event("refuse");
    await raw.write(vector("V5b").frame);
    assert.equal((await refused).reason, "not_connect_first");
    await raw.closed;
  });
});

Deno.test("a truncated CONNECT is refused instead of being filled with garbage", async () => {
  await withServer({}, async (t) => {
    const alice = await t.connect("Alice");
    await alice.ping();
    for (const length of [1, 10, 50, vector("V1").payload.length - 1]) {
      const raw = await t.raw();
      const refused = t.event("refuse");
      await raw.write(encodeFrame(vector("V1").payload.subarray(0, length)));
      assert.equal((await refused).reason, "truncated_packet");
      await raw.closed;
    }
    await assertNoPhantom(alice);
  });
});

Deno.test("an empty first frame is refused", async () => {
  await withServer({}, async (t) => {
    const raw = await t.raw();
    const refused = t.event("refuse");
    await raw.write(new Uint8Array(4));
    assert.equal((await refused).reason, "not_connect_first");
    await raw.closed;
  });
});

Deno.test("a first frame announcing 0xFFFFFFFF bytes is closed at once", async () => {
  await withServer({}, async (t) => {
    const raw = await t.raw();
    const refused = t.event("refuse");
    await raw.write(new Uint8Array([0xff, 0xff, 0xff, 0xff, 2]));
    assert.equal((await refused).reason, "frame_too_large");
    await raw.closed;
  });
});

Deno.test("a CONNECT split into single bytes is accepted", async () => {
  await withServer({}, async (t) => {
    const raw = await t.raw();
    const connected = t.event("connect");
    for (const byte of vector("V1").frame) await raw.write(new Uint8Array([byte]));
    assert.equal((await connected).client.name, "Alice");
    await eventually(() => raw.bytes().length >= 12);
    assert.equal(bytesToHex(raw.bytes()), "000000080000000100000000");
  });
});

Deno.test("frames coalesced with CONNECT are handled after it, in order", async () => {
  await withServer({}, async (t) => {
    const bob = await t.connect("Bob");
    await bob.ping();
    const raw = await t.raw();
    const message = encodeClientPacket({ header: Header.MESSAGE, id: 2, text: "first words" });
    await raw.write(new Uint8Array([...vector("V1").frame, ...encodeFrame(message)]));
    const joined = await bob.nextOf(Header.CONNECT, "tcp");
    assert.equal(joined.packet.id, 2);
    const said = await bob.nextOf(Header.MESSAGE, "tcp");
    assert.equal(said.packet.text, "first words");
  });
});

Deno.test("ids start at 1, are never reused, and refused attempts use none", async () => {
  await withServer({}, async (t) => {
    const one = await t.connect("One");
    const refused = t.event("refuse");
    const garbage = await t.raw();
    await garbage.write(encodeFrame(new Uint8Array([9])));
    await refused;
    const two = await t.connect("Two");
    await one.disconnect();
    const three = await t.connect("Three");
    assert.deepEqual([one.id, two.id, three.id], [1, 2, 3]);
  });
});

Deno.test("the reply comes first and lists earlier clients in order with their latest state", async () => {
  await withServer({}, async (t) => {
    const bob = await t.connect("Bob", { map: "sp_a1_intro1" });
    const carol = await t.connect("Carol", {
      spectator: true,
      tcpOnly: true,
      color: { r: 0, g: 255, b: 255 },
    });
    bob.changeMap("sp_a1_intro2");
    await bob.sendUpdate({
      position: { x: 10, y: 20, z: 30 },
      viewAngle: { x: 5, y: -45, z: 0 },
      viewOffset: 28,
      grounded: false,
    });
    await eventually(() => t.server.client(bob.id)?.data.position.x === 10);
    await bob.ping();
    const raw = await t.raw();
    await raw.write(vector("V1").frame);
    await eventually(() => raw.bytes().length > 4);
    const frames: Uint8Array[] = [];
    await eventually(() => {
      frames.length = 0;
      new FrameDecoder().push(raw.bytes(), (p) => void frames.push(p.slice()));
      return frames.length >= 1;
    });
    const reply = decodeConnectReply(frames[0]);
    assert.equal(reply.yourId, 3);
    assert.deepEqual(reply.ghosts.map((g) => [g.id, g.name, g.map, g.spectator]), [
      [1, "Bob", "sp_a1_intro2", false],
      [2, "Carol", "", true],
    ]);
    assert.deepEqual(reply.ghosts[0].data.position, { x: 10, y: 20, z: 30 });
    assert.deepEqual(reply.ghosts[1].color, { r: 0, g: 255, b: 255 });
    // The others learn of Alice with the CONNECT notification (V3 layout, no tcp_only byte).
    const notice = await carol.nextOf(Header.CONNECT, "tcp");
    assert.equal(bytesToHex(encodeFrame(notice.bytes)), bytesToHex(vector("V3").frame));
  });
});

Deno.test("duplicate and empty names are accepted, as in the C++ server", async () => {
  await withServer({}, async (t) => {
    const a = await t.connect("Same");
    const b = await t.connect("Same");
    const c = await t.connect("");
    assert.deepEqual([a.id, b.id, c.id], [1, 2, 3]);
  });
});

Deno.test("names that are not UTF-8 reach later joiners byte for byte", async () => {
  await withServer({}, async (t) => {
    // Alice's CONNECT (V1) with the name "Alice" replaced by Latin-1 "Zoë" (5a 6f eb).
    const v1 = vector("V1").payload;
    const zoe = new Uint8Array([
      ...v1.subarray(0, 3),
      0,
      0,
      0,
      3,
      0x5a,
      0x6f,
      0xeb,
      ...v1.subarray(12),
    ]);
    const first = await t.raw();
    const connected = t.event("connect");
    await first.write(encodeFrame(zoe));
    assert.equal((await connected).client.name, "Zo\udceb");
    const second = await t.raw();
    await second.write(vector("V1").frame);
    await eventually(() => second.bytes().length >= 4 + 8 + 4 + 7);
    // Reply: length, your_id, count, then the first entry: id 1 and the name's exact bytes.
    assert.equal(bytesToHex(second.bytes().subarray(12, 23)), "00000001000000035a6feb");
  });
});

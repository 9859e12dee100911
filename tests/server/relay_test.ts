/**
 * Relay targets of every packet type (docs/protocol.md §3.0), over real sockets. Absence is proven
 * without sleeping: each client's TCP stream is ordered, so when a packet that is relayed to
 * everyone arrives first, a packet sent before it was not relayed.
 */
import assert from "node:assert/strict";
import { encodeClientPacket, encodeFrame, Header, NO_SPLIT_TICKS } from "../../src/protocol/mod.ts";
import type { SarClient } from "../../src/client/sar_client.ts";
import { bytesToHex, vector } from "../helpers/vectors.ts";
import { type TestServer, withServer } from "../helpers/harness.ts";

/** The next packet this client received over TCP, skipping the loops' bulk updates and heartbeats. */
async function nextTcp(client: SarClient) {
  return await client.next((r) =>
    r.via === "tcp" && r.packet.header !== Header.UPDATE && r.packet.header !== Header.HEART_BEAT
  );
}

/** Asserts the next TCP packet is a chat line with this text (the sentinel of absence). */
async function expectMessage(client: SarClient, text: string): Promise<void> {
  const received = await nextTcp(client);
  assert.equal(
    received.packet.header,
    Header.MESSAGE,
    `expected the sentinel, got header ${received.packet.header}`,
  );
  assert.equal((received.packet as { text: string }).text, text);
}

/** Alice, Bob on sp_a1_intro1; Carol (TCP-only spectator) in the menu; Dave on sp_a1_intro2. */
async function lobby(t: TestServer) {
  const alice = await t.connect("Alice", { map: "sp_a1_intro1" });
  const bob = await t.connect("Bob", { map: "sp_a1_intro1" });
  const carol = await t.connect("Carol", { spectator: true, tcpOnly: true });
  const dave = await t.connect("Dave", { map: "sp_a1_intro2" });
  for (const client of [alice, bob, carol, dave]) {
    await client.ping();
    client.clearInbox();
  }
  return { alice, bob, carol, dave };
}

/** Sends a payload from `from` and returns what each of `to` received, as hex. */
async function relayed(from: SarClient, payload: Uint8Array, to: SarClient[]): Promise<string[]> {
  from.sendTcpPayload(payload);
  return await Promise.all(to.map(async (c) => bytesToHex((await nextTcp(c)).bytes)));
}

function withId(id: number, vectorId: string): Uint8Array {
  const payload = vector(vectorId).payload.slice();
  new DataView(payload.buffer).setUint32(1, id);
  return payload;
}

Deno.test("MESSAGE goes byte-identical to every other client, not back to the sender", async () => {
  await withServer({}, async (t) => {
    const { alice, bob, carol, dave } = await lobby(t);
    const payload = withId(alice.id, "V9a");
    const got = await relayed(alice, payload, [bob, carol, dave]);
    assert.deepEqual(got, Array(3).fill(bytesToHex(payload)));
    await alice.ping();
    assert.deepEqual(alice.inbox.filter((r) => r.via === "tcp"), []);
  });
});

Deno.test("MAP_CHANGE is stored and relayed verbatim, tick fields included, to all others", async () => {
  await withServer({}, async (t) => {
    const { alice, bob, carol, dave } = await lobby(t);
    const payload = encodeClientPacket({
      header: Header.MAP_CHANGE,
      id: carol.id,
      map: "sp_a1_intro2",
      ticks: 1234,
      ticksTotal: 5678,
    });
    const got = await relayed(carol, payload, [alice, bob, dave]);
    assert.deepEqual(got, Array(3).fill(bytesToHex(payload)));
    assert.equal(t.server.client(carol.id)?.map, "sp_a1_intro2");
    // The new map now decides who sees Carol's taunts: Dave, not Alice.
    carol.sendTcpPayload(
      encodeClientPacket({ header: Header.TAUNT, id: carol.id, animation: "wave" }),
    );
    carol.sendMessage("after");
    assert.equal((await nextTcp(dave)).packet.header, Header.TAUNT);
    await expectMessage(alice, "after");
  });
});

Deno.test("an old SAR's MAP_CHANGE without tick fields is relayed as is", async () => {
  await withServer({}, async (t) => {
    const { alice, bob } = await lobby(t);
    const payload = encodeClientPacket({
      header: Header.MAP_CHANGE,
      id: alice.id,
      map: "mp_coop_lobby_3",
    });
    assert.deepEqual(await relayed(alice, payload, [bob]), [bytesToHex(payload)]);
    assert.equal(NO_SPLIT_TICKS, 0xffffffff);
  });
});

Deno.test("SPEEDRUN_FINISH, MODEL_CHANGE and COLOR_CHANGE go to all others; model and colour are stored", async () => {
  await withServer({}, async (t) => {
    const { alice, bob, carol, dave } = await lobby(t);
    for (const id of ["V12", "V13", "V14"]) {
      const payload = withId(dave.id, id);
      assert.deepEqual(
        await relayed(dave, payload, [alice, bob, carol]),
        Array(3).fill(bytesToHex(payload)),
      );
    }
    const info = t.server.client(dave.id);
    assert.equal(info?.model, "models/props/metal_box.mdl");
    assert.deepEqual(info?.color, { r: 0x12, g: 0x34, b: 0x56 });
    const erin = await t.connect("Erin");
    const seen = erin.ghosts.find((g) => g.id === dave.id);
    assert.equal(seen?.model, "models/props/metal_box.mdl");
    assert.deepEqual(seen?.color, { r: 0x12, g: 0x34, b: 0x56 });
  });
});

Deno.test("TAUNT goes only to others on the same map", async () => {
  await withServer({}, async (t) => {
    const { alice, bob, carol, dave } = await lobby(t);
    const payload = withId(alice.id, "V15");
    alice.sendTcpPayload(payload);
    alice.sendMessage("sentinel");
    assert.equal(bytesToHex((await nextTcp(bob)).bytes), bytesToHex(payload));
    await expectMessage(bob, "sentinel");
    await expectMessage(carol, "sentinel");
    await expectMessage(dave, "sentinel");
    await alice.ping();
    assert.deepEqual(alice.inbox.filter((r) => r.via === "tcp"), []);
  });
});

Deno.test('two clients in the menu share the map ""', async () => {
  await withServer({}, async (t) => {
    const menu1 = await t.connect("Menu1");
    const menu2 = await t.connect("Menu2");
    await menu1.ping();
    const payload = encodeClientPacket({ header: Header.TAUNT, id: menu1.id, animation: "wave" });
    assert.deepEqual(await relayed(menu1, payload, [menu2]), [bytesToHex(payload)]);
  });
});

Deno.test("LOCATOR goes to the same map, at most once per 100 ms per client", async () => {
  await withServer({}, async (t) => {
    const { alice, bob, carol } = await lobby(t);
    const payload = withId(alice.id, "V16");
    const drops: string[] = [];
    t.server.on("drop", (event) => drops.push(event.reason));
    assert.deepEqual(await relayed(alice, payload, [bob]), [bytesToHex(payload)]);
    t.clock.advance(99);
    alice.sendTcpPayload(payload);
    alice.sendMessage("too soon");
    await expectMessage(bob, "too soon");
    assert.deepEqual(drops, ["locator_rate_limit"]);
    t.clock.advance(1);
    assert.deepEqual(await relayed(alice, payload, [bob]), [bytesToHex(payload)]);
    alice.sendMessage("sentinel");
    // Carol (another map) saw none of the three LOCATORs around these two lines.
    await expectMessage(carol, "too soon");
    await expectMessage(carol, "sentinel");
  });
});

Deno.test("VOICE over UDP is relayed over TCP to the same map; a bad inner length is dropped", async () => {
  await withServer({}, async (t) => {
    const { alice, bob, carol, dave } = await lobby(t);
    const voice = withId(alice.id, "V17a");
    await alice.sendUdpPayload(voice);
    const got = await bob.next((r) => r.packet.header === Header.VOICE);
    assert.equal(got.via, "tcp");
    assert.equal(bytesToHex(encodeFrame(got.bytes)), bytesToHex(withFrameId(alice.id, "V17b")));
    const dropped = t.event("drop", (e) => e.reason === "invalid_voice");
    await alice.sendUdpPayload(voice.subarray(0, voice.length - 1));
    assert.equal((await dropped).clientId, alice.id);
    alice.sendMessage("sentinel");
    await expectMessage(bob, "sentinel");
    await expectMessage(carol, "sentinel");
    await expectMessage(dave, "sentinel");
  });
});

function withFrameId(id: number, vectorId: string): Uint8Array {
  const frame = vector(vectorId).frame.slice();
  new DataView(frame.buffer).setUint32(5, id);
  return frame;
}

Deno.test("VOICE from a TCP-only client is relayed too", async () => {
  await withServer({}, async (t) => {
    const { carol } = await lobby(t);
    const menu = await t.connect("Menu");
    const payload = withId(carol.id, "V17a");
    assert.deepEqual(await relayed(carol, payload, [menu]), [bytesToHex(payload)]);
  });
});

Deno.test("PING is answered with the header byte alone, over TCP, to the sender only", async () => {
  await withServer({}, async (t) => {
    const { alice, bob } = await lobby(t);
    alice.sendTcpPayload(withId(alice.id, "V10a"));
    const echo = await nextTcp(alice);
    assert.equal(bytesToHex(encodeFrame(echo.bytes)), bytesToHex(vector("V10b").frame));
    alice.sendMessage("sentinel");
    await expectMessage(bob, "sentinel");
  });
});

Deno.test('COUNTDOWN from a client, whatever its step, gets "go" back and is not relayed', async () => {
  await withServer({}, async (t) => {
    const { alice, bob } = await lobby(t);
    alice.sendTcpPayload(encodeClientPacket({ header: Header.COUNTDOWN, id: alice.id, step: 7 }));
    const go = await nextTcp(alice);
    assert.equal(bytesToHex(encodeFrame(go.bytes)), bytesToHex(vector("V7b").frame));
    alice.sendMessage("sentinel");
    await expectMessage(bob, "sentinel");
  });
});

Deno.test("STOP_SERVER from a client is ignored", async () => {
  await withServer({}, async (t) => {
    const { alice, bob } = await lobby(t);
    const dropped = t.event("drop", (e) => e.reason === "stop_server_ignored");
    alice.sendTcpPayload(encodeClientPacket({ header: Header.STOP_SERVER, id: alice.id }));
    await dropped;
    assert.equal(t.server.running, true);
    alice.sendMessage("still here");
    await expectMessage(bob, "still here");
  });
});

Deno.test("UPDATE is stored and never relayed on its own", async () => {
  await withServer({}, async (t) => {
    const { alice, bob } = await lobby(t);
    const update = withId(alice.id, "V5a");
    alice.sendTcpPayload(update);
    alice.sendMessage("sentinel");
    await expectMessage(bob, "sentinel");
    assert.deepEqual(t.server.client(alice.id)?.data.position, { x: 1.5, y: -2, z: 3 });
    t.clock.advance(50);
    const bulk = await bob.nextOf(Header.UPDATE, "udp");
    assert.equal(bulk.packet.id, 0);
    const entry = bulk.packet.entries.find((e) => e.id === alice.id);
    assert.deepEqual(entry?.data.viewAngle, { x: 0, y: 90, z: 0 });
  });
});

Deno.test("relays keep unknown trailing bytes: the original payload is forwarded", async () => {
  await withServer({}, async (t) => {
    const { alice, bob } = await lobby(t);
    const payload = new Uint8Array([...withId(alice.id, "V9a"), 0xaa, 0xbb]);
    assert.deepEqual(await relayed(alice, payload, [bob]), [bytesToHex(payload)]);
  });
});

Deno.test("an unknown header is ignored and the sender stays connected", async () => {
  await withServer({}, async (t) => {
    const { alice, bob } = await lobby(t);
    const dropped = t.event("drop", (e) => e.reason === "unknown_header");
    alice.sendTcpPayload(new Uint8Array([16, 0, 0, 0, alice.id, 1, 2, 3]));
    assert.equal((await dropped).header, 16);
    alice.sendMessage("still here");
    await expectMessage(bob, "still here");
  });
});

Deno.test("DISCONNECT removes the sender and tells every other client", async () => {
  await withServer({}, async (t) => {
    const { alice, bob, carol, dave } = await lobby(t);
    const gone = t.event("disconnect");
    await alice.disconnect();
    const event = await gone;
    assert.equal(event.reason, "client_disconnect");
    for (const client of [bob, carol, dave]) {
      const packet = await nextTcp(client);
      assert.equal(bytesToHex(encodeFrame(packet.bytes)), bytesToHex(withFrameId(alice.id, "V18")));
    }
    assert.deepEqual(t.server.clients().map((c) => c.name), ["Bob", "Carol", "Dave"]);
  });
});

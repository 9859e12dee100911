/**
 * Bulk UPDATE options: MTU-safe splitting (`max_datagram_bytes`), interest scope
 * (`bulk_scope`), and the batched UDP backend (`udp_backend = "mmsg"`, chosen by "auto", with
 * UDP GSO).
 */
import assert from "node:assert/strict";
import { Header, zeroDataGhost } from "../../src/protocol/mod.ts";
import type { SarClient } from "../../src/client/sar_client.ts";
import { UDP_RECEIVE_INTERVAL_MS } from "../../src/server/loops.ts";
import { eventually, withServer } from "../helpers/harness.ts";

/** Every bulk UPDATE datagram this client received, as [count, ids]. */
function udpBulks(client: SarClient): { bytes: number; ids: number[] }[] {
  return client.inbox
    .filter((r) => r.via === "udp" && r.packet.header === Header.UPDATE)
    .map((r) => ({
      bytes: r.bytes.length,
      ids: (r.packet as { entries: { id: number }[] }).entries.map((e) => e.id),
    }));
}

Deno.test("a bulk UPDATE over max_datagram_bytes is split into valid datagrams of whole entries", async () => {
  // 9 + 3 × 29 = 96 bytes: three entries per datagram.
  await withServer({ maxDatagramBytes: 96 }, async (t) => {
    const clients: SarClient[] = [];
    for (let i = 0; i < 6; i++) clients.push(await t.connect(`P${i}`));
    const tcpOnly = await t.connect("T", { tcpOnly: true });
    for (const client of clients) await client.ping();
    clients[0].clearInbox();
    t.clock.advance(50);
    const frame = await tcpOnly.nextOf(Header.UPDATE, "tcp");
    assert.deepEqual(frame.packet.entries.map((e) => e.id), [1, 2, 3, 4, 5, 6, 7]);
    await eventually(() => udpBulks(clients[0]).length === 3);
    assert.deepEqual(udpBulks(clients[0]), [
      { bytes: 96, ids: [1, 2, 3] },
      { bytes: 96, ids: [4, 5, 6] },
      { bytes: 38, ids: [7] },
    ]);
  });
});

Deno.test("max_datagram_bytes = 0 sends one datagram whatever its size, like the C++ server", async () => {
  await withServer({ maxDatagramBytes: 0 }, async (t) => {
    const clients: SarClient[] = [];
    for (let i = 0; i < 45; i++) clients.push(await t.connect(`P${i}`));
    t.clock.advance(50);
    const bulk = await clients[0].nextOf(Header.UPDATE, "udp");
    assert.equal(bulk.bytes.length, 9 + 45 * 29);
    assert.equal(bulk.packet.entries.length, 45);
  });
});

Deno.test("the default 1200 bytes keeps 41 entries per datagram", async () => {
  await withServer({}, async (t) => {
    const clients: SarClient[] = [];
    for (let i = 0; i < 42; i++) clients.push(await t.connect(`P${i}`));
    clients[0].clearInbox();
    t.clock.advance(50);
    await eventually(() => udpBulks(clients[0]).length === 2);
    assert.deepEqual(udpBulks(clients[0]).map((d) => [d.bytes, d.ids.length]), [[1198, 41], [
      38,
      1,
    ]]);
  });
});

Deno.test("bulk_scope = same_map: each client gets only the positions on its map", async () => {
  await withServer({ bulkScope: "same_map" }, async (t) => {
    const a1 = await t.connect("A1", { map: "sp_a1_intro1" });
    const b1 = await t.connect("B1", { map: "sp_a1_intro2" });
    const a2 = await t.connect("A2", { map: "sp_a1_intro1", tcpOnly: true });
    const menu = await t.connect("Menu");
    t.clock.advance(50);
    assert.deepEqual((await a1.nextOf(Header.UPDATE, "udp")).packet.entries.map((e) => e.id), [
      1,
      3,
    ]);
    assert.deepEqual((await a2.nextOf(Header.UPDATE, "tcp")).packet.entries.map((e) => e.id), [
      1,
      3,
    ]);
    assert.deepEqual((await b1.nextOf(Header.UPDATE, "udp")).packet.entries.map((e) => e.id), [2]);
    assert.deepEqual((await menu.nextOf(Header.UPDATE, "udp")).packet.entries.map((e) => e.id), [
      4,
    ]);
    // Following a MAP_CHANGE, the client moves to the other group.
    b1.changeMap("sp_a1_intro1");
    await b1.ping();
    t.clock.advance(50);
    assert.deepEqual((await a1.nextOf(Header.UPDATE, "udp")).packet.entries.map((e) => e.id), [
      1,
      2,
      3,
    ]);
  });
});

Deno.test("mmsg backend: datagrams are read right before the tick, so this tick carries them", async () => {
  await withServer({ udpBackend: "mmsg" }, async (t) => {
    assert.equal(t.server.udpBackend, "mmsg");
    const alice = await t.connect("Alice");
    const bob = await t.connect("Bob");
    const carol = await t.connect("Carol", { tcpOnly: true });
    await alice.sendUpdate({ ...zeroDataGhost(), position: { x: 7, y: 8, z: 9 } });
    // This backend reads UDP only when the clock says so: the datagram waits in the socket…
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(t.server.client(alice.id)?.data.position.x, 0);
    // …and the tick drains it before encoding, so everyone sees it in this very update.
    t.clock.advance(50);
    for (const [client, via] of [[bob, "udp"], [carol, "tcp"], [alice, "udp"]] as const) {
      const bulk = await client.nextOf(Header.UPDATE, via);
      assert.deepEqual(bulk.packet.entries[0].data.position, { x: 7, y: 8, z: 9 });
    }
    t.clock.advance(1000);
    await bob.nextOf(Header.HEART_BEAT, "udp");
  });
});

Deno.test("mmsg backend: datagrams are also read every 10 ms between ticks, so a flood cannot fill the socket", async () => {
  await withServer({ udpBackend: "mmsg" }, async (t) => {
    const alice = await t.connect("Alice");
    const bob = await t.connect("Bob");
    t.clock.advance(50);
    await bob.nextOf(Header.UPDATE, "udp");
    bob.clearInbox();
    await alice.sendUpdate({ ...zeroDataGhost(), position: { x: 7, y: 8, z: 9 } });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(t.server.client(alice.id)?.data.position.x, 0);
    t.clock.advance(UDP_RECEIVE_INTERVAL_MS - 1);
    assert.equal(t.server.client(alice.id)?.data.position.x, 0);
    t.clock.advance(1);
    assert.deepEqual(t.server.client(alice.id)?.data.position, { x: 7, y: 8, z: 9 });
    // Read, not relayed: positions still go out with the next bulk update only.
    assert.equal(bob.inbox.filter((r) => r.packet.header === Header.UPDATE).length, 0);
  });
});

Deno.test({
  name: "udp_backend = auto: batched with GSO on Linux; split updates arrive as the same datagrams",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await withServer({ udpBackend: "auto", maxDatagramBytes: 96 }, async (t) => {
      assert.equal(t.server.udpBackend, "mmsg");
      assert.match(t.server.udpBackendReason ?? "", /^auto: .*; UDP GSO on$/);
      const clients: SarClient[] = [];
      for (let i = 0; i < 6; i++) clients.push(await t.connect(`P${i}`));
      await t.connect("T", { tcpOnly: true });
      for (const client of clients) client.clearInbox();
      t.clock.advance(50);
      for (const client of clients) {
        await eventually(() => udpBulks(client).length === 3);
        assert.deepEqual(udpBulks(client), [
          { bytes: 96, ids: [1, 2, 3] },
          { bytes: 96, ids: [4, 5, 6] },
          { bytes: 38, ids: [7] },
        ]);
      }
    });
  },
});

Deno.test("udp_gso = false keeps the batched backend and says GSO is off", {
  ignore: Deno.build.os !== "linux",
}, async () => {
  await withServer({ udpBackend: "mmsg", udpGso: false }, (t) => {
    assert.equal(t.server.udpBackend, "mmsg");
    assert.equal(
      t.server.udpBackendReason,
      "configured; UDP GSO off: turned off by the configuration",
    );
  });
});

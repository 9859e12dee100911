/**
 * Acceptance rules (docs/protocol.md §4.2) and how refusals look to SAR, with and without
 * `explain_refusals`.
 */
import assert from "node:assert/strict";
import {
  decodeConnectReply,
  decodeServerPacket,
  encodeFrame,
  FrameDecoder,
  Header,
} from "../../src/protocol/mod.ts";
import { ConnectionRefusedError } from "../../src/client/sar_client.ts";
import { vector } from "../helpers/vectors.ts";
import { type RawConnection, type TestServer, withServer } from "../helpers/harness.ts";

function frames(raw: RawConnection): Uint8Array[] {
  const out: Uint8Array[] = [];
  new FrameDecoder().push(raw.bytes(), (payload) => void out.push(payload.slice()));
  return out;
}

/** Sends Alice's CONNECT (V1) from `address` and returns what came back before the close. */
async function attempt(t: TestServer, address: string): Promise<Uint8Array[]> {
  const raw = await t.raw(address);
  await raw.write(vector("V1").frame);
  await raw.closed;
  return frames(raw);
}

/** The explained refusal: an empty reply (id 0, no ghosts), then the reason as server chat. */
function assertExplained(received: Uint8Array[], pattern: RegExp): void {
  assert.equal(received.length, 2, `expected reply and message, got ${received.length} frames`);
  assert.deepEqual(decodeConnectReply(received[0]), { yourId: 0, ghosts: [] });
  const message = decodeServerPacket(received[1]);
  assert.equal(message.header, Header.MESSAGE);
  assert.equal((message as { id: number }).id, 0);
  assert.match((message as { text: string }).text, pattern);
}

Deno.test("one connection per IP: a second one is refused and told why", async () => {
  await withServer({}, async (t) => {
    const address = t.nextAddress();
    await t.connect("Alice", { localAddress: address });
    const refused = t.event("refuse");
    assertExplained(await attempt(t, address), /already connected/);
    assert.equal((await refused).reason, "same_ip");
    assert.equal(t.server.clients().length, 1);
  });
});

Deno.test("with explain_refusals off a refusal is a silent close, as in the C++ server", async () => {
  await withServer({ explainRefusals: false }, async (t) => {
    const address = t.nextAddress();
    await t.connect("Alice", { localAddress: address });
    const refused = t.event("refuse");
    assert.deepEqual(await attempt(t, address), []);
    assert.equal((await refused).reason, "same_ip");
    t.server.setAccepting({ players: false });
    assert.deepEqual(await attempt(t, t.nextAddress()), []);
  });
});

Deno.test("one_connection_per_ip = false lets players behind one address play together", async () => {
  await withServer({ oneConnectionPerIp: false }, async (t) => {
    const address = t.nextAddress();
    const a = await t.connect("A", { localAddress: address });
    const b = await t.connect("B", { localAddress: address });
    assert.deepEqual([a.id, b.id], [1, 2]);
    // Disconnecting one never takes the other along (the C++ server disconnects by IP).
    await a.disconnect();
    assert.equal((await b.nextOf(Header.DISCONNECT, "tcp")).packet.id, a.id);
    await b.ping();
    assert.deepEqual(t.server.clients().map((c) => c.name), ["B"]);
  });
});

Deno.test("SAR sees a refusal as an error it can show", async () => {
  await withServer({}, async (t) => {
    t.server.setAccepting({ players: false });
    await assert.rejects(t.connect("Alice"), ConnectionRefusedError);
  });
});

Deno.test("refusing players still admits spectators, and the other way round", async () => {
  await withServer({}, async (t) => {
    t.server.setAccepting({ players: false });
    const refused = t.event("refuse");
    assertExplained(await attempt(t, t.nextAddress()), /not accepting new players/);
    assert.equal((await refused).reason, "refused_players");
    const spectator = await t.connect("Watcher", { spectator: true });
    assert.equal(spectator.id, 1);
    t.server.setAccepting({ players: true, spectators: false });
    await assert.rejects(t.connect("Watcher2", { spectator: true }), ConnectionRefusedError);
    const player = await t.connect("Player");
    assert.equal(player.id, 2);
    assert.deepEqual(t.server.accepting(), { players: true, spectators: false });
  });
});

Deno.test("ban by id: the player is told, the others see DISCONNECT, the IP stays out until unbanned", async () => {
  await withServer({}, async (t) => {
    const address = t.nextAddress();
    const alice = await t.connect("Alice");
    const mallory = await t.connect("Mallory", { localAddress: address });
    await alice.nextOf(Header.CONNECT, "tcp");
    const result = t.server.ban({ id: mallory.id });
    assert.deepEqual(result.ips, [address]);
    assert.deepEqual(result.kicked.map((c) => c.name), ["Mallory"]);
    assert.match((await mallory.nextOf(Header.MESSAGE, "tcp")).packet.text, /banned/);
    await mallory.closed;
    assert.equal((await alice.nextOf(Header.DISCONNECT, "tcp")).packet.id, mallory.id);
    assert.deepEqual(t.server.bannedIps(), [address]);
    const refused = t.event("refuse");
    assertExplained(await attempt(t, address), /banned/);
    assert.equal((await refused).reason, "banned");
    assert.equal(t.server.unban(address), true);
    assert.equal(t.server.unban(address), false);
    const back = await t.connect("Mallory", { localAddress: address });
    assert.equal(back.id, 3);
  });
});

Deno.test("ban by IP works for nobody connected, and rejects what is not an IP", async () => {
  await withServer({}, async (t) => {
    const address = t.nextAddress();
    assert.deepEqual(t.server.ban({ ip: address }), { ips: [address], kicked: [] });
    assert.deepEqual(t.server.ban({ ip: address }).ips, []);
    await assert.rejects(t.connect("Alice", { localAddress: address }), ConnectionRefusedError);
    assert.throws(() => t.server.ban({ ip: "example.com" }), TypeError);
    assert.throws(() => t.server.unban("300.1.1.1"), TypeError);
  });
});

Deno.test("kick by name removes every client with that exact name, by IP every client there", async () => {
  await withServer({ oneConnectionPerIp: false }, async (t) => {
    const shared = t.nextAddress();
    await t.connect("Twin");
    await t.connect("Twin");
    await t.connect("twin");
    await t.connect("Other", { localAddress: shared });
    await t.connect("Another", { localAddress: shared });
    assert.deepEqual(t.server.kick({ name: "Twin" }).map((c) => c.id), [1, 2]);
    assert.deepEqual(t.server.kick({ ip: shared }).map((c) => c.name), ["Other", "Another"]);
    assert.deepEqual(t.server.kick({ id: 99 }), []);
    assert.deepEqual(t.server.clients().map((c) => c.name), ["twin"]);
    assert.throws(() => t.server.kick({ id: 1.5 }), TypeError);
  });
});

Deno.test("kick with explain_refusals: the player reads the reason, then the connection closes", async () => {
  await withServer({}, async (t) => {
    const alice = await t.connect("Alice");
    t.server.kick({ id: alice.id }, "Take a break\n");
    const message = await alice.nextOf(Header.MESSAGE, "tcp");
    assert.equal(message.packet.text, "Take a break");
    await alice.closed;
  });
});

Deno.test("whitelist: names match case-insensitively, IPs exactly; an empty enabled list admits nobody", async () => {
  await withServer({}, async (t) => {
    t.server.setWhitelistEnabled(true);
    const refused = t.event("refuse");
    await assert.rejects(t.connect("Alice"), ConnectionRefusedError);
    assert.equal((await refused).reason, "not_whitelisted");
    assert.equal(t.server.whitelistAdd({ name: "ALICE" }), true);
    assert.equal(t.server.whitelistAdd({ name: "alice" }), false);
    const alice = await t.connect("alice");
    const address = t.nextAddress();
    t.server.whitelistAdd({ ip: address });
    const byIp = await t.connect("Zed", { localAddress: address });
    assert.deepEqual([alice.id, byIp.id], [1, 2]);
    // A name that looks like an IP is a name, not an IP entry (docs/protocol.md §7.14).
    t.server.whitelistAdd({ name: "127.0.0.99" });
    await assert.rejects(t.connect("Eve", { localAddress: "127.0.0.99" }), ConnectionRefusedError);
    assert.deepEqual(t.server.whitelist(), {
      enabled: true,
      names: ["ALICE", "127.0.0.99"],
      ips: [address],
    });
    assert.equal(t.server.whitelistRemove({ name: "Alice" }), true);
    assert.throws(() => t.server.whitelistAdd({ ip: "nope" }), TypeError);
  });
});

Deno.test("kicking everyone off the whitelist spares no one, even neighbours in the list (§7.13)", async () => {
  await withServer({}, async (t) => {
    const names = ["In1", "Out1", "Out2", "In2", "Out3"];
    for (const name of names) await t.connect(name);
    t.server.whitelistAdd({ name: "In1" });
    t.server.whitelistAdd({ name: "In2" });
    t.server.setWhitelistEnabled(true);
    assert.equal(t.server.clients().length, 5, "enabling does not kick");
    const kicked = t.server.kickNotWhitelisted();
    assert.deepEqual(kicked.map((c) => c.name), ["Out1", "Out2", "Out3"]);
    assert.deepEqual(t.server.clients().map((c) => c.name), ["In1", "In2"]);
    assert.equal(encodeFrame(new Uint8Array()).length, 4);
  });
});

import assert from "node:assert/strict";
import { Header } from "../../src/protocol/mod.ts";
import { withServer } from "../helpers/harness.ts";

Deno.test("two clients: reply, notification, chat relay, bulk update", async () => {
  await withServer({}, async (t) => {
    const alice = await t.connect("Alice", { map: "sp_a1_intro1" });
    assert.equal(alice.id, 1);
    assert.deepEqual(alice.ghosts, []);
    const bob = await t.connect("Bob");
    assert.equal(bob.id, 2);
    assert.deepEqual(bob.ghosts.map((g) => [g.id, g.name, g.map]), [[1, "Alice", "sp_a1_intro1"]]);
    const joined = await alice.nextOf(Header.CONNECT, "tcp");
    assert.equal(joined.packet.name, "Bob");
    bob.sendMessage("hi");
    const message = await alice.nextOf(Header.MESSAGE);
    assert.equal(message.packet.text, "hi");
    t.clock.advance(50);
    const bulk = await bob.nextOf(Header.UPDATE, "udp");
    assert.deepEqual(bulk.packet.entries.map((e) => e.id), [1, 2]);
  });
});

Deno.test("a client's unread inbox is bounded", async () => {
  await withServer({}, async (t) => {
    const alice = await t.connect("Alice", { inboxLimit: 3 });
    for (let tick = 0; tick < 10; tick++) t.clock.advance(50);
    await alice.ping();
    await new Promise((resolve) => setTimeout(resolve, 20)); // let the datagrams land
    assert.ok(alice.inbox.length <= 3, `${alice.inbox.length} packets kept`);
  });
});

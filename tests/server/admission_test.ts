/**
 * Fair admission over real sockets: per-address caps on handshakes in progress and on new
 * connections per second, and the global cap on pending handshakes, which closes the oldest.
 */
import assert from "node:assert/strict";
import { withServer } from "../helpers/harness.ts";

Deno.test("more handshakes in progress from one address than handshakes_per_ip are refused at once", async () => {
  await withServer({ limits: { handshakes_per_ip: 2 } }, async (t) => {
    const address = t.nextAddress();
    const silent = [await t.raw(address), await t.raw(address)];
    const refused = t.event("refuse");
    const third = await t.raw(address);
    const event = await refused;
    assert.equal(event.reason, "handshakes_per_ip");
    assert.equal(event.ip, address);
    await third.closed;
    assert.equal(third.bytes().length, 0);
    // Other addresses are not affected.
    const alice = await t.connect("Alice");
    assert.equal(alice.id, 1);
    // Once the silent ones time out, the address may connect again.
    const timedOut = t.event("refuse", (e) => e.reason === "handshake_timeout");
    t.clock.advance(1500);
    await timedOut;
    await Promise.all(silent.map((raw) => raw.closed));
    const bob = await t.connect("Bob", { localAddress: address });
    assert.equal(t.server.client(bob.id)?.ip, address);
  });
});

Deno.test("new connections from one address beyond its rate are refused with connection_rate", async () => {
  const limits = { connections_per_ip_rate: 1, connections_per_ip_burst: 2 };
  await withServer({ limits }, async (t) => {
    const address = t.nextAddress();
    await t.raw(address);
    await t.raw(address);
    const refused = t.event("refuse");
    const third = await t.raw(address);
    assert.equal((await refused).reason, "connection_rate");
    await third.closed;
    t.clock.advance(999);
    const again = t.event("refuse");
    const fourth = await t.raw(address);
    assert.equal((await again).reason, "connection_rate");
    await fourth.closed;
    t.clock.advance(2); // one connection's worth, before the handshake timeout of the first two
    const alice = await t.connect("Alice", { localAddress: address });
    assert.equal(t.server.client(alice.id)?.ip, address);
  });
});

Deno.test("at max_pending_handshakes the oldest pending handshake makes room for a newcomer", async () => {
  await withServer({ limits: { max_pending_handshakes: 2 } }, async (t) => {
    const [first, second] = [t.nextAddress(), t.nextAddress()];
    const oldest = await t.raw(first);
    const younger = await t.raw(second);
    const refused = t.event("refuse");
    const alice = await t.connect("Alice");
    const event = await refused;
    assert.equal(event.reason, "server_busy");
    assert.equal(event.ip, first);
    await oldest.closed;
    assert.equal(t.server.client(alice.id)?.name, "Alice");
    // The younger one is still waiting for its CONNECT.
    const timedOut = t.event("refuse");
    t.clock.advance(1500);
    const timeout = await timedOut;
    assert.equal(timeout.reason, "handshake_timeout");
    assert.equal(timeout.ip, second);
    await younger.closed;
  });
});

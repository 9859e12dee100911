/**
 * Fair admission over real sockets: per-address caps on handshakes in progress and on new
 * connections per second, and the global cap on pending handshakes, which closes the oldest.
 */
import assert from "node:assert/strict";
import { EXPIRE_BATCH, networkOf } from "../../src/server/admission.ts";
import { eventually, withServer } from "../helpers/harness.ts";

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

Deno.test("at max_pending_handshakes the busiest network makes room, not the oldest newcomer", async () => {
  await withServer({ limits: { max_pending_handshakes: 3 } }, async (t) => {
    // A slow newcomer from one network, then a flood from another.
    const newcomer = await t.raw("127.0.7.1");
    await t.raw("127.0.8.1");
    await t.raw("127.0.8.2");
    const refused = t.event("refuse");
    await t.raw("127.0.8.3");
    const event = await refused;
    assert.equal(event.reason, "server_busy");
    assert.equal(event.ip, "127.0.8.1");
    // The newcomer, oldest of all, is still waiting for its CONNECT.
    const timedOut = t.event("refuse", (e) => e.ip === "127.0.7.1");
    t.clock.advance(1500);
    assert.equal((await timedOut).reason, "handshake_timeout");
    await newcomer.closed;
  });
});

Deno.test("networks for fairness are IPv4 /24 and IPv6 /48", () => {
  assert.equal(networkOf("127.50.3.9"), "127.50.3");
  assert.equal(networkOf("2001:db8:1:2::5"), "2001:db8:1");
  assert.equal(networkOf("2001:db8::1"), "2001:db8:0");
  assert.equal(networkOf("::1"), "0:0:0");
  assert.equal(networkOf("fe80:1:2:3:4:5:6:7"), "fe80:1:2");
});

Deno.test("pending handshakes share one timer and all time out on time, batch after batch", async () => {
  await withServer({}, async (t) => {
    const timersBefore = t.clock.pendingTimers;
    const count = EXPIRE_BATCH * 2 + 3;
    const silent = [];
    for (let i = 0; i < count; i++) silent.push(await t.raw());
    // Accepted in order: once Alice is in, every silent connection is a pending handshake.
    const alice = await t.connect("Alice");
    assert.ok(
      t.clock.pendingTimers <= timersBefore + 1,
      `${t.clock.pendingTimers - timersBefore} timers for ${count} pending handshakes`,
    );
    let timedOut = 0;
    const off = t.server.on("refuse", (e) => {
      if (e.reason === "handshake_timeout") timedOut++;
    });
    try {
      t.clock.advance(1499);
      assert.equal(timedOut, 0);
      t.clock.advance(1);
      await eventually(() => timedOut === count);
      await Promise.all(silent.map((raw) => raw.closed));
      assert.equal(t.server.client(alice.id)?.name, "Alice");
      assert.equal(t.clock.pendingTimers, timersBefore);
    } finally {
      off();
    }
  });
});

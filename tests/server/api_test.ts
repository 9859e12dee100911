/** The public server API: lifecycle, client list, server chat, events. */
import assert from "node:assert/strict";
import { encodeFrame, Header } from "../../src/protocol/mod.ts";
import { GhostServer, ListenError, ManualClock } from "../../mod.ts";
import { bytesToHex, vector } from "../helpers/vectors.ts";
import { eventually, withServer } from "../helpers/harness.ts";

Deno.test("stop sends STOP_SERVER to every client, closes every socket and resolves", async () => {
  const clock = new ManualClock();
  const server = new GhostServer({ hostname: "127.0.0.1", port: 0, clock });
  await server.start();
  const { SarClient } = await import("../../src/client/sar_client.ts");
  const alice = await SarClient.connect({
    port: server.port,
    name: "Alice",
    localAddress: "127.0.0.2",
  });
  const bob = await SarClient.connect({
    port: server.port,
    name: "Bob",
    localAddress: "127.0.0.3",
    tcpOnly: true,
  });
  const reasons: string[] = [];
  server.on("disconnect", (e) => reasons.push(e.reason));
  const stopped = server.once("stop");
  const stopping = server.stop();
  for (const client of [alice, bob]) {
    const packet = await client.nextOf(Header.STOP_SERVER, "tcp");
    assert.equal(bytesToHex(encodeFrame(packet.bytes)), bytesToHex(vector("V19").frame));
  }
  await stopping;
  await stopped;
  await alice.closed;
  await bob.closed;
  await alice.close();
  await bob.close();
  assert.deepEqual(reasons, ["server_stop", "server_stop"]);
  assert.equal(server.running, false);
  await server.stop(); // idempotent
});

Deno.test("a server cannot start twice, and a busy port is reported as such", async () => {
  await withServer({}, async (t) => {
    await assert.rejects(t.server.start(), /only be started once/);
    const second = new GhostServer({ hostname: "127.0.0.1", port: t.port });
    await assert.rejects(second.start(), (error) => {
      assert.ok(error instanceof ListenError);
      assert.match(error.message, new RegExp(`Port ${t.port} is already in use`));
      return true;
    });
  });
});

Deno.test("constructor rejects a port out of range", () => {
  assert.throws(() => new GhostServer({ port: 65536 }), RangeError);
  assert.throws(() => new GhostServer({ port: -1 }), RangeError);
});

Deno.test("sendMessage reaches every client as server chat (id 0)", async () => {
  await withServer({}, async (t) => {
    const alice = await t.connect("Alice");
    const carol = await t.connect("Carol", { tcpOnly: true });
    const said = t.event("serverMessage");
    t.server.sendMessage("Server restarting\n");
    assert.equal((await said).text, "Server restarting");
    for (const client of [alice, carol]) {
      const message = await client.nextOf(Header.MESSAGE, "tcp");
      assert.equal(bytesToHex(encodeFrame(message.bytes)), bytesToHex(vector("V9b").frame));
    }
  });
});

Deno.test("clients() lists connected clients in order with their state", async () => {
  await withServer({}, async (t) => {
    const alice = await t.connect("Alice", { map: "sp_a1_intro1", color: { r: 1, g: 2, b: 3 } });
    await t.connect("Carol", { spectator: true, tcpOnly: true });
    const [first, second] = t.server.clients();
    assert.equal(first.id, alice.id);
    assert.equal(first.ip, "127.0.0.2");
    assert.equal(first.udpPort, alice.udpPort);
    assert.equal(first.map, "sp_a1_intro1");
    assert.deepEqual(first.color, { r: 1, g: 2, b: 3 });
    assert.equal(first.spectator, false);
    assert.equal(second.tcpOnly, true);
    assert.equal(second.spectator, true);
    assert.ok(first.connectedAt instanceof Date);
    assert.equal(t.server.client(99), undefined);
  });
});

Deno.test("events carry what clients did, and a failing listener harms nobody", async () => {
  await withServer({}, async (t) => {
    const alice = await t.connect("Alice", { map: "sp_a1_intro1" });
    const bob = await t.connect("Bob", { map: "sp_a1_intro1" });
    t.server.on("message", () => {
      throw new Error("a broken plugin");
    });
    const seen: string[] = [];
    const off = t.server.on("message", (e) => seen.push(`${e.client.name}: ${e.text}`));
    const mapChange = t.event("mapChange");
    const finish = t.event("speedrunFinish");
    const model = t.event("modelChange");
    const color = t.event("colorChange");
    const taunt = t.event("taunt");
    const locator = t.event("locator");
    alice.sendMessage("hello");
    alice.changeMap("sp_a1_intro2", 10, 20);
    alice.send({ header: Header.SPEEDRUN_FINISH, id: alice.id, time: "1:23.456" });
    alice.send({ header: Header.MODEL_CHANGE, id: alice.id, model: "models/props/metal_box.mdl" });
    alice.send({ header: Header.COLOR_CHANGE, id: alice.id, color: { r: 9, g: 8, b: 7 } });
    alice.send({ header: Header.TAUNT, id: alice.id, animation: "wave" });
    alice.send({
      header: Header.LOCATOR,
      id: alice.id,
      position: { x: 1, y: 2, z: 3 },
      normal: { x: 0, y: 0, z: 1 },
    });
    assert.deepEqual(
      {
        map: (await mapChange).map,
        ticks: (await mapChange).ticks,
        total: (await mapChange).ticksTotal,
      },
      { map: "sp_a1_intro2", ticks: 10, total: 20 },
    );
    assert.equal((await finish).time, "1:23.456");
    assert.equal((await model).model, "models/props/metal_box.mdl");
    assert.deepEqual((await color).color, { r: 9, g: 8, b: 7 });
    assert.equal((await taunt).animation, "wave");
    assert.deepEqual((await locator).position, { x: 1, y: 2, z: 3 });
    assert.deepEqual(seen, ["Alice: hello"]);
    off();
    alice.sendMessage("again");
    assert.equal((await bob.nextOf(Header.MESSAGE, "tcp")).packet.text, "hello");
    assert.equal((await bob.nextOf(Header.MESSAGE, "tcp")).packet.text, "again");
    assert.deepEqual(seen, ["Alice: hello"]);
  });
});

Deno.test("connect and disconnect events bracket a client's life", async () => {
  await withServer({}, async (t) => {
    const connected = t.event("connect");
    const alice = await t.connect("Alice");
    assert.equal((await connected).client.name, "Alice");
    const left = t.event("disconnect");
    await alice.close(); // a plain close, no DISCONNECT packet
    const event = await left;
    assert.equal(event.client.id, alice.id);
    assert.equal(event.reason, "connection_closed");
  });
});

Deno.test("stop completes while a connection is still in its handshake", async () => {
  const server = new GhostServer({ hostname: "127.0.0.1", port: 0, clock: new ManualClock() });
  await server.start();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  await conn.write(vector("V1").frame.subarray(0, 10)); // half a CONNECT: still handshaking
  const stopped = await Promise.race([
    server.stop().then(() => "stopped"),
    new Promise((resolve) => setTimeout(resolve, 3000, "hung")),
  ]);
  assert.equal(stopped, "stopped");
  assert.equal(await conn.read(new Uint8Array(8)), null);
  conn.close();
});

Deno.test("options obey the limits of config.toml, with RangeError or TypeError", () => {
  assert.throws(() => new GhostServer({ maxFrameBytes: 0 }), /maxFrameBytes must be from 64/);
  assert.throws(() => new GhostServer({ maxWriteQueueBytes: NaN }), RangeError);
  assert.throws(
    () => new GhostServer({ maxDatagramBytes: 10 }),
    /maxDatagramBytes must be 0 or at least 38/,
  );
  assert.throws(() => new GhostServer({ udpBackend: "fast" as "mmsg" }), RangeError);
  assert.throws(() => new GhostServer({ hostname: 5 as unknown as string }), TypeError);
  assert.throws(() => new GhostServer({ explainRefusals: "yes" as unknown as boolean }), TypeError);
  assert.throws(
    () => new GhostServer({ udpGso: "yes" as unknown as boolean }),
    /udpGso must be true or false/,
  );
  assert.throws(() => new GhostServer({ closeGraceMs: -1 }), RangeError);
  assert.throws(
    () => new GhostServer({ countdown: { delay: 99 } }),
    /Countdown delay must be an integer from 0 to 60/,
  );
});

Deno.test("stop reports connections it closes mid-handshake as refused (server_stopping)", async () => {
  const clock = new ManualClock();
  const server = new GhostServer({ hostname: "127.0.0.1", port: 0, clock });
  await server.start();
  const timers = clock.pendingTimers;
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  await conn.write(vector("V1").frame.subarray(0, 10));
  const refused = server.once("refuse");
  // Accepting a connection starts its handshake timer: then the handshake is under way.
  await eventually(() => clock.pendingTimers === timers + 1);
  await server.stop();
  assert.equal((await refused).reason, "server_stopping");
  conn.close();
});

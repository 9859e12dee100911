import assert from "node:assert/strict";
import { Header } from "../../src/protocol/mod.ts";
import { LIVE_CLOSE } from "../../src/http/mod.ts";
import {
  LIVE_HEARTBEAT_MS,
  LIVE_MAX_BUFFERED_BYTES,
  LIVE_MAX_MESSAGE_CHARS,
  LIVE_MAX_SOCKETS,
} from "../../src/http/live.ts";
import { ADMIN, READ, StalledViewer, withHttp } from "./helpers.ts";

type Message = Record<string, unknown>;

Deno.test("live: a bad token gets an error and close 4401; other messages before hello too", async () => {
  await withHttp({}, async (t) => {
    const bad = await t.live();
    bad.send({ type: "hello", token: "not-the-token-0123" });
    assert.deepEqual(await bad.next((m) => m.type === "error"), {
      type: "error",
      error: "Bad or missing token",
    });
    assert.equal((await bad.closed).code, LIVE_CLOSE.unauthorized);
    const early = await t.live();
    early.send({ type: "refresh" });
    await early.next((m) => m.type === "error");
    assert.equal((await early.closed).code, LIVE_CLOSE.unauthorized);
    const silent = await t.live();
    t.clock.advance(5000);
    assert.equal((await silent.closed).code, LIVE_CLOSE.unauthorized, "no hello within 5 s");
    assert.equal(t.http.viewers, 0);
  });
});

Deno.test("live: bad hellos count towards the IP lockout", async () => {
  await withHttp({}, async (t) => {
    for (let i = 0; i < 10; i++) {
      const viewer = await t.live();
      viewer.send({ type: "hello", token: `wrong-${i}` });
      const { code } = await viewer.closed;
      assert.equal(code, i < 9 ? LIVE_CLOSE.unauthorized : LIVE_CLOSE.lockedOut);
    }
    await assert.rejects(t.live(), /WebSocket failed/, "the upgrade of a locked-out IP is refused");
    const status = await t.request("GET", "/api/v1/live", { headers: { upgrade: "websocket" } });
    assert.equal(status.status, 429);
  });
});

Deno.test("live: ok, then a snapshot of settings and clients with map, model, colour, spectator, TCP-only", async () => {
  await withHttp({}, async (t) => {
    await t.connect("Alice", { map: "sp_a1_intro1", color: { r: 255, g: 0, b: 128 } });
    await t.connect("Spec", { spectator: true, tcpOnly: true, model: "models/custom.mdl" });
    t.server.setCountdownSettings({ delay: 5, preCommands: "sv_cheats 0" });
    const viewer = await t.live();
    viewer.send({ type: "hello", token: READ.token });
    assert.deepEqual(await viewer.next((m) => m.type === "ok"), {
      type: "ok",
      name: "overlay",
      scope: "read",
    });
    const snapshot = await viewer.next((m) => m.type === "snapshot");
    const settings = snapshot.settings as Message;
    assert.deepEqual(settings.countdown, {
      delay: 5,
      preCommands: "sv_cheats 0",
      postCommands: "",
    });
    assert.deepEqual(settings.accepting, { players: true, spectators: true });
    assert.equal((settings.whitelist as Message).enabled, false);
    assert.equal(settings.livePositionHz, 10);
    const clients = snapshot.clients as Message[];
    assert.equal(clients.length, 2);
    assert.deepEqual(clients[0], {
      id: 1,
      name: "Alice",
      map: "sp_a1_intro1",
      model: "models/props/food_can/food_can_open.mdl",
      color: { r: 255, g: 0, b: 128 },
      spectator: false,
      tcpOnly: false,
    });
    assert.equal(clients[1].spectator, true);
    assert.equal(clients[1].tcpOnly, true);
    assert.equal(clients[1].model, "models/custom.mdl");
    assert.ok(!("ip" in clients[0]), "viewers do not see IPs in the snapshot");
  });
});

Deno.test("live: events from real SAR-like clients, and admin changes with their actor", async () => {
  await withHttp({}, async (t) => {
    const viewer = await t.live();
    await viewer.hello(READ);
    const alice = await t.connect("Alice");
    const connect = await viewer.next((m) => m.event === "connect");
    assert.equal(connect.type, "event");
    assert.equal(((connect.data as Message).client as Message).name, "Alice");
    assert.equal(typeof connect.time, "string");
    alice.sendMessage("hello everyone");
    const chat = await viewer.next((m) => m.event === "message");
    assert.equal((chat.data as Message).text, "hello everyone");
    alice.changeMap("sp_a1_intro2");
    const map = await viewer.next((m) => m.event === "mapChange");
    assert.equal((map.data as Message).map, "sp_a1_intro2");
    alice.send({ header: Header.SPEEDRUN_FINISH, id: alice.id, time: "1:23.456" });
    const finish = await viewer.next((m) => m.event === "speedrunFinish");
    assert.equal((finish.data as Message).time, "1:23.456");
    const ban = await t.request("POST", "/api/v1/ban", { token: ADMIN, body: { player: "Alice" } });
    assert.equal(ban.status, 200, ban.text);
    const banned = await viewer.next((m) => m.event === "ban");
    assert.equal((banned.data as Message).actor, "panel");
    const gone = await viewer.next((m) => m.event === "disconnect");
    assert.equal((gone.data as Message).reason, "banned");
    assert.equal((gone.data as Message).actor, "panel");
    await t.request("POST", "/api/v1/countdown/start", { token: ADMIN, body: { seconds: 3 } });
    const countdown = await viewer.next((m) => m.event === "countdown");
    assert.deepEqual(countdown.data, {
      delay: 3,
      preCommands: "",
      postCommands: "",
      actor: "panel",
    });
    const accepting = await viewer.next((m) => m.event === "acceptingChange");
    assert.equal((accepting.data as Message).cause, "countdown");
  });
});

Deno.test("live: commands need an admin token and are answered with their id", async () => {
  await withHttp({}, async (t) => {
    const reader = await t.live();
    await reader.hello(READ);
    reader.send({ type: "command", id: 1, command: "refuse players" });
    assert.deepEqual(await reader.next((m) => m.type === "result"), {
      type: "result",
      id: 1,
      ok: false,
      error: "Commands need an admin token",
    });
    assert.equal(t.server.accepting().players, true);
    const admin = await t.live();
    await admin.hello(ADMIN);
    admin.send({ type: "command", id: "a", command: "refuse players" });
    const done = await admin.next((m) => m.type === "result");
    assert.equal(done.ok, true);
    assert.equal((done.result as Message).text, "Now refusing new players");
    assert.equal(t.server.accepting().players, false);
    const event = await reader.next((m) => m.event === "acceptingChange");
    assert.equal((event.data as Message).actor, "panel", "other viewers see who did it");
    admin.send({
      type: "command",
      id: "b",
      command: ["countdown", "start"],
      args: { seconds: 99 },
    });
    const bad = await admin.next((m) => m.type === "result");
    assert.equal(bad.ok, false);
    assert.match(bad.error as string, /seconds must be a whole number from 0 to 60/);
    admin.send({ type: "command", id: "c", command: "nope" });
    assert.match((await admin.next((m) => m.id === "c")).error as string, /Unknown command/);
    admin.send({ type: "command", command: "status" });
    assert.match((await admin.next((m) => m.type === "error")).error as string, /needs an id/);
  });
});

Deno.test("live: heartbeat with the viewer count when it changes and every 5 s; refresh sends a snapshot", async () => {
  await withHttp({}, async (t) => {
    const first = await t.live();
    await first.hello(READ);
    assert.equal((await first.next((m) => m.type === "heartbeat")).viewers, 1);
    const second = await t.live();
    await second.hello(ADMIN);
    assert.equal((await first.next((m) => m.type === "heartbeat")).viewers, 2);
    assert.equal((await second.next((m) => m.type === "heartbeat")).viewers, 2);
    assert.equal(t.http.viewers, 2);
    t.clock.advance(LIVE_HEARTBEAT_MS);
    assert.equal((await first.next((m) => m.type === "heartbeat")).viewers, 2);
    await second.close();
    assert.equal((await first.next((m) => m.type === "heartbeat")).viewers, 1);
    await t.connect("Bob");
    await first.next((m) => m.event === "connect");
    first.send({ type: "refresh" });
    const snapshot = await first.next((m) => m.type === "snapshot");
    assert.deepEqual((snapshot.clients as Message[]).map((c) => c.name), ["Bob"]);
  });
});

Deno.test("live: positions only while subscribed, encoded once per tick for every subscriber", async () => {
  await withHttp({}, async (t) => {
    const alice = await t.connect("Alice");
    const a = await t.live();
    await a.hello(READ);
    const b = await t.live();
    await b.hello(READ, { positions: true });
    t.clock.advance(100); // one tick at 10 Hz
    assert.equal(t.http.positionsEncoded, 1);
    const position = await b.next((m) => m.type === "positions");
    assert.deepEqual(position.positions, [[alice.id, 0, 0, 0, 0, 0, 0, 0, 0]]);
    a.send({ type: "subscribe", positions: true });
    await alice.sendUpdate({
      position: { x: 1.5, y: -2.25, z: 64 },
      viewAngle: { x: 10, y: 90, z: 0 },
      viewOffset: 64,
      grounded: true,
    });
    await eventuallyAsync(async () => {
      t.clock.advance(100);
      const row = (await b.next((m) => m.type === "positions")).positions as number[][];
      if (row[0][1] !== 2) return false;
      assert.deepEqual(row, [[alice.id, 2, -2, 64, 10, 90, 0, 64, 1]], "whole units and degrees");
      return true;
    });
    const encoded = t.http.positionsEncoded;
    const fromA = await a.next((m) => m.type === "positions");
    assert.equal(fromA.type, "positions");
    a.send({ type: "subscribe", positions: false });
    b.send({ type: "subscribe", positions: false });
    await waitFor(() => t.http.positionSubscribers === 0);
    t.clock.advance(1000);
    assert.equal(t.http.positionsEncoded, encoded, "nothing encoded without subscribers");
  });
});

Deno.test("live: a slow viewer is disconnected; other viewers and the game clients are unaffected", async () => {
  await withHttp({}, async (t) => {
    const alice = await t.connect("Alice");
    const fast = await t.live();
    await fast.hello(READ);
    const port = Number(new URL(t.base).port);
    const slow = await StalledViewer.open(port, READ.token);
    try {
      await waitFor(() => t.http.viewers === 2);
      // Big events until the stalled viewer's queue passes the limit (after the kernel's
      // buffers fill); the fast viewer reads everything between batches.
      const text = "x".repeat(4000);
      let sent = 0;
      while (t.http.viewers === 2) {
        if (sent > 40_000) throw new Error("The stalled viewer was never disconnected");
        for (let i = 0; i < 100; i++) t.server.sendMessage(text);
        sent += 100;
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      assert.ok(sent * 4000 > LIVE_MAX_BUFFERED_BYTES);
      assert.equal(t.http.viewers, 1, "only the stalled viewer was cut");
      // The fast viewer still gets everything, in order, to the last message.
      t.server.sendMessage("the end");
      await fast.next((m) => m.event === "serverMessage" && (m.data as Message).text === "the end");
      assert.equal(fast.socket.readyState, WebSocket.OPEN);
      // The game goes on.
      alice.sendMessage("still here");
      await alice.ping();
      assert.equal(t.server.clients().length, 1);
    } finally {
      slow.close();
    }
  });
});

async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error("Condition not met");
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function eventuallyAsync(check: () => Promise<boolean>, tries = 50): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error("Condition not met");
}

Deno.test("live: a browser-like viewer runs a race: commands, countdown, positions, finishes", async () => {
  await withHttp({}, async (t) => {
    const alice = await t.connect("Alice", { map: "sp_a2_laser_intro" });
    const bob = await t.connect("Bob", { map: "sp_a2_laser_intro" });
    const browser = await t.live();
    const snapshot = await browser.hello(ADMIN, { positions: true });
    assert.deepEqual((snapshot.clients as Message[]).map((c) => c.name), ["Alice", "Bob"]);
    const run = async (id: number, command: string) => {
      browser.send({ type: "command", id, command });
      const result = await browser.next((m) => m.type === "result" && m.id === id);
      assert.equal(result.ok, true, `${command}: ${result.error}`);
      return result.result as Message;
    };
    await run(1, "countdown pre sv_cheats 0");
    await run(2, "countdown post say go");
    await run(3, "countdown start 3");
    const countdown = await browser.next((m) => m.event === "countdown");
    assert.deepEqual(countdown.data, {
      delay: 3,
      preCommands: "sv_cheats 0",
      postCommands: "say go",
      actor: "panel",
    });
    for (const client of [alice, bob]) {
      await client.nextOf(Header.COUNTDOWN, "tcp");
      client.send({ header: Header.COUNTDOWN, id: client.id, step: 1 });
    }
    await browser.next((m) => m.event === "countdownConfirm");
    await browser.next((m) => m.event === "countdownConfirm");
    await alice.sendUpdate({
      position: { x: 100, y: 200, z: 0 },
      viewAngle: { x: 0, y: 45, z: 0 },
      viewOffset: 64,
      grounded: true,
    });
    await eventuallyAsync(async () => {
      t.clock.advance(100);
      const rows = (await browser.next((m) => m.type === "positions")).positions as number[][];
      return rows.some((row) => row[0] === alice.id && row[1] === 100);
    });
    bob.send({ header: Header.SPEEDRUN_FINISH, id: bob.id, time: "58.12" });
    alice.send({ header: Header.SPEEDRUN_FINISH, id: alice.id, time: "59.99" });
    const first = await browser.next((m) => m.event === "speedrunFinish");
    const second = await browser.next((m) => m.event === "speedrunFinish");
    assert.deepEqual(
      [first, second].map((
        m,
      ) => [((m.data as Message).client as Message).name, (m.data as Message).time]),
      [["Bob", "58.12"], ["Alice", "59.99"]],
    );
    const accepted = await run(4, "accept players");
    assert.equal(accepted.text, "Now accepting new players");
  });
});

Deno.test("live: at most 100 sockets at once; a message over 64 KiB closes the socket", async () => {
  await withHttp({}, async (t) => {
    const sockets = await Promise.all(Array.from({ length: LIVE_MAX_SOCKETS }, () => t.live()));
    const refused = await t.request("GET", "/api/v1/live", { headers: { upgrade: "websocket" } });
    assert.equal(refused.status, 503);
    await sockets[0].close();
    const big = await eventuallyOpen(() => t.live());
    big.send({ type: "hello", token: READ.token, padding: "x".repeat(LIVE_MAX_MESSAGE_CHARS) });
    assert.equal((await big.closed).code, LIVE_CLOSE.badMessage);
  });
});

/** Opens once the server has noticed a closed socket (its close is asynchronous). */
async function eventuallyOpen<T>(open: () => Promise<T>): Promise<T> {
  for (let i = 0;; i++) {
    try {
      return await open();
    } catch (error) {
      if (i > 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

Deno.test("live: a plain GET or a broken handshake is a 400, not a bug", async () => {
  await withHttp({}, async (t) => {
    const plain = await t.request("GET", "/api/v1/live");
    assert.equal(plain.status, 400);
    assert.equal(plain.json().field, "upgrade");
    const broken = await t.request("GET", "/api/v1/live", { headers: { upgrade: "websocket" } });
    assert.equal(broken.status, 400);
  });
});

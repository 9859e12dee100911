import assert from "node:assert/strict";
import { Header } from "../../src/protocol/mod.ts";
import { ADMIN, READ, withHttp } from "./helpers.ts";

Deno.test("hoster routes need tokens unless hoster_routes_without_token", async () => {
  await withHttp({}, async (t) => {
    assert.equal((await t.request("GET", "/listPlayers")).status, 401);
    assert.equal((await t.request("PUT", "/startCountdown")).status, 401);
    assert.equal((await t.request("GET", "/listPlayers", { token: READ })).status, 200);
    assert.equal((await t.request("PUT", "/startCountdown", { token: READ })).status, 403);
    assert.equal((await t.request("GET", "/api/v1/status")).status, 401, "other routes unchanged");
  });
  await withHttp({ http: { hosterRoutesWithoutToken: true } }, async (t) => {
    assert.equal((await t.request("GET", "/listPlayers")).status, 200);
    const started = await t.request("PUT", "/startCountdown");
    assert.equal(started.status, 200);
    assert.equal(started.text, "Countdown started");
    const [entry] = t.history.history({ limit: 10, type: "countdown" }).entries;
    assert.equal(entry.actor, "hoster");
    assert.equal((await t.request("GET", "/api/v1/status")).status, 401, "only hoster routes open");
    assert.equal((await t.request("GET", "/metrics")).status, 401);
  });
});

Deno.test("hoster: listPlayers and settings have the app's shapes", async () => {
  await withHttp({ http: { hosterRoutesWithoutToken: true } }, async (t) => {
    await t.connect("Alice");
    await t.connect("Watcher", { spectator: true });
    assert.deepEqual((await t.request("GET", "/listPlayers")).json(), [
      { id: 1, name: "Alice", isSpectator: false },
      { id: 2, name: "Watcher", isSpectator: true },
    ]);
    const settings = await t.request("GET", "/settings");
    assert.match(settings.headers.get("content-type")!, /application\/json/);
    assert.deepEqual(settings.json(), {
      countdownDuration: 3,
      preCountdownCommands: "",
      postCountdownCommands: "",
      acceptingPlayers: true,
      acceptingSpectators: true,
    });
  });
});

Deno.test("hoster: PUT /settings keeps absent fields, clears with empty strings, checks every field first", async () => {
  await withHttp({ http: { hosterRoutesWithoutToken: true } }, async (t) => {
    const put = await t.request("PUT", "/settings", {
      body: { countdownDuration: 5, preCountdownCommands: "sv_cheats 0", acceptingPlayers: false },
    });
    assert.equal(put.status, 200);
    assert.equal(put.text, "Settings updated!");
    assert.deepEqual((await t.request("GET", "/settings")).json(), {
      countdownDuration: 5,
      preCountdownCommands: "sv_cheats 0",
      postCountdownCommands: "",
      acceptingPlayers: false,
      acceptingSpectators: true,
    });
    assert.deepEqual(t.server.countdownSettings(), {
      delay: 5,
      preCommands: "sv_cheats 0",
      postCommands: "",
    });
    assert.equal(t.server.accepting().players, false);
    // POST works as PUT; an empty string clears (the app kept the old value).
    const post = await t.request("POST", "/settings", {
      body: { preCountdownCommands: "", postCountdownCommands: "say go" },
    });
    assert.equal(post.status, 200);
    assert.deepEqual(t.server.countdownSettings(), {
      delay: 5,
      preCommands: "",
      postCommands: "say go",
    });
    // Bad fields: 400 naming the field, nothing changed.
    for (
      const [body, field] of [
        [{ countdownDuration: 61 }, "countdownDuration"],
        [{ countdownDuration: "5" }, "countdownDuration"],
        [{ countdownDuration: 1.5 }, "countdownDuration"],
        [{ acceptingPlayers: "yes" }, "acceptingPlayers"],
        [{ acceptingSpectators: 1 }, "acceptingSpectators"],
        [{ preCountdownCommands: 3 }, "preCountdownCommands"],
        [{ postCountdownCommands: "a\nb", acceptingPlayers: true }, "postCountdownCommands"],
      ] as const
    ) {
      const bad = await t.request("PUT", "/settings", { body });
      assert.equal(bad.status, 400, JSON.stringify(body));
      assert.equal(bad.json().field, field, JSON.stringify(body));
    }
    assert.deepEqual(t.server.countdownSettings(), {
      delay: 5,
      preCommands: "",
      postCommands: "say go",
    });
    assert.equal(t.server.accepting().players, false, "a rejected request changes nothing");
    assert.equal((await t.request("PUT", "/settings", { body: [] })).status, 400);
  });
});

Deno.test("hoster: a race from the panel: settings, countdown, message, disconnect, ban", async () => {
  await withHttp({ http: { hosterRoutesWithoutToken: true } }, async (t) => {
    const alice = await t.connect("Alice");
    const bob = await t.connect("Bob");
    const griefer = await t.connect("Griefer");
    await t.request("PUT", "/settings", {
      body: {
        countdownDuration: 3,
        preCountdownCommands: "sv_cheats 0",
        postCountdownCommands: "say go",
      },
    });
    assert.equal((await t.request("PUT", "/startCountdown")).text, "Countdown started");
    const setup = await alice.nextOf(Header.COUNTDOWN, "tcp");
    const packet = setup.packet as { step: number; duration: number; preCommands: string };
    assert.deepEqual(
      { step: packet.step, duration: packet.duration, pre: packet.preCommands },
      { step: 0, duration: 3, pre: "sv_cheats 0" },
    );
    // SAR confirms and is sent "go"; the run ends with a finish that the panel's history shows.
    alice.send({ header: Header.COUNTDOWN, id: alice.id, step: 1 });
    const go = await alice.nextOf(Header.COUNTDOWN, "tcp");
    assert.equal(
      (go.packet as { step: number }).step,
      1,
      "the server's go (docs/protocol.md §3.9)",
    );
    alice.send({ header: Header.SPEEDRUN_FINISH, id: alice.id, time: "41.7" });
    await t.event("speedrunFinish");
    assert.equal(t.history.finishes(undefined, 10)[0].runTime, "41.7");
    const refused = await t.request("GET", "/settings");
    assert.equal(refused.json().acceptingPlayers, false, "a countdown stops accepting players");
    const missing = await t.request("PUT", "/serverMessage");
    assert.equal(missing.status, 400);
    assert.equal(missing.json().field, "message");
    const said = await t.request("PUT", "/serverMessage?message=" + encodeURIComponent("GL HF"));
    assert.equal(said.status, 200);
    assert.equal(said.text, "");
    const chat = await bob.next((r) => r.packet.header === Header.MESSAGE);
    assert.equal((chat.packet as { text: string }).text, "GL HF");
    const kicked = await t.request("PUT", "/disconnectPlayer", { body: { id: griefer.id } });
    assert.equal(kicked.text, `Player with id ${griefer.id} disconnected!`);
    await griefer.closed;
    const noOne = await t.request("PUT", "/disconnectPlayer", { body: {} });
    assert.equal(noOne.status, 400);
    assert.equal(noOne.json().error, "Please specify either 'id' or 'name'");
    assert.equal((await t.request("PUT", "/banPlayer", { body: { id: "x" } })).json().field, "id");
    const unknown = await t.request("PUT", "/banPlayer", { body: { name: "Nobody" } });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json().field, "name");
    const banned = await t.request("POST", "/banPlayer", { body: { name: "Bob" } });
    assert.equal(banned.text, "Player with name Bob banned!");
    await bob.closed;
    assert.equal(t.server.bannedIps().length, 1);
    assert.deepEqual((await t.request("GET", "/listPlayers")).json(), [
      { id: alice.id, name: "Alice", isSpectator: false },
    ]);
  });
});

Deno.test("hoster: whitelist routes", async () => {
  await withHttp({ http: { hosterRoutesWithoutToken: true } }, async (t) => {
    assert.deepEqual((await t.request("GET", "/whitelist")).json(), {
      enabled: false,
      entries: [],
    });
    assert.equal(
      (await t.request("PUT", "/whitelist", { body: { name: "Alice" } })).text,
      "Alice added to whitelist!",
    );
    assert.equal(
      (await t.request("POST", "/whitelist", { body: { ip: "127.0.0.9" } })).status,
      200,
    );
    const badIp = await t.request("PUT", "/whitelist", { body: { ip: "not an ip" } });
    assert.equal(badIp.status, 400);
    assert.equal(badIp.json().field, "ip");
    assert.equal((await t.request("PUT", "/whitelist", { body: {} })).status, 400);
    assert.equal(
      (await t.request("PUT", "/whitelist/status", { body: {} })).json().field,
      "enabled",
    );
    assert.equal(
      (await t.request("PUT", "/whitelist/status", { body: { enabled: "on" } })).status,
      400,
    );
    assert.equal(
      (await t.request("PUT", "/whitelist/status", { body: { enabled: true } })).status,
      200,
    );
    assert.deepEqual((await t.request("GET", "/whitelist")).json(), {
      enabled: true,
      entries: [{ type: "name", value: "Alice" }, { type: "ip", value: "127.0.0.9" }],
    });
    await assert.rejects(t.connect("Mallory"));
    const removed = await t.request("DELETE", "/whitelist", { body: { name: "Alice" } });
    assert.equal(removed.text, "Alice removed from whitelist!");
    assert.equal(
      (await t.request("DELETE", "/whitelist", { body: { name: "Alice" } })).status,
      400,
    );
    const [change] = t.history.history({ limit: 1, type: "whitelistChange" }).entries;
    assert.equal(change.actor, "hoster");
  });
});

Deno.test("hoster: startServer answers while running; stopServer stops the server", async () => {
  await withHttp({}, async (t) => {
    const started = await t.request("GET", "/startServer", { token: ADMIN });
    assert.equal(started.text, "Ghost server started!");
    const alice = await t.connect("Alice");
    const stopped = await t.request("GET", "/stopServer", { token: ADMIN });
    assert.equal(stopped.text, "Ghost server stopped!");
    await t.server.once("stop");
    await alice.closed;
    assert.equal((await t.request("GET", "/startServer", { token: ADMIN })).status, 409);
    assert.equal((await t.request("GET", "/health")).status, 503);
  });
});

import assert from "node:assert/strict";
import { defineCommand } from "../../src/admin/mod.ts";
import { Header } from "../../src/protocol/mod.ts";
import { ADMIN, READ, withHttp } from "./helpers.ts";

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { security: unknown[]; requestBody?: unknown }>>;
};

Deno.test("the OpenAPI document lists exactly the routes the router answers", async () => {
  await withHttp({}, async (t) => {
    const response = await t.request("GET", "/api/v1/openapi.json");
    assert.equal(response.status, 200);
    const doc = response.json<Doc>();
    assert.equal(doc.openapi, "3.1.0");
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`)
    ).sort();
    const routed = t.http.routes().map((r) => `${r.method} ${r.path}`).sort();
    assert.deepEqual(documented, routed);
    // Every command path of the table has a route, and the router answers every documented one.
    for (const { path } of t.table.entries()) {
      assert.ok(doc.paths[`/api/v1/${path.join("/")}`], `no route for ${path.join(" ")}`);
    }
    for (const entry of documented) {
      const [method, path] = entry.split(" ");
      if (
        path.startsWith("/api/v1/") && !path.endsWith("/live") && path !== "/api/v1/openapi.json"
      ) {
        // Nonsense arguments: the route exists (never 404/405), and bad input is a 400.
        const answer = await t.request(method, `${path}?zzz=1`, { token: READ });
        assert.ok(![404, 405].includes(answer.status), `${entry}: ${answer.status}`);
      }
    }
    assert.deepEqual(doc.paths["/api/v1/kick"].post.security, [{ bearer: [] }]);
    assert.ok(doc.paths["/api/v1/kick"].post.requestBody);
    assert.deepEqual(doc.paths["/health"].get.security, []);
  });
});

Deno.test("a command a plugin registers gets a route and a place in the document at once", async () => {
  await withHttp({}, async (t) => {
    assert.equal((await t.request("POST", "/api/v1/roll", { token: ADMIN })).status, 404);
    const unregister = t.table.register(defineCommand({
      name: "roll",
      summary: "Roll a die",
      args: [{ name: "sides", type: "integer", min: 2, max: 100, optional: true, doc: "Sides" }],
      run: (_, { sides = 6 }) => ({ text: `d${sides}`, data: { sides } }),
    }));
    const rolled = await t.request("POST", "/api/v1/roll", { token: ADMIN, body: { sides: 20 } });
    assert.deepEqual(rolled.json(), { ok: true, text: "d20", data: { sides: 20 } });
    const doc = (await t.request("GET", "/api/v1/openapi.json")).json<Doc>();
    assert.ok(doc.paths["/api/v1/roll"].post);
    unregister();
    assert.equal((await t.request("POST", "/api/v1/roll", { token: ADMIN })).status, 404);
  });
});

Deno.test("bad input: 400 naming the field, for every kind of argument", async () => {
  await withHttp({}, async (t) => {
    await t.connect("Alice");
    const cases: [string, unknown, string, RegExp][] = [
      [
        "/api/v1/countdown/start",
        { seconds: 61 },
        "seconds",
        /seconds must be a whole number from 0 to 60/,
      ],
      ["/api/v1/countdown/start", { seconds: "soon" }, "seconds", /seconds/],
      ["/api/v1/accept", { who: "everyone" }, "who", /who must be one of players, spectators, all/],
      ["/api/v1/accept", {}, "who", /Missing who/],
      ["/api/v1/unban", { ip: "999.1.1.1" }, "ip", /Invalid IP address/],
      ["/api/v1/kick", { player: [1] }, "player", /A player is a number/],
      ["/api/v1/kick", { player: "Nobody" }, "player", /No player named 'Nobody'/],
      ["/api/v1/say", { message: "" }, "message", /message cannot be empty/],
      ["/api/v1/say", { message: "a\nb" }, "message", /line breaks/],
      ["/api/v1/say", { message: 5 }, "message", /must be a string/],
      ["/api/v1/say", { message: "hi", extra: 1 }, "extra", /Unknown argument 'extra'/],
      ["/api/v1/whitelist/add", { kind: "name" }, "value", /Missing value/],
    ];
    for (const [path, body, field, error] of cases) {
      const response = await t.request("POST", path, { token: ADMIN, body });
      assert.equal(response.status, 400, `${path} ${JSON.stringify(body)}`);
      const answer = response.json();
      assert.equal(answer.field, field, `${path} ${JSON.stringify(body)}: ${answer.error}`);
      assert.match(answer.error as string, error);
    }
    const notObject = await t.request("POST", "/api/v1/say", { token: ADMIN, body: ["hi"] });
    assert.deepEqual(notObject.json().field, "body");
    const twice = await t.request("GET", "/api/v1/help?command=a&command=b", { token: READ });
    assert.equal(twice.json().field, "command");
  });
});

Deno.test("a bot runs a race through /api/v1, and every action lands in the history with its actor", async () => {
  await withHttp({}, async (t) => {
    const alice = await t.connect("Alice", { map: "sp_a1_intro1" });
    const bob = await t.connect("Bob", { map: "sp_a1_intro1" });
    const call = async (path: string, body?: unknown) => {
      const response = await t.request("POST", `/api/v1/${path}`, { token: ADMIN, body });
      assert.equal(response.status, 200, `${path}: ${response.text}`);
      return response.json();
    };
    const list = await t.request("GET", "/api/v1/list", { token: READ });
    assert.deepEqual((list.json().data as { name: string }[]).map((c) => c.name), ["Alice", "Bob"]);
    assert.deepEqual(
      (await t.request("GET", "/api/v1/players", { token: READ })).json(),
      list.json(),
    );
    await call("countdown/pre", { commands: "sv_cheats 0" });
    await call("countdown/post", { commands: "say go" });
    await call("msg", { player: "Alice", message: "You are in lane 1" });
    const whisper = await alice.next((r) => r.packet.header === Header.MESSAGE);
    assert.equal((whisper.packet as { text: string }).text, "You are in lane 1");
    const started = await call("countdown/start", { seconds: 3 });
    assert.deepEqual(started.data, {
      delay: 3,
      preCommands: "sv_cheats 0",
      postCommands: "say go",
    });
    for (const client of [alice, bob]) {
      await client.nextOf(Header.COUNTDOWN, "tcp");
      client.send({ header: Header.COUNTDOWN, id: client.id, step: 1 });
      await client.nextOf(Header.COUNTDOWN, "tcp");
    }
    alice.send({ header: Header.SPEEDRUN_FINISH, id: alice.id, time: "12.345" });
    bob.send({ header: Header.SPEEDRUN_FINISH, id: bob.id, time: "13.000" });
    await t.event("speedrunFinish", (e) => e.client.name === "Bob");
    const finishes = await t.request("GET", "/api/v1/finishes?map=sp_a1_intro1", { token: READ });
    assert.deepEqual(
      (finishes.json().finishes as { player: string; runTime: string }[]).map((
        f,
      ) => [f.player, f.runTime]),
      [["Bob", "13.000"], ["Alice", "12.345"]],
    );
    const other = await t.request("GET", "/api/v1/finishes?map=sp_a1_intro2", { token: READ });
    assert.deepEqual(other.json().finishes, []);
    await call("accept", { who: "players" });
    // History: filters and paging.
    const mine = await t.request("GET", "/api/v1/history?actor=panel&limit=2", { token: READ });
    const page1 = mine.json() as {
      entries: { id: number; type: string; actor: string }[];
      next: number;
    };
    assert.deepEqual(page1.entries.map((e) => e.type), ["acceptingChange", "acceptingChange"]);
    assert.ok(page1.entries.every((e) => e.actor === "panel"));
    const page2 =
      (await t.request("GET", `/api/v1/history?actor=panel&limit=2&before=${page1.next}`, {
        token: READ,
      })).json() as { entries: { id: number; type: string }[] };
    assert.deepEqual(page2.entries.map((e) => e.type), ["countdown", "serverMessage"]);
    assert.ok(page2.entries[0].id < page1.entries[1].id);
    const bad = await t.request("GET", "/api/v1/history?limit=0", { token: READ });
    assert.equal(bad.json().field, "limit");
    const unknownFilter = await t.request("GET", "/api/v1/history?when=now", { token: READ });
    assert.equal(unknownFilter.json().field, "when");
  });
});

Deno.test("history answers 503 where nothing records it", async () => {
  await withHttp({ http: { history: undefined } }, async (t) => {
    assert.equal((await t.request("GET", "/api/v1/history", { token: READ })).status, 503);
    assert.equal((await t.request("GET", "/api/v1/finishes", { token: READ })).status, 503);
  });
});

Deno.test("static files at / from the dashboard directory, nothing outside it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/index.html`, "<h1>dashboard</h1>");
    await Deno.mkdir(`${dir}/js`);
    await Deno.writeTextFile(`${dir}/js/app.js`, "console.log(1)");
    const staticDir = new URL(`file://${dir}/`);
    await withHttp({ http: { staticDir } }, async (t) => {
      const index = await t.request("GET", "/");
      assert.equal(index.status, 200);
      assert.equal(index.text, "<h1>dashboard</h1>");
      assert.match(index.headers.get("content-type")!, /text\/html/);
      const script = await t.request("GET", "/js/app.js");
      assert.match(script.headers.get("content-type")!, /javascript/);
      assert.equal((await t.request("GET", "/js/../../etc/passwd")).status, 404);
      assert.equal((await t.request("GET", "/%2e%2e/%2e%2e/etc/passwd")).status, 404);
      assert.equal((await t.request("GET", "/missing.js")).status, 404);
      assert.equal((await t.request("POST", "/")).status, 404);
      assert.equal((await t.request("GET", "/api/v1/status")).status, 401, "API routes first");
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

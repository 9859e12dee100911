/**
 * `deno task start` as an operator runs it, with the bundled race helper and the HTTP API: the
 * console's `history`/`finishes`, the HTTP history routes and the plugin's finishes all go to
 * and come from the one SQLite database, across a restart. Real processes, real sockets.
 */
import assert from "node:assert/strict";
import { SarClient } from "../src/client/sar_client.ts";
import { Header } from "../src/protocol/mod.ts";
import { nextServerMessage } from "../testing.ts";
import { ROOT_PATH, ServerProcess } from "./helpers/server_process.ts";

const TOKEN = "integration-test-token";

function config(): string {
  return `
[plugins]
load = ["${ROOT_PATH}plugins/race_helper.ts"]

[plugins.race-helper]
min_players = 2

[http]
enabled = true
port = 0

[[http.tokens]]
name = "ci"
token = "${TOKEN}"
scope = "admin"
`;
}

async function api(port: number, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`http://127.0.0.1:${port}/api/v1/${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  assert.equal(response.status, 200, `${path}: ${text}`);
  return JSON.parse(text);
}

async function start(data: string, configPath: string) {
  const server = await ServerProcess.start({ data, args: ["--config", configPath] });
  const [, port] = await server.stderr.wait(/HTTP API listening on http:\/\/127\.0\.0\.1:(\d+)/);
  return { server, http: Number(port) };
}

Deno.test("one database behind the console, the HTTP API and the race helper, across a restart", async () => {
  const data = await Deno.makeTempDir();
  const configPath = `${data}/config.toml`;
  await Deno.writeTextFile(configPath, config());
  const clients: SarClient[] = [];
  let running: ServerProcess | undefined;
  try {
    const first = await start(data, configPath);
    running = first.server;
    const connect = async (name: string, host: number) => {
      const client = await SarClient.connect({
        port: first.server.port,
        name,
        map: "sp_a1_intro1",
        localAddress: `127.0.9.${host}`,
      });
      clients.push(client);
      return client;
    };
    const alice = await connect("Alice", 1);
    const bob = await connect("Bob", 2);
    alice.sendMessage("/ready");
    bob.sendMessage("/ready");
    assert.equal(
      await nextServerMessage(alice, /race starts/),
      "Everyone is ready: the race starts!",
    );
    await alice.nextOf(Header.COUNTDOWN, "tcp");
    bob.send({ header: Header.SPEEDRUN_FINISH, id: bob.id, time: "12.345" });
    assert.equal(await nextServerMessage(alice, /^1\./), "1. Bob 12.345");
    alice.send({ header: Header.SPEEDRUN_FINISH, id: alice.id, time: "13.000" });
    assert.equal(await nextServerMessage(alice, /^2\./), "2. Alice 13.000");

    // The console and the HTTP API see each run once, with the place the plugin reported.
    const from = first.server.stdout.text.length;
    await first.server.command("finishes sp_a1_intro1", /Alice \(\d+\) place 2\n/);
    assert.match(
      first.server.stdout.text.slice(from),
      /^.* sp_a1_intro1 +12\.345 +Bob \(\d+\) place 1\n.* sp_a1_intro1 +13\.000 +Alice \(\d+\) place 2\n/,
    );
    const viaHttp = (await api(first.http, "finishes?map=sp_a1_intro1")).finishes;
    assert.deepEqual(
      (viaHttp as { player: string; runTime: string; place: number }[]).map((f) => [
        f.player,
        f.runTime,
        f.place,
      ]),
      [["Alice", "13.000", 2], ["Bob", "12.345", 1]],
    );

    // A ban with a reason, from the API: the moderation view gets reason, time and actor.
    const banned = await api(first.http, "ban", { player: "Alice", reason: "griefing in lane 2" });
    assert.match(banned.text as string, /^Banned IP 127\.0\.9\.1: griefing in lane 2/);
    await alice.closed;
    const bans = (await api(first.http, "bans")).data as Record<string, unknown>[];
    assert.equal(bans.length, 1);
    assert.deepEqual({ ...bans[0], time: undefined }, {
      ip: "127.0.9.1",
      reason: "griefing in lane 2",
      actor: "ci",
      time: undefined,
    });
    // The same ban from the console's history and from the HTTP history, filtered by actor.
    await first.server.command("history 5", /banned 127\.0\.9\.1 by ci: griefing in lane 2/);
    const page = await api(first.http, "history?actor=ci&type=ban");
    assert.deepEqual((page.entries as { data: unknown }[]).map((e) => e.data), [
      { ip: "127.0.9.1", actor: "ci", message: "griefing in lane 2" },
    ]);
    await first.server.line("stop");
    assert.equal((await first.server.exit()).code, 0, first.server.stderr.text);
    running = undefined;
    for (const client of clients.splice(0)) await client.close();

    // After a restart: the ban, its reason and the history are still there.
    const second = await start(data, configPath);
    running = second.server;
    const again = (await api(second.http, "bans")).data as Record<string, unknown>[];
    assert.deepEqual(again, bans);
    const runs = await api(second.http, "history?type=speedrunFinish");
    assert.deepEqual(
      (runs.entries as { player: string; data: Record<string, unknown> }[]).map((e) => [
        e.player,
        e.data.time,
        e.data.place,
        e.data.actor,
      ]),
      [["Alice", "13.000", 2, "race-helper"], ["Bob", "12.345", 1, "race-helper"]],
    );
    await second.server.line("stop");
    assert.equal((await second.server.exit()).code, 0, second.server.stderr.text);
    running = undefined;
  } finally {
    for (const client of clients) await client.close();
    await running?.kill();
    await Deno.remove(data, { recursive: true });
  }
});

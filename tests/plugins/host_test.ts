/**
 * The plugin host over real sockets: vetoes and chat hooks from plugins, isolation of
 * misbehaving plugins, permissions, loading from modules, config sections and reload.
 */
import assert from "node:assert/strict";
import { ConnectionRefusedError } from "../../src/client/sar_client.ts";
import { parseConfig } from "../../src/config/mod.ts";
import { GhostServer } from "../../src/server/server.ts";
import { createCommandTable } from "../../src/admin/mod.ts";
import { MAX_PLUGIN_CALLS_IN_FLIGHT, PluginHost, startPlugins } from "../../src/plugins/mod.ts";
import { nextChat, nextServerMessage, startTestServer } from "../../testing.ts";
import { command, Plugin } from "../../plugin.ts";
import { eventually } from "../helpers/harness.ts";
import { Gatekeeper, Misbehaving } from "./fixtures/misbehaving.ts";

const fixtures = new URL("./fixtures/", import.meta.url);

Deno.test("a plugin refuses a connecting player, who reads its reason", async () => {
  await using t = await startTestServer({ plugins: [Gatekeeper] });
  const refused = t.server.once("refuse");
  const error = await t.connect("Guest123").catch((e: unknown) => e);
  assert.ok(error instanceof ConnectionRefusedError);
  assert.equal(error.explanation, "Guests must register at example.com first");
  assert.equal((await refused).policy, "gatekeeper");
  assert.equal((await t.connect("NeKz")).id, 1);
});

Deno.test("a plugin drops and rewrites chat before the relay", async () => {
  await using t = await startTestServer({ plugins: [Gatekeeper] });
  const alice = await t.connect("Alice");
  const bob = await t.connect("Bob");
  alice.sendMessage("the secret is 42");
  alice.sendMessage("what the heck");
  assert.deepEqual(await nextChat(bob), { id: alice.id, text: "what the h*ck" });
});

Deno.test("a misbehaving plugin cannot take the server down", async () => {
  const bad = new Misbehaving();
  // Map changes drive the pile-up below: let more through than [limits] would.
  await using t = await startTestServer({
    plugins: [bad],
    server: { limits: { map_burst: 1000 } },
  });
  const plugin = t.host.list()[0];
  assert.equal(plugin.name, "misbehaving");
  // A hanging ClientConnecting handler: admitted once the timeout passes, not before.
  const connecting = t.connect("Alice");
  await eventually(() => bad.connecting === 1);
  t.clock.advance(999);
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(t.server.clients().length, 0);
  t.clock.advance(1);
  const alice = await connecting;
  // Throwing and rejecting commands are the plugin's failure, reported as such.
  await assert.rejects(t.execute("throw"), /throw \(misbehaving\) failed; the server log/);
  await assert.rejects(t.execute("reject"), /reject \(misbehaving\) failed/);
  const hanging = t.execute("hang");
  await new Promise((resolve) => setTimeout(resolve, 1));
  t.clock.advance(1000);
  await assert.rejects(hanging, /hang \(misbehaving\) did not finish within 1000 ms/);
  // In chat, a failure is answered to the player alone.
  alice.sendMessage("/throw");
  assert.equal(
    await nextServerMessage(alice),
    "throw (misbehaving) failed; the server log has the details",
  );
  // A throwing chat handler lets the line through unchanged.
  const connectingBob = t.connect("Bob");
  await eventually(() => bad.connecting === 2);
  t.clock.advance(1000); // Bob's connecting handler hangs too
  const bob = await connectingBob;
  alice.sendMessage("boom");
  assert.deepEqual(await nextChat(bob), { id: alice.id, text: "boom" });
  // A flood of broadcasts is cut off, and the clients stay connected.
  await t.execute("flood");
  await bob.ping();
  const spam = bob.inbox.filter((r) => "text" in r.packet && r.packet.text.startsWith("spam"));
  assert.ok(spam.length > 0 && spam.length <= 40, `${spam.length} spam lines got through`);
  // Hanging handlers pile up to a bound, then events are skipped, not queued, and the
  // plugin's commands say it is busy.
  for (let i = 0; i < MAX_PLUGIN_CALLS_IN_FLIGHT + 10; i++) alice.changeMap(`map${i}`);
  await alice.ping();
  await assert.rejects(t.execute("first"), /Unknown command/);
  await assert.rejects(t.execute("flood"), /misbehaving is busy; try again later/);
  assert.equal(t.server.clients().length, 2);
  assert.equal(plugin.events.length, 4);
  // And the server still does its job.
  alice.sendMessage("still here");
  assert.equal((await nextChat(bob)).text, "still here");
});

Deno.test("admin commands in chat need the player on the admins list, name and IP", async () => {
  class Tools extends Plugin {
    name = "tools";
    version = "1.0.0";
    authors = ["you"];
    license = "MIT";

    @command("secret", "Admins only", { permission: "admin" })
    async secret() {
      await this.respond("the admin secret");
    }
  }
  const linux = Deno.build.os === "linux";
  // The first client of the harness comes from 127.0.0.2 on Linux.
  const bossIp = linux ? "127.0.0.2" : "127.0.0.1";
  await using t = await startTestServer({ plugins: [Tools], admins: [`Boss@${bossIp}`] });
  const boss = await t.connect("Boss");
  const pleb = await t.connect("Pleb");
  pleb.sendMessage("/secret");
  assert.equal(await nextServerMessage(pleb), "Only admins may run /secret");
  pleb.sendMessage("/kick Boss");
  assert.equal(await nextServerMessage(pleb), "Only admins may run /kick");
  boss.sendMessage("/secret");
  assert.equal(await nextServerMessage(boss), "the admin secret");
  pleb.sendMessage("/help");
  const help = await nextServerMessage(pleb);
  assert.match(help, /^Commands: \/help, \/list/);
  assert.doesNotMatch(help, /secret|kick/);
  boss.sendMessage("/help");
  await boss.ping();
  const lines = boss.inbox.map((r) => "text" in r.packet ? r.packet.text : "").join("\n");
  assert.match(lines, /\/secret/);
  assert.match(lines, /\/kick <player>/);
  pleb.sendMessage("/list");
  assert.equal(await nextServerMessage(pleb), "2 connected: Boss (1), Pleb (2)");
  const kicked = t.server.once("disconnect");
  boss.sendMessage("/kick Pleb");
  const event = await kicked;
  assert.equal(event.client.name, "Pleb");
  assert.equal(event.actor, "Boss (chat)");
});

Deno.test("an unknown /word is ordinary chat", async () => {
  await using t = await startTestServer();
  const alice = await t.connect("Alice");
  const bob = await t.connect("Bob");
  alice.sendMessage("/shrug");
  assert.deepEqual(await nextChat(bob), { id: alice.id, text: "/shrug" });
});

Deno.test("modules load every exported plugin with its config; failures are reported and the server starts", async () => {
  const server = new GhostServer({ hostname: "127.0.0.1", port: 0 });
  const table = createCommandTable();
  const config = parseConfig(`
[plugins]
load = ["two_plugins.ts", "broken_module.ts", "no_plugins.ts", "missing.ts"]

[plugins.first]
greeting = "hi"
times = 2

[plugins.second-plugin]

[plugins.typo]
x = 1
`);
  const host = await startPlugins(server, config, {
    table,
    configFile: new URL("config.toml", fixtures).pathname,
  });
  try {
    await server.start();
    assert.deepEqual(host.list().map((p) => p.name), ["first", "Second Plugin"]);
    const failures = host.failures();
    assert.deepEqual(failures.map((f) => f.source), [
      "broken_module.ts",
      "no_plugins.ts",
      "missing.ts",
    ]);
    assert.match(failures[0].error, /this module is broken/);
    assert.match(failures[1].error, /exports no Plugin subclass/);
    assert.deepEqual(host.unusedSections(), ["typo"]);
    const run = async (line: string) =>
      (await table.execute(line, { server, actor: "console" })).text;
    assert.equal(await run("first"), "hihi");
    const listing = await run("plugins");
    assert.match(listing, /^first 1\.0\.0 by you \(MIT\) from two_plugins\.ts; commands: first$/m);
    assert.match(listing, /^failed: broken_module\.ts: this module is broken$/m);
    await assert.rejects(run("plugins reload nope"), /No plugin named 'nope'; loaded: first/);
    assert.equal(await run("plugins reload first"), "Reloaded first 1.0.0");
    assert.equal(await run("first"), "hihi");
  } finally {
    await server.stop();
    host.close();
  }
});

Deno.test("a bad config section or a taken command name fails that plugin only", async () => {
  const server = new GhostServer({ hostname: "127.0.0.1", port: 0 });
  const table = createCommandTable();
  const host = new PluginHost(server, {
    table,
    sections: { first: { greting: "typo" } },
    baseDir: fixtures.pathname,
  });
  await host.load("two_plugins.ts");
  assert.deepEqual(host.list().map((p) => p.name), ["Second Plugin"]);
  assert.match(
    host.failures()[0].error,
    /unknown key "greting" in \[plugins\.first\]; known keys are greeting, times/,
  );
  class Kicker extends Plugin {
    name = "kicker";
    version = "1.0.0";
    authors = [];
    license = "MIT";
    @command("kick <player>", "Clashes with the built-in kick")
    kick() {}
  }
  assert.throws(() => host.add(new Kicker()), /A command named "kick" is already registered/);
  assert.equal(table.get("kick")?.summary.includes("Clashes"), false);
  host.close();
  assert.equal(table.get("plugins"), undefined);
});

Deno.test("reloading picks up a changed file, and a broken edit keeps the old plugin", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/greeter.ts`;
  const pluginUrl = new URL("../../plugin.ts", import.meta.url).href;
  const source = (word: string) => `
import { command, Plugin } from "${pluginUrl}";
export class Greeter extends Plugin {
  name = "greeter"; version = "1.0.0"; authors = []; license = "MIT";
  @command("greet", "Greets")
  async greet() { await this.respond("${word}"); }
}`;
  await Deno.writeTextFile(file, source("hello"));
  await using t = await startTestServer();
  await t.host.load(file);
  assert.equal(await t.execute("greet"), "hello");
  await Deno.writeTextFile(file, source("bonjour"));
  assert.equal(await t.execute("plugins reload greeter"), "Reloaded greeter 1.0.0");
  assert.equal(await t.execute("greet"), "bonjour");
  await Deno.writeTextFile(file, "export const broken = ;");
  await assert.rejects(t.execute("plugins reload greeter"), /Reloading greeter failed/);
  assert.equal(await t.execute("greet"), "bonjour");
  await Deno.remove(dir, { recursive: true });
});

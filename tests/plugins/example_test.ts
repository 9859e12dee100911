/**
 * The original README's example plugin, over real sockets: `/ping` in chat is answered to the
 * player alone and never relayed; `dm` works from the console and from chat.
 */
import assert from "node:assert/strict";
import { nextChat, nextServerMessage, startTestServer } from "../../testing.ts";
import { ExamplePlugin } from "./fixtures/example_plugin.ts";

Deno.test("a player who types /ping is answered, and nobody else sees it", async () => {
  await using t = await startTestServer({ plugins: [ExamplePlugin] });
  const alice = await t.connect("Alice");
  const bob = await t.connect("Bob");
  alice.sendMessage("/ping");
  assert.equal(await nextServerMessage(alice), "pong!");
  alice.sendMessage("gl hf");
  // Bob's next chat is the line after /ping: the command was swallowed.
  assert.deepEqual(await nextChat(bob), { id: alice.id, text: "gl hf" });
  await bob.ping();
  assert.ok(!bob.inbox.some((r) => "text" in r.packet && r.packet.text.includes("pong")));
});

Deno.test("ping and dm run from the console, which gets the printed line", async () => {
  await using t = await startTestServer({ plugins: [ExamplePlugin] });
  const alice = await t.connect("Alice");
  assert.equal(await t.execute("ping"), "pong!");
  // Commands of the one admin table: in help and in what a console completes.
  assert.match(await t.execute("help"), /ping.*Ping the server! \(Example Plugin\)/);
  assert.match(await t.execute("help dm"), /dm <player> <message…>/);
  assert.ok(t.table.entries().some(({ path }) => path.join(" ") === "dm"));
  assert.equal(await t.execute("dm Alice psst, over here"), "");
  assert.equal(await nextServerMessage(alice), "psst, over here");
  await assert.rejects(t.execute("dm Nobody hi"), /No player named 'Nobody'/);
  await assert.rejects(t.execute("dm Alice"), /Missing message/);
});

Deno.test("dm from chat resolves the player by id or exact name, and says when none or several match", async () => {
  await using t = await startTestServer({
    plugins: [ExamplePlugin],
    server: { oneConnectionPerIp: false },
  });
  const alice = await t.connect("Alice");
  const bob = await t.connect("Bob");
  alice.sendMessage(`/dm ${bob.id} hi by id`);
  assert.equal(await nextServerMessage(bob), "hi by id");
  alice.sendMessage("/dm Bob hi by name");
  assert.equal(await nextServerMessage(bob), "hi by name");
  alice.sendMessage("/dm Carol hello?");
  assert.equal(await nextServerMessage(alice), "No player named 'Carol'");
  await t.connect("Bob");
  alice.sendMessage("/dm Bob which one?");
  assert.match(await nextServerMessage(alice), /^2 players match name 'Bob'/);
});

Deno.test("the example's own /ping handler answers when no ping command claims the line", async () => {
  await using t = await startTestServer({ plugins: [ExamplePlugin] });
  t.table.unregister("ping");
  const alice = await t.connect("Alice");
  const bob = await t.connect("Bob");
  alice.sendMessage("/ping");
  assert.equal(await nextServerMessage(alice), "pong");
  // Not a command any more, so the line is ordinary chat and is relayed.
  assert.deepEqual(await nextChat(bob), { id: alice.id, text: "/ping" });
});

/**
 * The bundled plugins (top-level `plugins/`), each through the `./testing` harness over real
 * sockets.
 */
import assert from "node:assert/strict";
import { Header } from "../../src/protocol/mod.ts";
import { nextChat, nextServerMessage, type SarClient, startTestServer } from "../../testing.ts";
import type { FinishRecord, PluginHistory } from "../../plugin.ts";
import { MessageOfTheDay } from "../../plugins/motd.ts";
import { ChatGuard } from "../../plugins/chat_guard.ts";
import { RaceHelper } from "../../plugins/race_helper.ts";

/** Every server chat line a client has received so far (after a ping barrier). */
async function serverLines(client: SarClient): Promise<string[]> {
  await client.ping();
  const lines = client.inbox.flatMap((r) =>
    r.packet.header === Header.MESSAGE && r.packet.id === 0 ? [r.packet.text] : []
  );
  client.clearInbox();
  return lines;
}

Deno.test("motd greets each joining player alone, with their name", async () => {
  await using t = await startTestServer({
    plugins: [MessageOfTheDay],
    sections: { motd: { message: "Hi {name}, races at 8", spectators: false } },
  });
  const alice = await t.connect("Alice");
  assert.equal(await nextServerMessage(alice), "Hi Alice, races at 8");
  const bob = await t.connect("Bob");
  assert.equal(await nextServerMessage(bob), "Hi Bob, races at 8");
  assert.deepEqual(await serverLines(alice), [], "Alice read Bob's greeting");
  const watcher = await t.connect("Watcher", { spectator: true });
  assert.deepEqual(await serverLines(watcher), []);
  alice.sendMessage("/motd");
  assert.equal(await nextServerMessage(alice), "Hi Alice, races at 8");
  assert.equal(await t.execute("motd"), "Hi operator, races at 8");
});

Deno.test("motd refuses an unknown setting", async () => {
  await assert.rejects(
    startTestServer({ plugins: [MessageOfTheDay], sections: { motd: { mesage: "typo" } } }),
    /unknown key "mesage" in \[plugins\.motd\]; known keys are message, spectators/,
  );
});

Deno.test("chat guard caps line length and rate per player, without touching others", async () => {
  await using t = await startTestServer({
    plugins: [ChatGuard],
    sections: { "chat-guard": { max_length: 10, burst: 2, per_minute: 60 } },
  });
  const alice = await t.connect("Alice");
  const bob = await t.connect("Bob");
  const carol = await t.connect("Carol");
  alice.sendMessage("this line is far too long");
  assert.equal(
    await nextServerMessage(alice),
    "Your message is too long (25 characters, at most 10).",
  );
  alice.sendMessage("one");
  alice.sendMessage("two");
  alice.sendMessage("three");
  assert.equal(await nextServerMessage(alice), "You are sending messages too fast; wait a moment.");
  bob.sendMessage("bob's");
  const seen = [await nextChat(carol), await nextChat(carol), await nextChat(carol)];
  assert.deepEqual(seen.map((c) => c.text).sort(), ["bob's", "one", "two"]);
  t.clock.advance(1000); // one more line a second
  alice.sendMessage("four");
  assert.deepEqual(await nextChat(carol), { id: alice.id, text: "four" });
});

Deno.test("chat guard: admins mute and unmute; a muted player's chat goes nowhere", async () => {
  await using t = await startTestServer({ plugins: [ChatGuard] });
  const alice = await t.connect("Alice");
  const bob = await t.connect("Bob");
  alice.sendMessage("/mute Bob");
  assert.equal(await nextServerMessage(alice), "Only admins may run /mute");
  assert.equal(await t.execute("mute Bob"), "Muted Bob");
  assert.equal(await nextServerMessage(bob), "You have been muted.");
  bob.sendMessage("can anyone hear me");
  assert.equal(await nextServerMessage(bob), "You are muted.");
  assert.equal(await t.execute("unmute Bob"), "Unmuted Bob");
  assert.equal(await t.execute("unmute Bob"), "Bob is not muted");
  bob.sendMessage("back");
  assert.deepEqual(await nextChat(alice), { id: bob.id, text: "back" });
});

Deno.test("race helper: the countdown starts when every player is ready; finishes are announced in order and stored", async () => {
  const finishes: FinishRecord[] = [];
  const history: PluginHistory = { recordFinish: (record) => void finishes.push(record) };
  await using t = await startTestServer({ plugins: [RaceHelper], history });
  const alice = await t.connect("Alice", { map: "sp_a1_intro1" });
  const bob = await t.connect("Bob", { map: "sp_a1_intro1" });
  await t.connect("Watcher", { spectator: true });
  const countdown = t.server.once("countdown");
  alice.sendMessage("/ready");
  assert.equal(await nextServerMessage(bob), "Alice is ready (1/2)");
  alice.sendMessage("/race");
  assert.equal(await nextServerMessage(alice, /ready;/), "1/2 ready; waiting for Bob");
  bob.sendMessage("/ready");
  assert.equal(await nextServerMessage(alice, /Bob is ready/), "Bob is ready (2/2)");
  assert.equal(await nextServerMessage(alice), "Everyone is ready: the race starts!");
  assert.equal((await countdown).actor, "race-helper");
  assert.equal((await alice.nextOf(Header.COUNTDOWN)).packet.step, 0);
  bob.send({ header: Header.SPEEDRUN_FINISH, id: bob.id, time: "12.345" });
  alice.send({ header: Header.SPEEDRUN_FINISH, id: alice.id, time: "13.000" });
  assert.equal(await nextServerMessage(alice, /^1\./), "1. Bob 12.345");
  assert.equal(await nextServerMessage(alice, /^2\./), "2. Alice 13.000");
  // A second finish of the same race counts once.
  bob.send({ header: Header.SPEEDRUN_FINISH, id: bob.id, time: "11.000" });
  await t.server.once("speedrunFinish");
  alice.sendMessage("/race");
  assert.equal(await nextServerMessage(alice, /^\d+\. /), "1. Bob 12.345");
  assert.equal(await nextServerMessage(alice, /^\d+\. /), "2. Alice 13.000");
  assert.deepEqual((await serverLines(alice)).filter((line) => /^\d+\. /.test(line)), []);
  assert.deepEqual(
    finishes.map(({ map, name, time, place }) => ({ map, name, time, place })),
    [
      { map: "sp_a1_intro1", name: "Bob", time: "12.345", place: 1 },
      { map: "sp_a1_intro1", name: "Alice", time: "13.000", place: 2 },
    ],
  );
});

Deno.test("race helper: a ready player leaving can complete the set; one player is not a race", async () => {
  await using t = await startTestServer({ plugins: [RaceHelper] });
  const alice = await t.connect("Alice");
  alice.sendMessage("/ready");
  assert.equal(await nextServerMessage(alice), "Alice is ready (1/1)");
  const bob = await t.connect("Bob");
  const carol = await t.connect("Carol");
  bob.sendMessage("/ready");
  assert.equal(await nextServerMessage(carol, /Bob/), "Bob is ready (2/3)");
  const countdown = t.server.once("countdown");
  await carol.disconnect();
  await countdown;
  assert.equal(
    await nextServerMessage(alice, /race starts/),
    "Everyone is ready: the race starts!",
  );
});

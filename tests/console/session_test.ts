/** The console's parts without a process: sessions, completion, and stop-signal bursts. */
import assert from "node:assert/strict";
import { createCommandTable } from "../../src/admin/mod.ts";
import { stopRequests } from "../../src/cli/signals.ts";
import { completeLine } from "../../src/console/complete.ts";
import { CommandSession, PROMPT } from "../../src/console/session.ts";
import { withServer } from "../helpers/harness.ts";
import { Header } from "../../src/protocol/mod.ts";

Deno.test("a session asks the old two-step commands' arguments, one line each", async () => {
  await withServer({}, async (t) => {
    const alice = await t.connect("Alice");
    const session = new CommandSession(createCommandTable(), t.server, "console");
    assert.deepEqual(await session.line("countdown_set"), {
      kind: "question",
      text: "Pre-countdown command: ",
    });
    assert.equal(session.prompt, "Pre-countdown command: ");
    assert.equal((await session.line("sv_cheats 0")).kind, "question");
    assert.equal((await session.line("")).text, "Countdown duration: ");
    assert.deepEqual(await session.line("7"), { kind: "ok", text: "Initialized countdown" });
    assert.equal(session.prompt, PROMPT);
    assert.deepEqual(t.server.countdownSettings(), {
      delay: 7,
      preCommands: "sv_cheats 0",
      postCommands: "",
    });
    // Inline arguments run at once; a bad answer is one line and ends the question.
    assert.equal((await session.line("disconnect_id")).kind, "question");
    assert.deepEqual(await session.line("soon"), {
      kind: "error",
      text: "id must be a whole number from 0 to 4294967295, got 'soon'",
    });
    assert.equal(session.prompt, PROMPT);
    assert.equal((await session.line(`disconnect_id ${alice.id}`)).kind, "ok");
    await alice.closed;
  });
});

Deno.test("completion: commands, sub-commands, choices, and connected players' names and ids", async () => {
  await withServer({}, async (t) => {
    const table = createCommandTable();
    const bob = await t.connect("Bob Smith");
    await t.connect("Alice");
    const complete = (line: string) => completeLine(table, t.server, line);
    assert.deepEqual(complete("acc"), [["accept", "accept_players", "accept_spectators"], "acc"]);
    assert.deepEqual(complete("whitelist r"), [["remove"], "r"]);
    assert.deepEqual(complete("refuse "), [["all", "players", "spectators"], ""]);
    assert.deepEqual(complete("kick "), [['"Bob Smith"', "Alice", "id", "ip", "name"], ""]);
    assert.deepEqual(complete("kick id "), [[String(bob.id), "2"].sort(), ""]);
    assert.deepEqual(complete('msg "Bo'), [['"Bob Smith"'], '"Bo']);
    assert.deepEqual(complete("say hel"), [[], "hel"], "free text is not completed");
    assert.deepEqual(complete("nosuch x"), [[], "x"]);
    // The answer the completion builds parses back to the same player.
    const output = await table.execute('msg "Bob Smith" hi', {
      server: t.server,
      actor: "console",
    });
    assert.match(output.text, /to Bob Smith/);
    assert.equal((await bob.nextOf(Header.MESSAGE, "tcp")).packet.text, "hi");
  });
});

Deno.test("stop requests: a burst within a second is one Ctrl+C; a later one quits", () => {
  let now = 0;
  const calls: string[] = [];
  const request = stopRequests(() => calls.push("stop"), () => calls.push("quit"), () => now);
  request();
  now = 5;
  request(); // the same Ctrl+C forwarded by deno task
  now = 900;
  request();
  assert.deepEqual(calls, ["stop"]);
  now = 1500;
  request();
  assert.deepEqual(calls, ["stop", "quit"]);
});

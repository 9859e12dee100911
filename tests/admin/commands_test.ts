/**
 * Admin commands run through the table against a real server, with their effects checked at
 * real SAR-like clients.
 */
import assert from "node:assert/strict";
import { type CountdownSetupPacket, Header } from "../../src/protocol/mod.ts";
import {
  type Actor,
  CommandError,
  type CommandOutput,
  ConnectionRefusedError,
  createCommandTable,
  type GhostServerEvents,
  type SarClient,
} from "../../mod.ts";
import { type TestServer, withServer } from "../helpers/harness.ts";

const table = createCommandTable();

function run(t: TestServer, line: string, actor: Actor = "console"): Promise<CommandOutput> {
  return table.execute(line, { server: t.server, actor });
}

async function rejects(t: TestServer, line: string, message: RegExp): Promise<void> {
  await assert.rejects(run(t, line), (error) => {
    assert.ok(error instanceof CommandError, `expected a CommandError, got ${error}`);
    assert.match(error.message, message);
    return true;
  });
}

/** Every event of `type` from now on. */
function record<K extends keyof GhostServerEvents>(
  t: TestServer,
  type: K,
): GhostServerEvents[K][] {
  const seen: GhostServerEvents[K][] = [];
  t.server.on(type, (event) => void seen.push(event));
  return seen;
}

async function nextSetup(client: SarClient): Promise<CountdownSetupPacket> {
  return (await client.nextOf(Header.COUNTDOWN, "tcp")).packet as CountdownSetupPacket;
}

/** Waits for a ping round trip, so that everything the server sent before has arrived. */
async function assertNothingOf(client: SarClient, header: Header): Promise<void> {
  await client.ping();
  assert.equal(client.inbox.some((r) => r.packet.header === header), false);
}

Deno.test("countdown pre/post/start: the exact setup reaches every client, players are then refused", async () => {
  await withServer({}, async (t) => {
    const alice = await t.connect("Alice");
    const carol = await t.connect("Carol", { spectator: true, tcpOnly: true });
    const countdowns = record(t, "countdown");
    const accepting = record(t, "acceptingChange");
    const settings = record(t, "countdownSettingsChange");
    await run(t, 'countdown pre sv_cheats 0;  echo "ready" \n');
    await run(t, "countdown post say go\r\n");
    const output = await run(t, "countdown start 5");
    assert.match(output.text, /^Countdown starting: 5 seconds\n/);
    for (const client of [alice, carol]) {
      assert.deepEqual((await client.nextOf(Header.COUNTDOWN, "tcp")).packet, {
        header: Header.COUNTDOWN,
        id: 0,
        step: 0,
        duration: 5,
        preCommands: 'sv_cheats 0;  echo "ready"',
        postCommands: "say go",
      });
    }
    assert.deepEqual(countdowns, [{
      delay: 5,
      preCommands: 'sv_cheats 0;  echo "ready"',
      postCommands: "say go",
      actor: "console",
    }]);
    assert.deepEqual(accepting, [
      { players: false, spectators: true, cause: "countdown", actor: "console" },
    ]);
    assert.deepEqual(settings.map((e) => e.actor), ["console", "console"]);
    await assert.rejects(t.connect("Late"), ConnectionRefusedError);
    // The settings are kept for the next race; clear empties the commands; bare countdown starts.
    await run(t, "countdown clear");
    assert.deepEqual(t.server.countdownSettings(), { delay: 3, preCommands: "", postCommands: "" });
    await run(t, "countdown", "api");
    const second = await nextSetup(alice);
    assert.deepEqual(
      [second.duration, second.preCommands, second.postCommands],
      [3, "", ""],
    );
    assert.equal(countdowns[1].actor, "api");
    assert.equal(accepting.length, 1, "already refusing: no second acceptingChange");
  });
});

Deno.test("line endings inside countdown commands or messages never reach clients", async () => {
  await withServer({}, async (t) => {
    const alice = await t.connect("Alice");
    for (const words of [["countdown", "pre", "say a\nsay b"], ["say", "one\r\ntwo"]]) {
      assert.throws(() => table.parseWords(words), /cannot contain line breaks/);
    }
    assert.throws(() => table.parseJson("msg", { player: "Alice", message: "a\nb" }), CommandError);
    await run(t, "countdown_set 'sv_cheats 0\r\n' 'say go\n' 2\n");
    await run(t, "countdown");
    const setup = await nextSetup(alice);
    assert.deepEqual([setup.preCommands, setup.postCommands], [
      "sv_cheats 0",
      "say go",
    ]);
    await run(t, "say hello\r\n");
    assert.equal((await alice.nextOf(Header.MESSAGE, "tcp")).packet.text, "hello");
    await assertNothingOf(alice, Header.MESSAGE);
  });
});

Deno.test("kick: one word means one player; name <n> and IPs kick every match", async () => {
  await withServer({}, async (t) => {
    const alice = await t.connect("Alice");
    const dup1 = await t.connect("Dup");
    const dup2 = await t.connect("Dup");
    const bob = await t.connect("Bob");
    const left = record(t, "disconnect");
    await rejects(
      t,
      "kick Dup",
      /^2 players match name 'Dup': \d+ \(Dup\), \d+ \(Dup\); choose one with: id <n>$/,
    );
    await rejects(t, "kick Nobody", /^No player named 'Nobody'$/);
    await rejects(t, "kick 99", /^No player with id 99/);
    await rejects(t, "kick ip 127.9.9.9", /^No player with IP 127\.9\.9\.9$/);
    const output = await run(t, "kick alice"); // an inferred name may differ in case
    assert.equal(output.text, `Kicked Alice (${alice.id})`);
    assert.match((await alice.nextOf(Header.MESSAGE, "tcp")).packet.text, /kicked/);
    await alice.closed;
    assert.equal((await bob.nextOf(Header.DISCONNECT, "tcp")).packet.id, alice.id);
    await run(t, "kick name Dup");
    await dup1.closed;
    await dup2.closed;
    assert.deepEqual(
      left.map((e) => [e.client.name, e.reason, e.actor]),
      [["Alice", "kicked", "console"], ["Dup", "kicked", "console"], ["Dup", "kicked", "console"]],
    );
    await run(t, `disconnect_id ${bob.id}`);
    await bob.closed;
    assert.deepEqual(t.server.clients(), []);
  });
});

Deno.test("ban, ban list, unban: the IP is out until unbanned, every surface sees who did it", async () => {
  await withServer({}, async (t) => {
    const address = t.nextAddress();
    const alice = await t.connect("Alice");
    const mallory = await t.connect("Mallory", { localAddress: address });
    const bans = record(t, "ban");
    const unbans = record(t, "unban");
    const output = await run(t, "ban Mallory", "moderation-plugin");
    assert.equal(output.text, `Banned IP ${address}\nDisconnected Mallory (${mallory.id})`);
    assert.match((await mallory.nextOf(Header.MESSAGE, "tcp")).packet.text, /banned/);
    await mallory.closed;
    assert.equal((await alice.nextOf(Header.DISCONNECT, "tcp")).packet.id, mallory.id);
    assert.deepEqual(bans, [{ ip: address, actor: "moderation-plugin" }]);
    assert.equal((await run(t, "ban list")).text, `Banned IPs:\n  ${address}`);
    await assert.rejects(t.connect("Mallory", { localAddress: address }), ConnectionRefusedError);
    assert.equal((await run(t, `ban ip ${address}`)).text, "Already banned");
    assert.equal((await run(t, "ban ::1")).text, "Banned IP ::1");
    await rejects(t, "unban 10.0.0.1", /^IP 10\.0\.0\.1 is not banned$/);
    await rejects(t, "unban nope", /Invalid IP address 'nope'/);
    assert.equal((await run(t, `unban ${address}`)).text, `Unbanned IP ${address}`);
    assert.deepEqual(unbans, [{ ip: address, actor: "console" }]);
    await t.connect("Mallory", { localAddress: address });
    await run(t, "unban ::1");
    assert.equal((await run(t, "ban list")).text, "No banned IPs");
  });
});

Deno.test("ban <player> [reason…]: the reason goes with the ban event and to the banned player; C++ forms unchanged", async () => {
  await withServer({}, async (t) => {
    const bans = record(t, "ban");
    const address = t.nextAddress();
    const griefer = await t.connect("Griefer", { localAddress: address });
    const output = await run(t, "ban Griefer wall clipping  in lane 2");
    assert.equal(
      output.text,
      `Banned IP ${address}: wall clipping  in lane 2\nDisconnected Griefer (${griefer.id})`,
    );
    assert.equal(
      (await griefer.nextOf(Header.MESSAGE, "tcp")).packet.text,
      "wall clipping  in lane 2",
    );
    await griefer.closed;
    // The C++ syntax: name|id|ip <value>, with or without a reason after it.
    const named = await t.connect("Some Name", { localAddress: t.nextAddress() });
    await run(t, 'ban name "Some Name" spam');
    await named.closed;
    const byId = await t.connect("Third", { localAddress: t.nextAddress() });
    await run(t, `ban id ${byId.id}`);
    await byId.closed;
    await run(t, "ban ip 198.51.100.7 known cheater");
    await run(t, "ban ip 198.51.100.8");
    assert.deepEqual(bans.map((b) => [b.actor, b.message]), [
      ["console", "wall clipping  in lane 2"],
      ["console", "spam"],
      ["console", undefined],
      ["console", "known cheater"],
      ["console", undefined],
    ]);
    assert.deepEqual(bans.slice(3).map((b) => b.ip), ["198.51.100.7", "198.51.100.8"]);
    // A player named like a sub-command or kind still needs the explicit form.
    await rejects(t, "ban id nope why", /Invalid player id 'nope'/);
    await rejects(t, "ban ip 999.1.1.1 why", /Invalid IP address '999\.1\.1\.1'/);
    // From JSON (the HTTP API), the reason is its own field.
    const call = table.parseJson(["ban"], { player: { ip: "198.51.100.9" }, reason: "api" });
    await table.run(call, { server: t.server, actor: "panel" });
    assert.deepEqual(bans.at(-1), { ip: "198.51.100.9", actor: "panel", message: "api" });
    await rejects(
      t,
      `ban ip 198.51.100.10 ${"x".repeat(300)}`,
      /reason is too long: 300 characters, at most 256/,
    );
  });
});

Deno.test("whitelist add/on/kick/list/remove/off, with events", async () => {
  await withServer({}, async (t) => {
    const carol = await t.connect("Carol");
    const alice = await t.connect("Alice");
    const changes = record(t, "whitelistChange");
    assert.equal(
      (await run(t, "whitelist add name alice")).text,
      "Added name 'alice' to whitelist",
    );
    assert.equal((await run(t, "whitelist add ip ::1")).text, "Added IP '::1' to whitelist");
    assert.equal((await run(t, "whitelist on")).text, "Whitelist now enabled");
    assert.equal(
      (await run(t, "whitelist list")).text,
      "Whitelist entries:\n  Name: alice\n  IP:   ::1\nWhitelist is currently on",
    );
    await assert.rejects(t.connect("Bob"), ConnectionRefusedError);
    assert.equal(
      (await run(t, "whitelist kick")).text,
      `Kicked all non-whitelisted clients: Carol (${carol.id})`,
    );
    await carol.closed;
    assert.equal((await alice.nextOf(Header.DISCONNECT, "tcp")).packet.id, carol.id);
    await rejects(t, "whitelist remove name Bob", /^Name 'Bob' is not on the whitelist$/);
    await run(t, "whitelist remove ip ::1");
    await run(t, "whitelist off");
    await t.connect("Bob");
    assert.deepEqual(
      changes.map(({ action, actor, whitelist }) => [action, actor, whitelist.enabled]),
      [
        ["add", "console", false],
        ["add", "console", false],
        ["enable", "console", true],
        ["remove", "console", true],
        ["disable", "console", false],
      ],
    );
    assert.deepEqual(changes[1], {
      action: "add",
      entry: { ip: "::1" },
      whitelist: { enabled: false, names: ["alice"], ips: ["::1"] },
      actor: "console",
    });
  });
});

Deno.test("accept and refuse, and their old names, decide who may join", async () => {
  await withServer({}, async (t) => {
    const changes = record(t, "acceptingChange");
    assert.equal((await run(t, "refuse spectators")).text, "Now refusing new spectators");
    await assert.rejects(t.connect("Watcher", { spectator: true }), ConnectionRefusedError);
    await t.connect("Player");
    await run(t, "refuse_players");
    await assert.rejects(t.connect("Player2"), ConnectionRefusedError);
    await run(t, "ACCEPT all");
    await t.connect("Watcher", { spectator: true });
    await run(t, "refuse all");
    await run(t, "accept_spectators");
    await run(t, "accept_players");
    assert.deepEqual(t.server.accepting(), { players: true, spectators: true });
    assert.deepEqual(changes.map((e) => [e.players, e.spectators, e.cause]), [
      [true, false, "command"],
      [false, false, "command"],
      [true, true, "command"],
      [false, false, "command"],
      [false, true, "command"],
      [true, true, "command"],
    ]);
  });
});

Deno.test("msg reaches one client only; say and server_msg reach everyone", async () => {
  await withServer({}, async (t) => {
    const alice = await t.connect("Alice");
    const bob = await t.connect("Bob");
    const said = record(t, "serverMessage");
    const output = await run(t, `msg "Alice" Good luck,  Alice!`);
    assert.equal(output.text, `[server message to Alice (${alice.id})] Good luck,  Alice!`);
    const message = await alice.nextOf(Header.MESSAGE, "tcp");
    assert.deepEqual(message.packet, { header: Header.MESSAGE, id: 0, text: "Good luck,  Alice!" });
    await assertNothingOf(bob, Header.MESSAGE);
    await rejects(t, "msg Nobody hi", /^No player named 'Nobody'$/);
    await rejects(t, "msg Alice", /^Missing message/);
    await run(t, "say Race in 5 minutes");
    await run(t, "server_msg Last call");
    for (const client of [alice, bob]) {
      assert.equal((await client.nextOf(Header.MESSAGE, "tcp")).packet.text, "Race in 5 minutes");
      assert.equal((await client.nextOf(Header.MESSAGE, "tcp")).packet.text, "Last call");
    }
    assert.deepEqual(said.map((e) => [e.text, e.to?.name, e.actor]), [
      ["Good luck,  Alice!", "Alice", "console"],
      ["Race in 5 minutes", undefined, "console"],
      ["Last call", undefined, "console"],
    ]);
  });
});

Deno.test("list, status and help describe the server; unknown commands are answered", async () => {
  await withServer({}, async (t) => {
    assert.equal((await run(t, "list")).text, "No clients");
    const alice = await t.connect("Alice");
    const carol = await t.connect("Some Player", { spectator: true });
    assert.equal(
      (await run(t, "list")).text,
      `Clients:\n  ${String(alice.id).padEnd(3)} Alice @ 127.0.0.2:${alice.udpPort}\n` +
        `  ${String(carol.id).padEnd(3)} Some Player @ 127.0.0.3:${carol.udpPort} (spectator)`,
    );
    alice.send({ header: Header.MESSAGE, id: carol.id, text: "spoofed" });
    await alice.ping();
    t.clock.advance(150);
    const { data } = await run(t, "status");
    const status = t.server.status();
    assert.deepEqual(data, status);
    assert.equal(JSON.stringify(JSON.parse(JSON.stringify(data))), JSON.stringify(data));
    assert.equal(status.state, "running");
    assert.equal(status.players, 1);
    assert.equal(status.spectators, 1);
    assert.equal(status.uptimeMs, 150);
    assert.ok(status.startedAt && !Number.isNaN(Date.parse(status.startedAt)));
    assert.deepEqual(status.drops, { spoofed_id: 1 });
    assert.equal(status.tickLateness.ticks, 3);
    assert.equal(status.udpBackend, "portable");
    assert.deepEqual(status.countdown, { delay: 3, preCommands: "", postCommands: "" });
    assert.match((await run(t, "help")).text, /^Available commands:\n/);
    assert.match((await run(t, "help countdown start")).text, /^countdown start \[seconds\]/);
    await rejects(
      t,
      "frob --now",
      /^Unknown command: 'frob'\. Enter 'help' for a list of commands$/,
    );
    await rejects(t, "help frob", /^Unknown command: 'frob'$/);
    assert.deepEqual(await run(t, "   "), { text: "" });
  });
});

Deno.test("stop and exit stop the server; clients are told", async () => {
  await withServer({}, async (t) => {
    const alice = await t.connect("Alice");
    const stopped = t.event("stop");
    assert.equal((await run(t, "exit")).text, "Server stopped");
    await stopped;
    await alice.nextOf(Header.STOP_SERVER, "tcp");
    assert.equal((await run(t, "stop")).text, "Server is not running");
  });
});

/**
 * The console as an organiser uses it: `deno task start` in a subprocess, commands typed into
 * its standard input through a pipe, effects checked at real SAR-like clients.
 */
import assert from "node:assert/strict";
import { ConnectionRefusedError, SarClient } from "../../src/client/sar_client.ts";
import { Header } from "../../src/protocol/mod.ts";
import { remoteConsole, ServerProcess } from "../helpers/server_process.ts";

async function withConsoleServer(
  body: (server: ServerProcess, connect: Connect, data: string) => Promise<void>,
): Promise<void> {
  const data = await Deno.makeTempDir();
  const clients: SarClient[] = [];
  let host = 10;
  const server = await ServerProcess.start({ data });
  const connect: Connect = async (name, options = {}) => {
    const client = await SarClient.connect({
      port: server.port,
      name,
      localAddress: `127.0.0.${host++}`,
      ...options,
    });
    clients.push(client);
    return client;
  };
  try {
    await body(server, connect, data);
  } finally {
    await Promise.all(clients.map((client) => client.close()));
    await server.kill();
    await Deno.remove(data, { recursive: true });
  }
}

type Connect = (
  name: string,
  options?: { spectator?: boolean; localAddress?: string },
) => Promise<SarClient>;

Deno.test("console over a pipe: a race's countdown reaches every client exactly, msg reaches one, say all", async () => {
  await withConsoleServer(async (server, connect) => {
    const alice = await connect("Alice");
    const bob = await connect("Bob", { spectator: true });
    await server.command('countdown pre sv_cheats 0; echo "ready"', /Pre-countdown commands: /);
    await server.command("countdown post say go", /Post-countdown commands: say go/);
    await server.command("countdown start 5", /Countdown starting: 5 seconds/);
    for (const client of [alice, bob]) {
      assert.deepEqual((await client.nextOf(Header.COUNTDOWN, "tcp")).packet, {
        header: Header.COUNTDOWN,
        id: 0,
        step: 0,
        duration: 5,
        preCommands: 'sv_cheats 0; echo "ready"',
        postCommands: "say go",
      });
    }
    // The line ending typed after a message never reaches clients.
    await server.command("msg Alice only for you\r", /\[server message to Alice \(\d+\)\]/);
    const private_ = await alice.nextOf(Header.MESSAGE, "tcp");
    assert.equal(private_.packet.text, "only for you");
    await server.command("say hello everyone", /\[server message\] hello everyone/);
    assert.equal((await bob.nextOf(Header.MESSAGE, "tcp")).packet.text, "hello everyone");
    assert.equal((await alice.nextOf(Header.MESSAGE, "tcp")).packet.text, "hello everyone");
    await bob.ping();
    assert.equal(bob.inbox.some((r) => r.packet.header === Header.MESSAGE), false);
    // The old two-step form asks for its argument; the next line answers it.
    await server.command("server_msg", /Message to send:/);
    await server.command("two steps", /\[server message\] two steps/);
    assert.equal((await alice.nextOf(Header.MESSAGE, "tcp")).packet.text, "two steps");
  });
});

Deno.test("console over a pipe: kick, ban, whitelist and accept are felt by clients; bad input is answered", async () => {
  await withConsoleServer(async (server, connect) => {
    const alice = await connect("Alice");
    const bob = await connect("Bob");
    await server.command("kick Bob", /Kicked Bob \(\d+\)/);
    await bob.closed;
    await server.command("ban ip 127.0.0.77", /Banned IP 127\.0\.0\.77/);
    await assert.rejects(connect("Banned", { localAddress: "127.0.0.77" }), ConnectionRefusedError);
    await server.command("whitelist add name Alice", /Added name 'Alice' to whitelist/);
    await server.command("whitelist on", /Whitelist now enabled/);
    await assert.rejects(connect("Carol"), ConnectionRefusedError);
    const alice2 = await connect("Alice", { spectator: true });
    assert.ok(alice2.id > 0);
    await server.command("whitelist off", /./);
    await server.command("refuse players", /Now refusing new players/);
    await assert.rejects(connect("Dave"), ConnectionRefusedError);
    const eve = await connect("Eve", { spectator: true });
    assert.ok(eve.id > 0);
    await server.command("accept all", /Now accepting new players and spectators/);
    assert.ok((await connect("Frank")).id > 0);
    await server.command("list", /Alice @ 127\.0\.0\.10:\d+\n/);
    assert.ok(alice.connected);

    await server.command(
      "nope",
      /^Unknown command: 'nope'\. Enter 'help' for a list of commands$/m,
    );
    await server.command("countdown start 99", /seconds must be a whole number from 0 to 60/);
    await server.command('kick "Unclosed', /^Unterminated " quote at column 6$/m);
    await server.command("kick Nobody", /No player named 'Nobody'/);
    await server.command(
      "unban 999.1.1.1",
      /^Invalid IP address '999\.1\.1\.1' for ip: give an IPv4 or IPv6 literal$/m,
    );
    await server.command("help countdown", /countdown start \[seconds\]/);
  });
});

Deno.test("at the end of console input the server keeps running, and deno task console still reaches it", async () => {
  await withConsoleServer(async (server, connect, data) => {
    await server.closeStdin();
    await server.stderr.wait(/Console input ended; the server keeps running/);
    const late = await connect("Late");
    assert.ok(late.id > 0);
    const status = await remoteConsole(["--data", data, "status"]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /Clients: 1 players, 0 spectators/);
    const stop = await remoteConsole(["--data", data, "stop"]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal((await server.exit()).code, 0);
    await late.closed;
  });
});

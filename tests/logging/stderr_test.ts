/**
 * The server's standard error, as operators break it: a reader that goes away (EPIPE, `| head`)
 * or one that stops reading. Real subprocesses: a server must keep serving either way.
 */
import assert from "node:assert/strict";
import { SarClient } from "../../src/client/sar_client.ts";
import { Header } from "../../src/protocol/mod.ts";
import { DenoChild, serverArgs } from "../helpers/server_process.ts";

/** A server whose standard error is read up to its "listening" line, and no further. */
async function spawnServer(config: string): Promise<{ server: DenoChild; port: number }> {
  const path = await Deno.makeTempFile({ suffix: ".toml" });
  await Deno.writeTextFile(path, config);
  // Its database and admin socket in a directory of its own, never the repository's data/.
  const data = await Deno.makeTempDir();
  const server = new DenoChild(serverArgs(path, data), 30_000);
  try {
    return { server, port: await server.listeningPort() };
  } finally {
    await Deno.remove(path);
  }
}

/** Two players connect, one says something, the other must hear it: the server serves. */
async function exchange(port: number, tag: string): Promise<void> {
  const talker = await SarClient.connect({ port, name: `Talker${tag}`, localAddress: "127.3.0.1" });
  const listener = await SarClient.connect({
    port,
    name: `Listener${tag}`,
    localAddress: "127.3.0.2",
  });
  try {
    talker.sendMessage(`hello ${tag}`);
    await listener.next((p) =>
      p.packet.header === Header.MESSAGE && p.packet.text === `hello ${tag}`
    );
  } finally {
    await Promise.all([talker.close(), listener.close()]);
  }
}

/**
 * Makes the server log about `count` lines: junk datagrams, each dropped and logged at debug
 * level. Sent in small batches, so the server's receive buffer does not overflow.
 */
async function junk(port: number, count: number): Promise<void> {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.3.0.9", port: 0 });
  const datagram = new Uint8Array([0xee, 1, 2, 3]);
  try {
    for (let sent = 0; sent < count; sent += 50) {
      for (let i = 0; i < 50; i++) {
        await socket.send(datagram, { transport: "udp", hostname: "127.0.0.1", port });
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  } finally {
    socket.close();
  }
}

/** Every dropped datagram logged, however many. */
const CONFIG = '[server]\nhostname = "127.0.0.1"\nport = 0\n' +
  '[logging]\nlevel = "debug"\nlines_per_second = 1000000\n';

Deno.test("a server whose standard error reader goes away keeps serving and exits 0", async () => {
  const { server, port } = await spawnServer(CONFIG);
  await server.stderr.cancel(); // closes the pipe: every later write fails with EPIPE
  await junk(port, 1000); // lines to log, into a broken pipe
  await exchange(port, "A"); // and the server is still there
  server.child.kill("SIGINT");
  assert.equal((await server.child.status).code, 0);
});

Deno.test("a server whose standard error nobody reads keeps serving; lines are dropped and counted", async () => {
  // A small queue, so the pipe and then the queue fill up.
  const { server, port } = await spawnServer(`${CONFIG}console_buffer_bytes = 65536\n`);
  // About 400 KiB of log lines: far more than a pipe (64 KiB) and the queue hold while nobody
  // reads. The loop must go on serving all the same.
  await junk(port, 3000);
  await exchange(port, "A");
  // Now read again: the server says how many lines it dropped, and stops cleanly.
  const reading = server.readToEnd();
  await exchange(port, "B");
  server.child.kill("SIGINT");
  assert.equal((await server.child.status).code, 0);
  const log = await reading;
  assert.match(log, /\d+ log lines were dropped: standard error could not keep up/);
  assert.match(log, /Server stopped/);
});

/**
 * The server's standard error, as operators break it: a reader that goes away (EPIPE, `| head`)
 * or one that stops reading. Real subprocesses: a server must keep serving either way.
 */
import assert from "node:assert/strict";
import { SarClient } from "../../src/client/sar_client.ts";
import { Header } from "../../src/protocol/mod.ts";

const root = new URL("../../", import.meta.url);

interface Spawned {
  child: Deno.ChildProcess;
  port: number;
  /** The reader of standard error, positioned after the "listening" line. */
  reader: ReadableStreamDefaultReader<string>;
  log: string;
}

async function spawnServer(config: string): Promise<Spawned> {
  const path = await Deno.makeTempFile({ suffix: ".toml" });
  await Deno.writeTextFile(path, config);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-read", "--allow-write", "src/main.ts", "--config", path],
    cwd: root,
    stdout: "null",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  const listening = /listening on 127\.0\.0\.1:(\d+)/;
  let log = "";
  while (!listening.test(log)) {
    const { value, done } = await reader.read();
    if (done) break;
    log += value;
  }
  await Deno.remove(path);
  const port = Number(listening.exec(log)?.[1]);
  if (!(port > 0)) {
    child.kill("SIGKILL");
    await child.status;
    throw new Error(`The server did not start:\n${log}`);
  }
  return { child, port, reader, log };
}

/** Two players connect; one says `lines` chat lines of `size` bytes; the other must hear them. */
async function chatter(port: number, lines: number, size: number, tag: string): Promise<void> {
  const talker = await SarClient.connect({ port, name: `Talker${tag}`, localAddress: "127.3.0.1" });
  const listener = await SarClient.connect({
    port,
    name: `Listener${tag}`,
    localAddress: "127.3.0.2",
  });
  try {
    const text = "x".repeat(size - 8);
    for (let i = 0; i < lines; i++) talker.sendMessage(`${text}${String(i).padStart(8, "0")}`);
    const last = `${text}${String(lines - 1).padStart(8, "0")}`;
    await listener.next(
      (p) => p.packet.header === Header.MESSAGE && p.packet.text === last,
      15_000,
    );
    await talker.ping();
  } finally {
    await Promise.all([talker.close(), listener.close()]);
  }
}

const CONFIG = '[server]\nhostname = "127.0.0.1"\nport = 0\n';

Deno.test("a server whose standard error reader goes away keeps serving and exits 0", async () => {
  const server = await spawnServer(CONFIG);
  await server.reader.cancel(); // closes the pipe: every later write fails with EPIPE
  await chatter(server.port, 50, 100, "A"); // lines to log, into a broken pipe
  await chatter(server.port, 5, 100, "B"); // and the server is still there
  server.child.kill("SIGINT");
  assert.equal((await server.child.status).code, 0);
});

Deno.test("a server whose standard error nobody reads keeps serving; lines are dropped and counted", async () => {
  // No rate limit to speak of and a small queue, so the pipe and then the queue fill up.
  const server = await spawnServer(
    `${CONFIG}[logging]\nlines_per_second = 1000000\nconsole_buffer_bytes = 65536\n`,
  );
  // 3 000 chat lines of 1 000 bytes, each logged: far more than a pipe (64 KiB) and the
  // queue hold while nobody reads. The loop must go on relaying all the same.
  await chatter(server.port, 3000, 1000, "A");
  // Now read again: the server says how many lines it dropped, and stops cleanly.
  let log = server.log;
  const reading = (async () => {
    for (;;) {
      const { value, done } = await server.reader.read();
      if (done) break;
      log += value;
    }
  })();
  await chatter(server.port, 1, 100, "B");
  server.child.kill("SIGINT");
  assert.equal((await server.child.status).code, 0);
  await reading;
  assert.match(log, /\d+ log lines were dropped: standard error could not keep up/);
  assert.match(log, /Server stopped/);
});

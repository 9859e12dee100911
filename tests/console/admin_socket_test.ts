/**
 * The remote console: the admin socket of a real server process, reached by `deno task
 * console` one command at a time, through a pipe, and by the line protocol directly.
 */
import assert from "node:assert/strict";
import { SarClient } from "../../src/client/sar_client.ts";
import { Header } from "../../src/protocol/mod.ts";
import { AdminClient } from "../../src/console/remote.ts";
import { MAX_REQUEST_BYTES } from "../../src/console/admin_socket.ts";
import { remoteConsole, ServerProcess } from "../helpers/server_process.ts";

async function withServerProcess(
  body: (server: ServerProcess, data: string) => Promise<void>,
): Promise<void> {
  const data = await Deno.makeTempDir();
  const server = await ServerProcess.start({ task: "server", data });
  try {
    await body(server, data);
  } finally {
    await server.kill();
    await Deno.remove(data, { recursive: true });
  }
}

Deno.test("the admin socket is owner-only, and deno task console runs one command with its exit code", async () => {
  await withServerProcess(async (server, data) => {
    const info = await Deno.stat(`${data}/admin.sock`);
    assert.ok(info.isSocket);
    assert.equal(info.mode! & 0o777, 0o600);
    const alice = await SarClient.connect({
      port: server.port,
      name: "Alice",
      localAddress: "127.0.0.21",
    });
    try {
      const countdown = await remoteConsole(["--data", data, "countdown", "start", "4"]);
      assert.equal(countdown.code, 0, countdown.stderr);
      assert.match(countdown.stdout, /^Countdown starting: 4 seconds/);
      const packet = (await alice.nextOf(Header.COUNTDOWN, "tcp")).packet;
      assert.equal("duration" in packet && packet.duration, 4);
      const message = await remoteConsole(["--data", data, "msg", "Alice", "from afar"]);
      assert.equal(message.code, 0, message.stderr);
      assert.equal((await alice.nextOf(Header.MESSAGE, "tcp")).packet.text, "from afar");
      const unknown = await remoteConsole(["--data", data, "frobnicate"]);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stdout, /^Unknown command: 'frobnicate'/);
    } finally {
      await alice.close();
    }
    const nobody = await remoteConsole(["--data", `${data}/elsewhere`, "status"]);
    assert.equal(nobody.code, 2);
    assert.match(nobody.stderr, /no server answers at .*elsewhere\/admin\.sock/);
  });
});

Deno.test("deno task console reads commands from a pipe line by line, prompts included", async () => {
  await withServerProcess(async (_server, data) => {
    const result = await remoteConsole(
      ["--data", data],
      "whitelist add name Alice\nban_id\n12345\nnope\nwhitelist list\n",
    );
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.stdout.trimEnd().split("\n"), [
      "Added name 'Alice' to whitelist",
      "ID of player to ban:",
      "No player with id 12345",
      "Unknown command: 'nope'. Enter 'help' for a list of commands",
      "Whitelist entries:",
      "  Name: Alice",
      "Whitelist is currently off",
    ]);
  });
});

Deno.test("the line protocol: completion, malformed and oversized requests", async () => {
  await withServerProcess(async (server, data) => {
    const bob = await SarClient.connect({
      port: server.port,
      name: "Bob Smith",
      localAddress: "127.0.0.22",
    });
    const client = await AdminClient.connect(`${data}/admin.sock`);
    try {
      assert.deepEqual(await client.request({ complete: "wh" }), {
        completions: ["whitelist"],
        word: "wh",
      });
      assert.deepEqual(await client.request({ complete: "countdown st" }), {
        completions: ["start"],
        word: "st",
      });
      assert.deepEqual(await client.request({ complete: "kick B" }), {
        completions: ['"Bob Smith"'],
        word: "B",
      });
      assert.deepEqual(await client.request({ complete: "whitelist add " }), {
        completions: ["ip", "name"],
        word: "",
      });
      assert.deepEqual(await client.request({ line: 'kick "Bob Smith"' }), {
        kind: "ok",
        text: `Kicked Bob Smith (${bob.id})`,
      });
    } finally {
      client.close();
      await bob.close();
    }
    const raw = await Deno.connect({ transport: "unix", path: `${data}/admin.sock` });
    try {
      const lines = raw.readable.pipeThrough(new TextDecoderStream()).getReader();
      await raw.write(new TextEncoder().encode("not json\n"));
      assert.match((await lines.read()).value!, /"kind":"error".*one JSON object per line/);
      await raw.write(new Uint8Array(MAX_REQUEST_BYTES + 10).fill(0x61));
      let rest = "";
      for (;;) {
        const { value, done } = await lines.read();
        if (done) break;
        rest += value;
      }
      assert.match(rest, /A request is limited to 65536 bytes/);
    } finally {
      try {
        raw.close();
      } catch {
        // Closed by the server.
      }
    }
  });
});

Deno.test("a second server on the same data directory is refused; a stale socket is replaced", async () => {
  await withServerProcess(async (_server, data) => {
    const second = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        "src/main.ts",
        "--no-console",
        "--hostname",
        "127.0.0.1",
        "--port",
        "0",
        "--data",
        data,
      ],
      cwd: new URL("../../", import.meta.url),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(20000),
    });
    const { code, stderr } = await second.output();
    assert.equal(code, 1);
    assert.match(
      new TextDecoder().decode(stderr),
      /Another server is running with this data directory .* give this one its own --data directory/,
    );
  });
  // A crashed server leaves its socket file: the next one replaces it.
  const data = await Deno.makeTempDir();
  try {
    const crashed = await ServerProcess.start({ task: "server", data, direct: true });
    await crashed.kill();
    assert.ok((await Deno.lstat(`${data}/admin.sock`)).isSocket);
    const next = await ServerProcess.start({ task: "server", data, direct: true });
    try {
      const status = await remoteConsole(["--data", data, "status"]);
      assert.equal(status.code, 0, status.stderr);
    } finally {
      await next.kill();
    }
  } finally {
    await Deno.remove(data, { recursive: true });
  }
});

Deno.test("deno task console finds the data directory from the server's config.toml", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const config = `${dir}/server.toml`;
    await Deno.writeTextFile(config, `[storage]\npath = "${dir}/state/ghosting.db"\n`);
    const server = await ServerProcess.start({ task: "server", args: ["--config", config] });
    try {
      const status = await remoteConsole(["--config", config, "say", "-dash", "text"]);
      assert.equal(status.code, 0, status.stderr);
      assert.equal(status.stdout, "[server message] -dash text\n");
      const bad = await remoteConsole(["--config", `${dir}/missing.toml`, "status"]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /missing\.toml: no such file/);
    } finally {
      await server.kill();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

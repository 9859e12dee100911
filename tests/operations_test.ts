/**
 * Running the server as a new user would: state that survives a crash, one Ctrl+C through
 * `deno task start`, SIGHUP, flag and config precedence, paths relative to where the command
 * was typed, and clear errors for bad files.
 */
import assert from "node:assert/strict";
import { SarClient } from "../src/client/sar_client.ts";
import { Header } from "../src/protocol/mod.ts";
import { ROOT_PATH, ServerProcess, taskArgs } from "./helpers/server_process.ts";

/** The children of a process. */
async function childPids(pid: number): Promise<number[]> {
  const { stdout } = await new Deno.Command("pgrep", { args: ["-P", String(pid)] }).output();
  return new TextDecoder().decode(stdout).trim().split(/\s+/).filter(Boolean).map(Number);
}

async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs the server task's command to completion (for start-up errors), no console input. */
async function runServer(args: string[], cwd = ROOT_PATH) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [...taskArgs("server"), ...args],
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(20000),
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

Deno.test("a ban and a whitelist change committed before SIGKILL are there after restart", async () => {
  await withTempDir(async (data) => {
    const first = await ServerProcess.start({ direct: true, data });
    try {
      await first.command("ban ip 203.0.113.9", /Banned IP 203\.0\.113\.9/);
      await first.command("whitelist add name Alice", /Added name 'Alice' to whitelist/);
      await first.command("refuse spectators", /Now refusing new spectators/);
      await first.command("countdown pre sv_cheats 0", /Pre-countdown commands/);
    } finally {
      const status = await first.kill();
      assert.equal(status.signal, "SIGKILL");
    }
    const second = await ServerProcess.start({ direct: true, data });
    try {
      assert.match(
        second.stderr.text,
        /State: 1 banned IPs; whitelist off \(1 entries\); accepting players yes, spectators no/,
      );
      await second.command("ban list", /Banned IPs:\n {2}203\.0\.113\.9\n/);
      await second.command("whitelist list", /Name: Alice/);
      await second.command("status", /Countdown: 3 s, pre 'sv_cheats 0', post ''/);
      await second.command("history 20", /ban +banned 203\.0\.113\.9 by console/);
    } finally {
      await second.kill();
    }
  });
});

Deno.test("one Ctrl+C through deno task start stops gracefully: clients are told, exit code 0", async () => {
  await withTempDir(async (data) => {
    const server = await ServerProcess.start({ task: "start", data });
    const alice = await SarClient.connect({
      port: server.port,
      name: "Alice",
      localAddress: "127.0.0.31",
    });
    try {
      // A terminal's Ctrl+C reaches the whole foreground group: the task runner and the
      // server. Whether or not the runner forwards it, deliver the forwarded copy too, as a
      // runner that forwards would: the server must see one Ctrl+C, not "press again".
      const serverPid = (await childPids(server.pid))[0];
      assert.ok(serverPid > 0, "the task runner's child is the server");
      server.signalGroup("SIGINT");
      Deno.kill(serverPid, "SIGINT");
      const told = await alice.nextOf(Header.STOP_SERVER, "tcp");
      assert.equal(told.packet.header, Header.STOP_SERVER);
      const status = await server.exit();
      assert.equal(status.code, 0, server.stderr.text);
      assert.match(server.stderr.text, /Server stopped/);
      assert.doesNotMatch(server.stderr.text, /Uncaught|error:/);
    } finally {
      await alice.close();
      await server.kill();
    }
  });
});

Deno.test("SIGHUP and SIGTERM stop gracefully too", async () => {
  for (const signal of ["SIGHUP", "SIGTERM"] as const) {
    await withTempDir(async (data) => {
      const server = await ServerProcess.start({ task: "server", direct: true, data });
      try {
        Deno.kill(server.pid, signal);
        assert.equal((await server.exit()).code, 0, signal);
        assert.match(server.stderr.text, /Server stopped/);
      } finally {
        await server.kill();
      }
    });
  }
});

Deno.test("flags override config.toml, which overrides the defaults; relative paths are the caller's", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/race.toml`,
      '[server]\nhostname = "127.0.0.99"\nport = 1\n[countdown]\ndelay = 9\n[storage]\npath = "state/x.db"\n',
    );
    // Run from another directory than the repository, as `deno task` users do.
    const server = await ServerProcess.start({
      task: "start",
      cwd: dir,
      args: ["--config", "race.toml", "--data", "mydata"],
    });
    try {
      assert.match(server.stderr.text, /configuration: .*\/race\.toml; data: .*\/mydata/);
      assert.match(server.stderr.text, /Players connect with: ghost_connect 127\.0\.0\.1 \d+/);
      await server.command("status", /Countdown: 9 s/);
      assert.ok((await Deno.stat(`${dir}/mydata/ghosting.db`)).isFile);
      await assert.rejects(Deno.stat(`${dir}/state`), Deno.errors.NotFound);
    } finally {
      await server.kill();
    }
  });
});

Deno.test("--version, --help and the two tasks' console flag", async () => {
  const version = await runServer(["--version"]);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^@ghosting\/server \d+\.\d+\.\d+\n$/);
  const help = await runServer(["--help"]);
  assert.match(help.stdout, /--data DIR/);
  assert.match(help.stdout, /--no-console/);
  assert.ok(taskArgs("server").includes("--no-console"));
  assert.ok(!taskArgs("start").includes("--no-console"));
});

Deno.test("unquoted text in config.toml gets a hint; unusable log or database paths name their key", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/a.toml`, "[logging]\nlevel = info\n");
    const toml = await runServer(["--config", `${dir}/a.toml`]);
    assert.equal(toml.code, 1);
    assert.match(toml.stderr, /invalid TOML at line 2.*; put text in quotes: level = "info"/);

    await Deno.mkdir(`${dir}/logdir`);
    await Deno.writeTextFile(
      `${dir}/b.toml`,
      `[logging]\nfile = true\nfilename = "${dir}/logdir"\n`,
    );
    const log = await runServer(["--config", `${dir}/b.toml`, "--data", `${dir}/data`]);
    assert.equal(log.code, 1);
    assert.match(log.stderr, /^error: \[logging\] filename ".*logdir" cannot be written/m);
    assert.doesNotMatch(log.stderr, /\n\s+at /, "no stack trace");

    await Deno.mkdir(`${dir}/db.db`);
    await Deno.writeTextFile(`${dir}/c.toml`, `[storage]\npath = "${dir}/db.db"\n`);
    const db = await runServer(["--config", `${dir}/c.toml`]);
    assert.equal(db.code, 1);
    assert.match(db.stderr, /^error: \[storage\] path ".*db\.db" is a directory/m);

    await Deno.writeTextFile(`${dir}/corrupt.db`, "not a database ".repeat(500));
    await Deno.writeTextFile(`${dir}/d.toml`, `[storage]\npath = "${dir}/corrupt.db"\n`);
    const corrupt = await runServer(["--config", `${dir}/d.toml`]);
    assert.equal(corrupt.code, 1);
    assert.match(
      corrupt.stderr,
      /^error: \[storage\] path ".*corrupt\.db": file is not a database; .*move it aside/m,
    );
  });
});

Deno.test("deno task client --host ::1 reaches a server listening on ::, with no other flag", async () => {
  const { GhostServer } = await import("../src/server/mod.ts");
  const server = new GhostServer({ hostname: "::", port: 0 });
  await server.start();
  try {
    const joined = server.once("connect");
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        ...taskArgs("client"),
        "--name",
        "Six",
        "--host",
        "::1",
        "--port",
        String(server.port),
      ],
      cwd: ROOT_PATH,
      stdin: "piped",
      stdout: "null",
      stderr: "null",
      signal: AbortSignal.timeout(20000),
    }).spawn();
    const { client } = await joined;
    assert.equal(client.name, "Six");
    assert.equal(client.ip, "::1");
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode("/quit\n"));
    await writer.close();
    assert.equal((await child.status).code, 0);
  } finally {
    await server.stop();
  }
});

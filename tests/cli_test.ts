/** The server's command line, run as users run it (`deno task server …`). */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { DenoChild, serverArgs, taskArgs, withConfigFile } from "./helpers/server_process.ts";

const root = new URL("../", import.meta.url);

interface Finished {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs src/main.ts with its own temporary data directory (never the repository's data/). */
async function runMain(args: string[], timeoutMs = 20000): Promise<Finished> {
  const data = await Deno.makeTempDir();
  try {
    const command = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "src/main.ts",
        "--data",
        data,
        ...args,
      ],
      cwd: root,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(timeoutMs),
    });
    const { code, stdout, stderr } = await command.output();
    const decoder = new TextDecoder();
    return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
  } finally {
    await Deno.remove(data, { recursive: true });
  }
}

Deno.test("an unknown config key exits 1 naming the key and the known ones", async () => {
  await withConfigFile("[server]\nprot = 53000\n", async (path) => {
    const result = await runMain(["--config", path]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /unknown key "prot" in \[server\]; known keys are hostname, port/);
  });
});

Deno.test("a config value of the wrong type or out of range exits 1 naming it", async () => {
  await withConfigFile("[server]\nport = 70000\n", async (path) => {
    const result = await runMain(["--config", path]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /\[server\] port must be from 0 to 65535, got 70000/);
  });
  await withConfigFile('[logging]\nconsole = "yes"\n', async (path) => {
    const result = await runMain(["--config", path]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /\[logging\] console must be true or false, got "yes"/);
  });
});

Deno.test("a missing config file exits 1 saying so", async () => {
  const result = await runMain(["--config", "/nonexistent/ghosting.toml"]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /ghosting\.toml: no such file/);
});

Deno.test("a bad --port or an unknown flag exits 2 with the usage", async () => {
  const port = await runMain(["--port", "70000"]);
  assert.equal(port.code, 2);
  assert.match(port.stderr, /--port must be from 0 to 65535, got 70000/);
  assert.match(port.stderr, /Usage: deno task start\|server/);
  const word = await runMain(["--port", "lots"]);
  assert.match(word.stderr, /--port must be an integer from 0 to 65535, got "lots"/);
  const flag = await runMain(["--prot", "1"]);
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /Unknown option '--prot'/);
});

Deno.test("--help prints the usage and exits 0", async () => {
  const result = await runMain(["--help"]);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /--config FILE/);
});

Deno.test("a port in use exits 1 saying so", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (listener.addr as Deno.NetAddr).port;
    const result = await runMain(["--hostname", "127.0.0.1", "--port", String(port)]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`Port ${port} is already in use on 127.0.0.1`));
  } finally {
    listener.close();
  }
});

Deno.test("deno task server passes its arguments to the server", async () => {
  const { code, stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["task", "server", "--help"],
    cwd: root,
    stdout: "piped",
    stderr: "null",
    signal: AbortSignal.timeout(20000),
  }).output();
  assert.equal(code, 0);
  assert.match(new TextDecoder().decode(stdout), /Usage: deno task start\|server/);
});

/** A server started from the command line, on 127.0.0.1 and a free port. */
interface RunningServer {
  port: number;
  /** Sends SIGINT and resolves with the exit code and everything logged. */
  interrupt(): Promise<{ code: number; log: string }>;
}

/** Runs `deno <args> --hostname 127.0.0.1 --port 0` and waits until it listens. */
async function startServer(args: string[]): Promise<RunningServer> {
  const data = await Deno.makeTempDir();
  const server = new DenoChild([...args, "--hostname", "127.0.0.1", "--port", "0", "--data", data]);
  const port = await server.listeningPort();
  return {
    port,
    async interrupt() {
      server.child.kill("SIGINT");
      const log = await server.readToEnd();
      const code = (await server.child.status).code;
      await Deno.remove(data, { recursive: true });
      return { code, log };
    },
  };
}

Deno.test("the server task's command runs the server, and SIGINT stops it cleanly", async () => {
  // `deno task` does not forward signals to its child, so run the task's command itself.
  await withConfigFile('[logging]\nlevel = "debug"\n', async (path) => {
    const server = await startServer([...taskArgs("server"), "--config", path]);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    conn.close();
    const { code, log } = await server.interrupt();
    assert.equal(code, 0);
    assert.match(log, /Server stopped/);
  });
});

/**
 * Runs src/main.ts with `path` and the permissions the UDP backend choice depends on (FFI or
 * not), then stops it with SIGINT and returns its exit code and log.
 */
async function runUntilInterrupted(path: string, { ffi }: { ffi: boolean }) {
  const permissions = ["--allow-net", "--allow-read", "--allow-write"];
  if (ffi) permissions.push("--allow-ffi");
  const server = await startServer(["run", ...permissions, "src/main.ts", "--config", path]);
  return await server.interrupt();
}

Deno.test("udp_backend = mmsg without --allow-ffi falls back to the portable backend and says why", async () => {
  await withConfigFile('[server]\nudp_backend = "mmsg"\n', async (path) => {
    const { code, log } = await runUntilInterrupted(path, { ffi: false });
    assert.equal(code, 0);
    assert.match(
      log,
      /UDP backend mmsg unavailable \(FFI is not allowed; run Deno with --allow-ffi\); using portable/,
    );
    assert.match(log, /UDP backend: portable/);
  });
});

Deno.test("the default udp_backend (auto) picks the portable backend without --allow-ffi, saying why", async () => {
  await withConfigFile("", async (path) => {
    const { code, log } = await runUntilInterrupted(path, { ffi: false });
    assert.equal(code, 0);
    assert.match(
      log,
      /UDP backend: portable; auto: FFI is not allowed; run Deno with --allow-ffi\)/,
    );
    // A choice made by "auto" is not a problem: no warning.
    assert.doesNotMatch(log, /unavailable/);
  });
});

Deno.test("the default udp_backend (auto) picks the batched backend with --allow-ffi on Linux", {
  ignore: Deno.build.os !== "linux",
}, async () => {
  await withConfigFile("", async (path) => {
    const { code, log } = await runUntilInterrupted(path, { ffi: true });
    assert.equal(code, 0);
    assert.match(log, /UDP backend: mmsg; auto: batched system calls work here .*; UDP GSO on\)/);
  });
});

Deno.test("[logging] file = true writes the log to the file, creating its directory", async () => {
  const directory = await Deno.makeTempDir();
  try {
    const filename = `${directory}/nested/ghosting.log`;
    const config = `[logging]\nconsole = false\nfile = true\nfilename = "${filename}"\n`;
    await withConfigFile(config, async (path) => {
      const server = await startServerLoggingTo(path, filename);
      const { code } = await server.interrupt();
      assert.equal(code, 0);
    });
    const log = await Deno.readTextFile(filename);
    assert.match(log, /\[INF\] ghosting·server: Server listening on 127\.0\.0\.1:\d+/);
    assert.match(log, /Server stopped/);
  } finally {
    await Deno.remove(directory, { recursive: true });
  }
});

/** Like startServer, for a server that logs only to `filename`: waits for the file instead. */
async function startServerLoggingTo(configPath: string, filename: string): Promise<RunningServer> {
  const child = new Deno.Command(Deno.execPath(), {
    args: serverArgs(
      configPath,
      `${dirname(filename)}/data`,
      "--hostname",
      "127.0.0.1",
      "--port",
      "0",
    ),
    cwd: root,
    stdout: "null",
    stderr: "null",
    signal: AbortSignal.timeout(20000),
  }).spawn();
  const listening = /listening on 127\.0\.0\.1:(\d+)/;
  let port = 0;
  for (let attempt = 0; attempt < 400 && !port; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    const log = await Deno.readTextFile(filename).catch(() => "");
    port = Number(listening.exec(log)?.[1] ?? 0);
  }
  assert.ok(port > 0, "the server never logged that it listens");
  return {
    port,
    async interrupt() {
      child.kill("SIGINT");
      return { code: (await child.status).code, log: await Deno.readTextFile(filename) };
    },
  };
}

Deno.test("deno task client connects, prints what it receives and sends what is typed", async () => {
  const { GhostServer } = await import("../src/server/mod.ts");
  const server = new GhostServer({ hostname: "127.0.0.1", port: 0 });
  await server.start();
  try {
    const said = server.once("message");
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net",
        "--allow-read",
        "src/client/main.ts",
        "--name",
        "Typist",
        "--port",
        String(server.port),
        "--map",
        "sp_a1_intro1",
      ],
      cwd: root,
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
      signal: AbortSignal.timeout(20000),
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode("hello from the terminal\n"));
    const event = await said;
    assert.equal(event.client.name, "Typist");
    assert.equal(event.text, "hello from the terminal");
    server.sendMessage("welcome");
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let output = "";
    while (!output.includes("SERVER: welcome")) {
      const { value, done } = await reader.read();
      if (done) break;
      output += value;
    }
    await writer.write(new TextEncoder().encode("/quit\n"));
    await writer.close();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      output += value;
    }
    const { code } = await child.status;
    assert.equal(code, 0);
    assert.match(output, /Connected as #1; 0 other players connected/);
    assert.match(output, /SERVER: welcome/);
  } finally {
    await server.stop();
  }
});

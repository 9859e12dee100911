/** `deno task server` with [http] enabled: the CLI starts the API, and an admin stop ends the process. */
import assert from "node:assert/strict";

const root = new URL("../../", import.meta.url);

const CONFIG = `
[server]
hostname = "127.0.0.1"
port = 0

[http]
enabled = true
port = 0

[[http.tokens]]
name = "ci"
token = "main-test-admin-token"
scope = "admin"
`;

async function withConfig(text: string, body: (path: string) => Promise<void>): Promise<void> {
  const path = await Deno.makeTempFile({ suffix: ".toml" });
  try {
    await Deno.writeTextFile(path, text);
    await body(path);
  } finally {
    await Deno.remove(path);
  }
}

function spawn(path: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-read", "--allow-write", "src/main.ts", "--config", path],
    cwd: root,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    signal: AbortSignal.timeout(20_000),
  }).spawn();
}

Deno.test("the server task serves HTTP when enabled; /stopServer ends the process", async () => {
  await withConfig(CONFIG, async (path) => {
    const child = spawn(path);
    const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let log = "";
    let port: number | undefined;
    while (port === undefined) {
      const { done, value } = await lines.read();
      if (done) throw new Error(`The server exited:\n${log}`);
      log += value;
      const match = /HTTP API listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(log);
      if (match) port = Number(match[1]);
    }
    const drain = (async () => {
      for (;;) {
        const { done, value } = await lines.read();
        if (done) return;
        log += value;
      }
    })();
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    assert.equal(health.status, 200);
    assert.equal((await health.json()).state, "running");
    const stop = await fetch(`http://127.0.0.1:${port}/stopServer`, {
      headers: { authorization: "Bearer main-test-admin-token" },
    });
    assert.equal(await stop.text(), "Ghost server stopped!");
    const status = await child.status;
    await drain;
    assert.equal(status.code, 0, log);
    assert.match(log, /Server stopped/);
  });
});

Deno.test("a bad [[http.tokens]] entry stops the server before it starts, naming the entry", async () => {
  await withConfig(
    '[http]\nenabled = true\n[[http.tokens]]\nname = "x"\ntoken = "short"\nscope = "admin"\n',
    async (path) => {
      const child = spawn(path);
      const [status, stderr] = await Promise.all([
        child.status,
        new Response(child.stderr).text(),
      ]);
      assert.equal(status.code, 1);
      assert.match(
        stderr,
        /\[http\] tokens entry 1 \(x\) needs a token of at least 16 characters/,
      );
    },
  );
});

/** `deno task server` with [http] enabled: the CLI starts the API, and an admin stop ends the process. */
import assert from "node:assert/strict";
import { DenoChild, serverArgs, withConfigFile } from "../helpers/server_process.ts";

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

function spawn(path: string, data: string): DenoChild {
  return new DenoChild(serverArgs(path, data));
}

async function temporaryDirectory(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir();
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

Deno.test("the server task serves HTTP when enabled; /stopServer ends the process", async () => {
  await withConfigFile(CONFIG, async (path) => {
    await using data = await temporaryDirectory();
    const server = spawn(path, data.path);
    const match = await server.readUntil(/HTTP API listening on http:\/\/127\.0\.0\.1:(\d+)/);
    if (!match) throw new Error(`The server exited:\n${server.log}`);
    const port = Number(match[1]);
    const drain = server.readToEnd();
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    assert.equal(health.status, 200);
    assert.equal((await health.json()).state, "running");
    const stop = await fetch(`http://127.0.0.1:${port}/stopServer`, {
      headers: { authorization: "Bearer main-test-admin-token" },
    });
    assert.equal(await stop.text(), "Ghost server stopped!");
    const status = await server.child.status;
    const log = await drain;
    assert.equal(status.code, 0, log);
    assert.match(log, /Server stopped/);
    // The start-up summary names the token, never its secret.
    assert.match(log, /tokens=\[\{"name":"ci","token":"\(hidden\)","scope":"admin"\}\]/);
    assert.doesNotMatch(server.log + log, /main-test-admin-token/);
  });
});

Deno.test("a bad [[http.tokens]] entry stops the server before it starts, naming the entry", async () => {
  await withConfigFile(
    '[http]\nenabled = true\n[[http.tokens]]\nname = "x"\ntoken = "short"\nscope = "admin"\n',
    async (path) => {
      await using data = await temporaryDirectory();
      const server = spawn(path, data.path);
      const [status, stderr] = await Promise.all([server.child.status, server.readToEnd()]);
      assert.equal(status.code, 1);
      assert.match(
        stderr,
        /\[http\] tokens entry 1 \(x\) needs a token of at least 16 characters/,
      );
    },
  );
});

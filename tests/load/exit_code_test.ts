/** `deno task load` as scripts use it: a run in which no client connected is a failure. */
import assert from "node:assert/strict";

Deno.test("deno task load exits non-zero when no client could connect", async () => {
  // A port nobody listens on: bind one, then free it.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "task",
      "--quiet",
      "load",
      "--",
      ...["--clients", "2", "--seconds", "1", "--warmup-seconds", "0"],
      ...["--staleness-receivers", "0", "--port", String(port)],
    ],
    cwd: new URL("../../", import.meta.url),
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    signal: AbortSignal.timeout(30000),
  }).output();
  assert.equal(code, 1);
  assert.match(
    new TextDecoder().decode(stderr),
    new RegExp(`error: no client could connect to 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED 2\\)`),
  );
});

/**
 * The console on a real terminal (a pseudo-terminal from util-linux `script`): completion,
 * and a log line arriving while the operator types is printed above the prompt, with the
 * half-typed line redrawn below it; Ctrl+C stops the server gracefully.
 */
import assert from "node:assert/strict";
import { SarClient } from "../../src/client/sar_client.ts";
import { cleanEnv, ROOT_PATH } from "../helpers/server_process.ts";

// deno-lint-ignore no-control-regex -- terminal escape sequences
const ESCAPES = /\x1b\[[0-9;]*[A-Za-z]/g;

Deno.test("on a terminal, log lines never garble the line being typed", async () => {
  const data = await Deno.makeTempDir();
  const command = [
    Deno.execPath(),
    ...["task", "--quiet", "--config", `${ROOT_PATH}deno.json`, "start"],
    ...["--hostname", "127.0.0.1", "--port", "0", "--data", data],
  ].join(" ");
  const child = new Deno.Command("script", {
    args: ["-qfec", command, "/dev/null"],
    cwd: ROOT_PATH,
    clearEnv: true,
    env: { ...cleanEnv(), TERM: "xterm" },
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  const type = (text: string) => writer.write(new TextEncoder().encode(text));
  let output = "";
  const reading = (async () => {
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) output += chunk;
  })();
  /** Waits for `pattern` in what the terminal shows (escape sequences removed). */
  const waitFor = async (pattern: RegExp) => {
    const shown = () => output.replace(ESCAPES, "");
    for (let i = 0; i < 500 && !pattern.test(shown()); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.match(shown(), pattern);
  };
  let client: SarClient | undefined;
  try {
    await waitFor(/Tab completes/);
    const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(output)?.[1]);
    await type("stat");
    await type("\t"); // completes to "status"
    await waitFor(/> status/);
    await type("\r");
    await waitFor(/Clients: 0 players/);
    await type("say half-typ");
    await waitFor(/> say half-typ/);
    const before = output.length;
    client = await SarClient.connect({ port, name: "Typist", localAddress: "127.0.0.41" });
    await waitFor(/Connection: Typist/);
    await waitFor(/Connection: Typist[^]*> say half-typ/);
    const after = output.slice(before);
    // The log line starts on a cleared line, and the prompt with the typed text follows it.
    // deno-lint-ignore no-control-regex -- the terminal's clear-line sequence
    assert.match(after, /\x1b\[2K\x1b\[1G[^\n]*Connection: Typist/);
    const plain = after.replace(ESCAPES, "");
    assert.match(plain, /^[^\n]*\[INF\][^\n]*Connection: Typist[^\n]*\r?\n> say half-typ/m);
    await type("ed\r");
    await waitFor(/\[server message\] half-typed/);
    await type("\x03"); // Ctrl+C
    const status = await child.status;
    assert.equal(status.code, 0);
    await reading;
    assert.match(output, /Server stopped/);
  } finally {
    await client?.close();
    try {
      child.kill("SIGKILL");
    } catch {
      // Exited.
    }
    await writer.close().catch(() => {});
    await child.status;
    await reading.catch(() => {});
    await Deno.remove(data, { recursive: true });
  }
});

/** Plugins from the command line and config.toml, in the real server process. */
import assert from "node:assert/strict";
import { SarClient } from "../../src/client/sar_client.ts";
import { nextServerMessage } from "../../testing.ts";
import { DenoChild, taskArgs } from "../helpers/server_process.ts";

const root = new URL("../../", import.meta.url);

Deno.test("--plugin and [plugins] load start plugins; a broken one is reported and the server runs", async () => {
  const dir = await Deno.makeTempDir();
  const config = `${dir}/config.toml`;
  // [plugins] load paths are relative to the config file.
  await Deno.copyFile(new URL("plugins/motd.ts", root), `${dir}/motd.ts`);
  await Deno.writeTextFile(
    `${dir}/motd.ts`,
    (await Deno.readTextFile(`${dir}/motd.ts`)).replace("../plugin.ts", `${root.href}plugin.ts`),
  );
  await Deno.writeTextFile(
    config,
    '[plugins]\nload = ["motd.ts"]\n\n[plugins.motd]\nmessage = "hello {name}"\n',
  );
  const server = new DenoChild([
    ...taskArgs("server"),
    "--config",
    config,
    "--plugin",
    "tests/plugins/fixtures/example_plugin.ts",
    "--plugin",
    "tests/plugins/fixtures/broken_module.ts",
    "--hostname",
    "127.0.0.1",
    "--port",
    "0",
    "--data",
    dir,
  ]);
  const listening = await server.readUntil(/listening on 127\.0\.0\.1:(\d+)/);
  const log = server.log;
  try {
    const port = Number(listening?.[1]);
    assert.ok(port > 0, `the server did not start:\n${log}`);
    assert.match(
      log,
      /Plugin "?[^"\n]*tests\/plugins\/fixtures\/broken_module\.ts"? failed to load/,
    );
    assert.match(log, /this module is broken/);
    const alice = await SarClient.connect({ port, name: "Alice" });
    assert.equal(await nextServerMessage(alice), "hello Alice");
    alice.sendMessage("/ping");
    assert.equal(await nextServerMessage(alice), "pong!");
    await alice.disconnect();
  } finally {
    server.child.kill("SIGINT");
    await server.readToEnd();
    await server.child.status;
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * The package a plugin author depends on: `./plugin` pulls in no network code and needs no
 * unstable flag; the publish dry-run works offline and ships no tests, tools or benchmarks.
 */
import assert from "node:assert/strict";

const root = new URL("../../", import.meta.url);
const rootPath = root.pathname;

async function deno(args: string[], cwd = rootPath) {
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

Deno.test("./plugin loads no network, server or client module", async () => {
  const { code, stdout } = await deno(["info", "--json", "plugin.ts"]);
  assert.equal(code, 0);
  const modules = (JSON.parse(stdout) as { modules: { specifier: string }[] }).modules
    .map((m) => m.specifier.replace(root.href, ""));
  const forbidden = modules.filter((m) =>
    /^src\/(net|client|admin\/(?!command_error)|plugins\/host|testing)/.test(m) ||
    m === "src/server/server.ts"
  );
  assert.deepEqual(forbidden, []);
  assert.ok(modules.includes("src/plugins/plugin.ts"));
});

Deno.test("a plugin type-checks and runs without unstable flags or permissions", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const logtape = (JSON.parse(await Deno.readTextFile(new URL("deno.json", root))) as {
      imports: Record<string, string>;
    }).imports["@logtape/logtape"];
    await Deno.writeTextFile(
      `${dir}/deno.json`,
      JSON.stringify({ imports: { "@logtape/logtape": logtape }, lock: false }),
    );
    await Deno.writeTextFile(
      `${dir}/my_plugin.ts`,
      `import { command, Plugin, pluginCommands } from "${new URL("plugin.ts", root).href}";
export class Mine extends Plugin {
  name = "mine"; version = "1.0.0"; authors = ["me"]; license = "MIT";
  @command("hello <player>", "Says hello")
  async hello() { await this.respond("hello"); }
}
console.log(pluginCommands(new Mine())[0].signature.name);
`,
    );
    const checked = await deno(["check", "my_plugin.ts"], dir);
    assert.equal(checked.code, 0, checked.stderr);
    const ran = await deno(["run", "--no-prompt", "my_plugin.ts"], dir);
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(ran.stdout.trim(), "hello");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the publish dry-run succeeds offline and ships no tests, tools or benchmarks", async () => {
  const { code, stdout, stderr } = await deno(["publish", "--dry-run", "--allow-dirty"]);
  const output = stdout + stderr;
  assert.equal(code, 0, output);
  assert.match(output, /Dry run complete/);
  const files = [...output.matchAll(/file:\/\/\S+/g)].map((m) => m[0].replace(root.href, ""));
  for (const entry of ["mod.ts", "plugin.ts", "testing.ts", "protocol.ts", "client.ts"]) {
    assert.ok(files.includes(entry), `${entry} is not published`);
  }
  for (const needed of ["LICENSE", "README.md", "PLUGINS.md"]) assert.ok(files.includes(needed));
  const extra = files.filter((f) => /^(tests|tools|bench|plugins)\/|^src\/main\.ts$/.test(f));
  assert.deepEqual(extra, []);
});

Deno.test("every TypeScript example of PLUGINS.md type-checks", async () => {
  const { code, stderr } = await deno(["check", "--doc-only", "PLUGINS.md"]);
  assert.equal(code, 0, stderr);
});

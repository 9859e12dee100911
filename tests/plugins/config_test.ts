/** The [plugins] section of config.toml, and the [plugins.<name>] tables it may hold. */
import assert from "node:assert/strict";
import { ConfigError, defaultConfig, parseConfig } from "../../src/config/mod.ts";
import { pluginConfig, pluginSlug } from "../../src/plugins/config.ts";

function rejects(text: string, pattern: RegExp): void {
  assert.throws(() => parseConfig(text, "test.toml"), (error) => {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
    assert.match(error.message, pattern);
    return true;
  });
}

Deno.test("[plugins] defaults, lists, and plugin tables kept for their plugins", () => {
  assert.deepEqual(defaultConfig().plugins, { load: [], admins: [], hook_timeout_ms: 1000 });
  const config = parseConfig(`
[plugins]
load = ["a.ts", "npm:ghost-plugin"]
admins = ["NeKz@127.0.0.1", "Some One@::1"]

[plugins.chat-guard]
max_length = 100
`);
  assert.deepEqual(config.plugins.load, ["a.ts", "npm:ghost-plugin"]);
  assert.deepEqual(config.pluginSections, { "chat-guard": { max_length: 100 } });
  assert.equal(defaultConfig().pluginSections, undefined);
});

Deno.test("[plugins] mistakes name the key and the fix", () => {
  rejects(
    '[plugins]\nload = "a.ts"\n',
    /\[plugins\] load must be an array of strings, got "a\.ts"/,
  );
  rejects("[plugins]\nload = [1]\n", /\[plugins\] load must be an array of strings/);
  rejects('[plugins]\nadmins = ["NeKz"]\n', /admins entries must be "name@ip", got "NeKz"/);
  rejects("[plugins]\nhook_timeout_ms = 0\n", /hook_timeout_ms must be from 1 to 60000, got 0/);
  rejects("[plugins]\nlaod = []\n", /unknown key "laod" in \[plugins\]/);
});

Deno.test("a plugin's section is checked against its schema, defaults filled in", () => {
  const schema = {
    message: { type: "string", default: "hi", doc: "" },
    limit: { type: "integer", min: 1, max: 10, default: 5, doc: "" },
    on: { type: "boolean", default: true, doc: "" },
    words: { type: "string_list", default: ["a"], doc: "" },
  } as const;
  assert.deepEqual(pluginConfig(schema, { limit: 7 }, "[plugins.x]"), {
    message: "hi",
    limit: 7,
    on: true,
    words: ["a"],
  });
  assert.throws(
    () => pluginConfig(schema, { limit: 11 }, "[plugins.x]"),
    /\[plugins\.x\] limit must be from 1 to 10, got 11/,
  );
  assert.throws(
    () => pluginConfig(schema, { on: "yes" }, "[plugins.x]"),
    /on must be true or false/,
  );
  assert.throws(
    () => pluginConfig(undefined, { a: 1 }, "[plugins.x]"),
    /this plugin has no settings/,
  );
  assert.equal(pluginSlug("Example Plugin"), "example-plugin");
});

import assert from "node:assert/strict";
import {
  CONFIG_SCHEMA,
  ConfigError,
  defaultConfig,
  loadConfig,
  parseConfig,
} from "../../src/config/mod.ts";

const root = new URL("../../", import.meta.url);

function rejects(text: string, pattern: RegExp): void {
  assert.throws(() => parseConfig(text, "test.toml"), (error) => {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
    assert.match(error.message, pattern);
    return true;
  });
}

Deno.test("the committed config.toml lists every key with its default", async () => {
  const text = await Deno.readTextFile(new URL("config.toml", root));
  assert.deepEqual(parseConfig(text), defaultConfig());
  for (const [section, fields] of Object.entries(CONFIG_SCHEMA)) {
    assert.match(text, new RegExp(`^\\[${section}\\]$`, "m"));
    for (const key of Object.keys(fields)) assert.match(text, new RegExp(`^${key} = `, "m"));
  }
});

Deno.test("the README documents every key and its default", async () => {
  const readme = await Deno.readTextFile(new URL("README.md", root));
  for (const [section, fields] of Object.entries(CONFIG_SCHEMA)) {
    for (const [key, spec] of Object.entries(fields as Record<string, { default: unknown }>)) {
      const row = readme.split("\n").find((line) => line.startsWith(`| \`${section}.${key}\``));
      assert.ok(row, `README has no row for ${section}.${key}`);
      assert.ok(row.includes(`\`${JSON.stringify(spec.default)}\``), `README default of ${key}`);
    }
  }
});

Deno.test("an empty file gives the defaults", () => {
  assert.deepEqual(parseConfig(""), defaultConfig());
});

Deno.test("values from the file replace defaults key by key", () => {
  const config = parseConfig('[server]\nport = 53123\n[logging]\nlevel = "debug"\n');
  assert.equal(config.server.port, 53123);
  assert.equal(config.server.hostname, "0.0.0.0");
  assert.equal(config.logging.level, "debug");
});

Deno.test("an unknown key is named with the known ones", () => {
  rejects(
    "[server]\nprot = 1\n",
    /test\.toml: unknown key "prot" in \[server\]; known keys are hostname, port/,
  );
});

Deno.test("an unknown section is named", () => {
  rejects("[sever]\nport = 1\n", /unknown section \[sever\]/);
});

Deno.test("a wrong type names the key and the expected type", () => {
  rejects(
    '[server]\nport = "53000"\n',
    /\[server\] port must be an integer from 0 to 65535, got "53000"/,
  );
  rejects(
    "[server]\none_connection_per_ip = 1\n",
    /one_connection_per_ip must be true or false, got 1/,
  );
  rejects("[countdown]\npre_commands = 3\n", /pre_commands must be a string, got 3/);
  rejects("server = 3\n", /server must be a table/);
});

Deno.test("a port out of range names the key and the range", () => {
  rejects("[server]\nport = 70000\n", /\[server\] port must be from 0 to 65535, got 70000/);
  rejects("[server]\nport = -1\n", /port must be from 0 to 65535, got -1/);
  rejects("[server]\nport = 1.5\n", /port must be an integer/);
});

Deno.test("a log level outside the list names the choices", () => {
  rejects(
    '[logging]\nlevel = "loud"\n',
    /level must be one of "trace", "debug", "info", "warning", "error", "fatal", got "loud"/,
  );
});

Deno.test("TOML syntax errors give the line", () => {
  rejects("[server\nport = 1\n", /test\.toml: invalid TOML at line 1/);
});

Deno.test("a missing file says so", async () => {
  await assert.rejects(loadConfig("/nonexistent/ghosting.toml"), /ghosting\.toml: no such file/);
});

Deno.test("defaultConfig returns an independent copy", () => {
  const a = defaultConfig();
  a.server.port = 1;
  assert.equal(defaultConfig().server.port, 53000);
});

Deno.test("max_datagram_bytes is 0 or room for at least one entry", () => {
  assert.equal(parseConfig("[server]\nmax_datagram_bytes = 0\n").server.max_datagram_bytes, 0);
  assert.equal(parseConfig("[server]\nmax_datagram_bytes = 38\n").server.max_datagram_bytes, 38);
  rejects(
    "[server]\nmax_datagram_bytes = 37\n",
    /max_datagram_bytes must be 0 or at least 38 \(one entry\), got 37/,
  );
  rejects("[server]\nmax_datagram_bytes = 70000\n", /max_datagram_bytes must be from 0 to 65507/);
});

Deno.test("udp_backend and bulk_scope accept only their choices", () => {
  assert.equal(parseConfig('[server]\nudp_backend = "mmsg"\n').server.udp_backend, "mmsg");
  assert.equal(parseConfig('[server]\nbulk_scope = "same_map"\n').server.bulk_scope, "same_map");
  rejects(
    '[server]\nudp_backend = "fast"\n',
    /udp_backend must be one of "portable", "mmsg", got "fast"/,
  );
  rejects(
    '[server]\nbulk_scope = "map"\n',
    /bulk_scope must be one of "all", "same_map", got "map"/,
  );
});

Deno.test("[[http.tokens]] entries are checked: scope, name, length, duplicates, unknown keys", () => {
  const token = (fields: string) => `[http]\nenabled = true\n[[http.tokens]]\n${fields}\n`;
  const ok = parseConfig(token('name = "a"\ntoken = "0123456789abcdef"\nscope = "read"'));
  assert.deepEqual(ok.http.tokens.map((t) => ({ ...t })), [
    { name: "a", token: "0123456789abcdef", scope: "read" },
  ]);
  rejects(
    token('name = "a"\ntoken = "0123456789abcdef"\nscope = "root"'),
    /scope must be "read" or "admin", got "root"/,
  );
  rejects(token('token = "0123456789abcdef"\nscope = "read"'), /entry 1 needs a name/);
  rejects(
    token('name = "a"\ntoken = "0123456789abcdef"\nscope = "read"\nrole = 1'),
    /unknown key "role"/,
  );
  rejects(
    token(
      'name = "a"\ntoken = "0123456789abcdef"\nscope = "read"\n[[http.tokens]]\nname = "a"\ntoken = "fedcba9876543210"\nscope = "read"',
    ),
    /entry 2: the name "a" is used twice/,
  );
  rejects("[http]\ntokens = 3\n", /\[http\] tokens must be an array, got 3/);
  assert.deepEqual(defaultConfig().http.tokens, []);
  const first = defaultConfig();
  first.http.tokens.push({ name: "x", token: "0123456789abcdef", scope: "read" });
  assert.deepEqual(defaultConfig().http.tokens, [], "defaults are copies");
});

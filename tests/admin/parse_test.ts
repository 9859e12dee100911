/** The admin layer's parsing: tokenizer, player selectors, argument specs, the table itself. */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  argsJsonSchema,
  CommandError,
  CommandTable,
  createCommandTable,
  defineCommand,
  parsePlayerSelector,
  playerSelectorFromJson,
  tokenize,
} from "../../mod.ts";

function assertCommandError(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof CommandError, `expected a CommandError, got ${error}`);
    assert.match(error.message, message);
    assert.doesNotMatch(error.message, /\n/, "one line");
    return true;
  });
}

Deno.test("tokenize: whitespace, double and single quotes, escapes, trailing line ending", () => {
  assert.deepEqual(tokenize("  kick   name  Alice \n"), ["kick", "name", "Alice"]);
  assert.deepEqual(tokenize('kick "Some Player"'), ["kick", "Some Player"]);
  assert.deepEqual(tokenize(`say "a \\"quoted\\" \\\\ word"`), ["say", 'a "quoted" \\ word']);
  assert.deepEqual(tokenize("say 'it''s' it\\'s 'a \\ b'"), ["say", "its", "it's", "a \\ b"]);
  assert.deepEqual(tokenize('x "" y'), ["x", "", "y"]);
  assert.deepEqual(tokenize(""), []);
  assertCommandError(() => tokenize('kick "Some Player'), /Unterminated " quote at column 6/);
  assertCommandError(() => tokenize("kick 'x"), /Unterminated ' quote/);
});

Deno.test("tokenize: any words survive quoting and escaping (property)", () => {
  const quote = (word: string) => `"${word.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  fc.assert(
    fc.property(fc.array(fc.string(), { maxLength: 8 }), (words) => {
      assert.deepEqual(tokenize(words.map(quote).join(" ")), words);
    }),
  );
});

Deno.test("player selectors: ids, names, IPs inferred from one word, or given explicitly", () => {
  assert.deepEqual(parsePlayerSelector(["3"]), { id: 3, explicit: false });
  assert.deepEqual(parsePlayerSelector(["Alice"]), { name: "Alice", explicit: false });
  assert.deepEqual(parsePlayerSelector(["Some Player"]), { name: "Some Player", explicit: false });
  assert.deepEqual(parsePlayerSelector(["1.2.3.4"]), { ip: "1.2.3.4", explicit: false });
  assert.deepEqual(parsePlayerSelector(["::1"]), { ip: "::1", explicit: false });
  assert.deepEqual(parsePlayerSelector(["::FFFF:1.2.3.4"]), { ip: "1.2.3.4", explicit: false });
  assert.deepEqual(parsePlayerSelector(["NAME", "42"]), { name: "42", explicit: true });
  assert.deepEqual(parsePlayerSelector(["id", "7"]), { id: 7, explicit: true });
  assert.deepEqual(parsePlayerSelector(["ip", "::1"]), { ip: "::1", explicit: true });
  assert.deepEqual(parsePlayerSelector(["name"]), { name: "name", explicit: false });
  assertCommandError(() => parsePlayerSelector([]), /Missing player/);
  assertCommandError(() => parsePlayerSelector(["id", "x"]), /Invalid player id 'x'/);
  assertCommandError(() => parsePlayerSelector(["ip", "example.com"]), /Invalid IP address/);
  assert.deepEqual(playerSelectorFromJson(3), { id: 3, explicit: false });
  assert.deepEqual(playerSelectorFromJson("::1"), { ip: "::1", explicit: false });
  assert.deepEqual(playerSelectorFromJson({ name: "3" }), { name: "3", explicit: true });
  assert.deepEqual(playerSelectorFromJson({ id: 3 }), { id: 3, explicit: true });
  for (const bad of [null, [], {}, { id: "x" }, { id: 1.5 }, { name: 3 }, { id: 1, ip: "::1" }]) {
    assertCommandError(() => playerSelectorFromJson(bad), /player|Invalid/);
  }
});

Deno.test("the table parses lines, word lists and JSON into the same call", () => {
  const table = createCommandTable();
  const fromLine = table.parseLine("Countdown START 5\r\n")!;
  const fromWords = table.parseWords(["countdown", "start", "5"]);
  const fromJson = table.parseJson(["countdown", "start"], { seconds: 5 });
  const fromQuery = table.parseJson("countdown start", { seconds: "5" });
  for (const call of [fromLine, fromWords, fromJson, fromQuery]) {
    assert.deepEqual(call.path, ["countdown", "start"]);
    assert.deepEqual(call.args, { seconds: 5 });
  }
  assert.equal(table.parseLine("   \n"), undefined);
  const msg = table.parseLine('msg "Some Player" hello   "world"')!;
  assert.deepEqual(msg.args, {
    player: { name: "Some Player", explicit: false },
    message: 'hello   "world"',
  });
  assert.deepEqual(table.parseWords(["msg", "id", "3", "hi", "there"]).args, {
    player: { id: 3, explicit: true },
    message: "hi there",
  });
  assert.deepEqual(table.parseJson("whitelist add", { kind: "IP", value: "::1" }).args, {
    kind: "ip",
    value: "::1",
  });
  // The rest of a line is taken as typed: an odd quote in a countdown command is its text.
  assert.deepEqual(table.parseLine('countdown pre echo "go')!.args, { commands: 'echo "go' });
});

Deno.test("bad input is a one-line CommandError that says what is wrong", () => {
  const table = createCommandTable();
  const cases: [string, RegExp][] = [
    ["frob", /^Unknown command: 'frob'\. Enter 'help' for a list of commands$/],
    ["kick", /^Missing player\. Usage: kick <player>$/],
    ["countdown start 61", /seconds must be a whole number from 0 to 60, got '61'/],
    ["countdown start 5s", /got '5s'/],
    ["countdown start 5 6", /^Unexpected '6'\. Usage: countdown start \[seconds\]$/],
    ["countdown pre", /^Missing commands\. Usage: countdown pre <commands…>$/],
    ["accept everyone", /who must be one of players, spectators, all, got 'everyone'/],
    ["unban example.com", /Invalid IP address 'example.com'/],
    ["whitelist add", /Missing kind/],
    ["whitelist add user Bob", /kind must be one of name, ip/],
    ["say", /Missing message/],
    ["ban id nope", /Invalid player id 'nope'/],
  ];
  for (const [line, message] of cases) assertCommandError(() => table.parseLine(line), message);
  assertCommandError(() => table.parseWords(["say", "a\nb"]), /cannot contain line breaks/);
  assertCommandError(() => table.parseWords(["say", "a\rb"]), /cannot contain line breaks/);
  assertCommandError(() => table.parseWords(["countdown", "pre", "a\0"]), /NUL/);
  assertCommandError(() => table.parseWords(["say", "x".repeat(1001)]), /too long/);
  assertCommandError(() => table.parseWords([]), /No command given/);
  assertCommandError(() => table.parseJson("countdown nope"), /Unknown sub-command 'nope'/);
  assertCommandError(() => table.parseJson("kick", {}), /Missing player/);
  assertCommandError(
    () => table.parseJson("kick", { player: 1, extra: 2 }),
    /Unknown argument 'extra'/,
  );
  assertCommandError(() => table.parseJson("say", { message: 5 }), /message must be a string/);
  assertCommandError(() => table.parseJson("say", { message: "a\nb" }), /line breaks/);
  // Leading and trailing line endings are only stripped.
  assert.deepEqual(table.parseWords(["say", "\r\nhello\r\n"]).args, { message: "hello" });
});

Deno.test("plugins register and unregister commands; names are unique, specs checked", () => {
  const table = new CommandTable();
  const hello = defineCommand({
    name: "hello",
    summary: "Say hello",
    args: [{ name: "times", type: "integer", min: 1, max: 3, optional: true, doc: "How often" }],
    run: (_context, { times }) => ({ text: "hello ".repeat(times ?? 1).trim() }),
  });
  const off = table.register(hello);
  assert.equal(table.get("HELLO"), hello);
  assert.throws(() => table.register(hello), /already registered/);
  assert.deepEqual(table.parseLine("hello 2")!.args, { times: 2 });
  off();
  assert.equal(table.get("hello"), undefined);
  assertCommandError(() => table.parseLine("hello"), /Unknown command/);
  table.register(hello);
  assert.equal(table.unregister("hello"), true);
  assert.equal(table.unregister("hello"), false);
  assert.throws(
    () => defineCommand({ name: "Bad Name", summary: "", run: () => ({ text: "" }) }),
    TypeError,
  );
  assert.throws(
    () => defineCommand({ name: "empty", summary: "" }),
    /run function or sub-commands/,
  );
  assert.throws(
    () =>
      defineCommand({
        name: "x",
        summary: "",
        args: [{ name: "a", type: "string", rest: true, doc: "" }, {
          name: "b",
          type: "ip",
          doc: "",
        }],
        run: () => ({ text: "" }),
      }),
    /must be last/,
  );
  assert.throws(
    () =>
      defineCommand({
        name: "x",
        summary: "",
        args: [{ name: "a", type: "ip", optional: true, doc: "" }, {
          name: "b",
          type: "ip",
          doc: "",
        }],
        run: () => ({ text: "" }),
      }),
    /follows an optional one/,
  );
  // Every built-in name is unique and lower case, and the C++ and old Deno names all exist.
  const names = createCommandTable().commands().map((c) => c.name);
  for (
    const name of [
      "help",
      "list",
      "countdown",
      "kick",
      "ban",
      "unban",
      "accept",
      "refuse",
      "say",
      "whitelist",
      "stop",
      "status",
      "msg",
      "exit",
      "countdown_set",
      "disconnect",
      "disconnect_id",
      "ban_id",
      "accept_players",
      "refuse_players",
      "accept_spectators",
      "refuse_spectators",
      "server_msg",
    ]
  ) assert.ok(names.includes(name), name);
});

Deno.test("entries list every runnable path; the JSON schema mirrors what parseJson accepts", () => {
  const table = createCommandTable();
  const paths = table.entries().map(({ path }) => path.join(" "));
  for (const path of ["countdown", "countdown start", "ban", "ban list", "whitelist add", "msg"]) {
    assert.ok(paths.includes(path), path);
  }
  const msg = table.get("msg")!;
  const schema = argsJsonSchema(msg) as {
    properties: Record<string, { oneOf?: unknown[]; maxLength?: number }>;
    required: string[];
    additionalProperties: boolean;
  };
  assert.deepEqual(schema.required, ["player", "message"]);
  assert.equal(schema.additionalProperties, false);
  assert.equal(schema.properties.player.oneOf?.length, 5);
  assert.equal(schema.properties.message.maxLength, 1000);
  const start = table.entries().find(({ path }) => path.join(" ") === "countdown start")!;
  assert.deepEqual(argsJsonSchema(start.command), {
    type: "object",
    properties: {
      seconds: {
        type: "integer",
        minimum: 0,
        maximum: 60,
        description: "Seconds counted down in chat (0–60); default: the stored delay",
      },
    },
    required: [],
    additionalProperties: false,
  });
});

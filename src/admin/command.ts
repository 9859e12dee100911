/**
 * What an admin command is: its name, help, argument spec and action. The argument spec is
 * data, so each surface (console words, HTTP JSON, plugin calls) parses input the same way and
 * an OpenAPI document or tab completion can be generated from it.
 *
 * @module
 */
import { parseIp } from "../net/address.ts";
import type { Actor } from "../server/events.ts";
import type { GhostServer } from "../server/server.ts";
import { CommandError } from "./command_error.ts";
import { parsePlayerSelector, type PlayerSelector, playerSelectorFromJson } from "./selector.ts";
import type { WordSource } from "./tokenize.ts";
import type { CommandTable } from "./table.ts";

/**
 * What every argument spec has.
 *
 * @example
 * ```ts
 * import type { ArgSpecBase } from "@ghosting/server";
 *
 * const base: ArgSpecBase = { name: "seconds", doc: "Countdown length", optional: true };
 * console.log(base.name);
 * ```
 */
export interface ArgSpecBase {
  /** Key in the parsed arguments and in a JSON body; a word in usage lines (`<name>`). */
  name: string;
  /** One line for help and API documentation. */
  doc: string;
  /** May be left out (then absent from the parsed arguments). Only trailing args may be. */
  optional?: boolean;
  /** What an interactive console asks when the argument is missing (the old two-step commands). */
  prompt?: string;
}

/**
 * Text. Line breaks and NUL are refused (they must never reach clients); leading and trailing
 * line endings are stripped first, as a console line may carry one.
 *
 * @example
 * ```ts
 * import type { StringArgSpec } from "@ghosting/server";
 *
 * const message: StringArgSpec = { name: "message", type: "string", rest: true, doc: "The text" };
 * console.log(message.rest);
 * ```
 */
export interface StringArgSpec extends ArgSpecBase {
  /** Discriminant. */
  type: "string";
  /** Takes the rest of the line as typed (quotes and spacing kept); must be the last argument. */
  rest?: boolean;
  /** Whether "" is allowed (a quoted empty word on the console). Default false. */
  allowEmpty?: boolean;
  /** Longest text accepted. Default {@linkcode MAX_TEXT_LENGTH}. */
  maxLength?: number;
}

/**
 * A whole number from `min` to `max`; in JSON a number or a string of digits.
 *
 * @example
 * ```ts
 * import type { IntegerArgSpec } from "@ghosting/server";
 *
 * const seconds: IntegerArgSpec = { name: "seconds", type: "integer", min: 0, max: 60, doc: "" };
 * console.log(seconds.max);
 * ```
 */
export interface IntegerArgSpec extends ArgSpecBase {
  /** Discriminant. */
  type: "integer";
  /** Smallest value accepted. */
  min: number;
  /** Largest value accepted. */
  max: number;
}

/**
 * One of a few words, matched case-insensitively; the value is the word as listed.
 *
 * @example
 * ```ts
 * import type { ChoiceArgSpec } from "@ghosting/server";
 *
 * const who: ChoiceArgSpec = { name: "who", type: "choice", choices: ["players", "all"], doc: "" };
 * console.log(who.choices);
 * ```
 */
export interface ChoiceArgSpec extends ArgSpecBase {
  /** Discriminant. */
  type: "choice";
  /** The words accepted, in lower case. */
  choices: readonly string[];
}

/**
 * An IPv4 or IPv6 literal (no host names); the value is its canonical text.
 *
 * @example
 * ```ts
 * import type { IpArgSpec } from "@ghosting/server";
 *
 * const ip: IpArgSpec = { name: "ip", type: "ip", doc: "The banned IP" };
 * console.log(ip.type);
 * ```
 */
export interface IpArgSpec extends ArgSpecBase {
  /** Discriminant. */
  type: "ip";
}

/**
 * A player: `name|id|ip <value>` or one word whose kind is inferred (see
 * {@linkcode parsePlayerSelector}); in JSON a number, a string or `{ "id" | "name" | "ip": … }`.
 * The value is a {@linkcode PlayerSelector}; {@linkcode resolvePlayers} finds the clients.
 *
 * @example
 * ```ts
 * import type { PlayerArgSpec } from "@ghosting/server";
 *
 * const target: PlayerArgSpec = { name: "player", type: "player", doc: "Who" };
 * console.log(target.type);
 * ```
 */
export interface PlayerArgSpec extends ArgSpecBase {
  /** Discriminant. */
  type: "player";
}

/**
 * How one argument is read and documented.
 *
 * @example
 * ```ts
 * import type { ArgSpec } from "@ghosting/server";
 *
 * const args = [
 *   { name: "player", type: "player", doc: "Who gets the message" },
 *   { name: "text", type: "string", rest: true, doc: "The message" },
 * ] as const satisfies readonly ArgSpec[];
 * console.log(args.length);
 * ```
 */
export type ArgSpec =
  | StringArgSpec
  | IntegerArgSpec
  | ChoiceArgSpec
  | IpArgSpec
  | PlayerArgSpec;

/**
 * Longest text a string argument takes unless its spec says otherwise.
 *
 * @example
 * ```ts
 * import { MAX_TEXT_LENGTH } from "@ghosting/server";
 *
 * console.log(MAX_TEXT_LENGTH); // 4096
 * ```
 */
export const MAX_TEXT_LENGTH = 4096;

/**
 * The parsed value of one argument spec.
 *
 * @example
 * ```ts
 * import type { ArgValue } from "@ghosting/server";
 *
 * const seconds: ArgValue<{ name: "s"; type: "integer"; min: 0; max: 60; doc: "" }> = 5;
 * console.log(seconds);
 * ```
 */
export type ArgValue<S extends ArgSpec> = S extends IntegerArgSpec ? number
  : S extends { type: "choice"; choices: readonly (infer C)[] } ? C
  : S extends PlayerArgSpec ? PlayerSelector
  : string;

/**
 * The parsed arguments of a spec list, keyed by name; optional ones may be absent.
 *
 * @example
 * ```ts
 * import type { ArgsOf } from "@ghosting/server";
 *
 * type KickArgs = ArgsOf<[{ name: "seconds"; type: "integer"; min: 1; max: 60; doc: "" }]>;
 * const args: KickArgs = { seconds: 5 };
 * console.log(args.seconds);
 * ```
 */
export type ArgsOf<A extends readonly ArgSpec[]> =
  & { [S in A[number] as S extends { optional: true } ? never : S["name"]]: ArgValue<S> }
  & { [S in A[number] as S extends { optional: true } ? S["name"] : never]?: ArgValue<S> };

/**
 * Parsed arguments, as a table passes them to a command it does not know the type of.
 *
 * @example
 * ```ts
 * import type { Args } from "@ghosting/server";
 *
 * const args: Args = { seconds: 5, player: { id: 3, explicit: false } };
 * console.log(args.seconds);
 * ```
 */
export type Args = Record<string, string | number | PlayerSelector | undefined>;

/**
 * What a command gets besides its arguments.
 *
 * @example
 * ```ts
 * import type { CommandContext } from "@ghosting/server";
 *
 * function whoAsked(context: CommandContext): string {
 *   return `${context.actor} on a server with ${context.server.clients().length} clients`;
 * }
 * ```
 */
export interface CommandContext {
  /** The server, through its public API only. */
  server: GhostServer;
  /** Who runs the command: `"console"`, `"api"`, a plugin name, `"server"`. Pass it on to the API. */
  actor: Actor;
  /** The table the command runs from (for `help`). */
  table: CommandTable;
}

/**
 * What a command returns: a human-readable answer (one or more lines, no trailing newline) and
 * optionally structured data for an API. Both must survive `JSON.stringify`.
 *
 * @example
 * ```ts
 * import type { CommandOutput } from "@ghosting/server";
 *
 * const output: CommandOutput = { text: "No banned IPs", data: { ips: [] } };
 * console.log(JSON.stringify(output));
 * ```
 */
export interface CommandOutput {
  /** What a console prints. */
  text: string;
  /** JSON-serialisable details for programs. */
  data?: unknown;
}

/**
 * An admin command: a node of the command tree. It either has sub-commands (matched by the
 * next word, case-insensitively), a `run`, or both (then `run` takes over when the next word is
 * no sub-command, e.g. bare `countdown`, or `ban <player>` beside `ban list`).
 *
 * Build one with {@linkcode defineCommand} to have `run`'s arguments typed from `args`.
 *
 * @example
 * ```ts
 * import { type Command, defineCommand } from "@ghosting/server";
 *
 * const roll: Command = defineCommand({
 *   name: "roll",
 *   summary: "Roll a die and tell everyone",
 *   args: [{ name: "sides", type: "integer", min: 2, max: 100, optional: true, doc: "Sides" }],
 *   run({ server, actor }, { sides = 6 }) {
 *     const value = 1 + Math.floor(Math.random() * sides);
 *     server.sendMessage(`Rolled ${value}`, actor);
 *     return { text: `Rolled ${value}`, data: { value } };
 *   },
 * });
 * ```
 */
export interface Command {
  /** The word that selects it: lower case letters, digits, `_` or `-`. */
  name: string;
  /** One line for help. */
  summary: string;
  /** Usage after the name, for help; generated from `args` when absent. */
  usage?: string;
  /** Arguments of `run`, in order. */
  args?: readonly ArgSpec[];
  /** Sub-commands, tried before `run`. */
  subcommands?: readonly Command[];
  /** For old names kept for operators' habits: the command this one stands for, shown in help. */
  aliasOf?: string;
  /** Only reads (a read-scope API token may run it, with GET). Default false. */
  readOnly?: boolean;
  /** Does the work; throws {@linkcode CommandError} for bad input. */
  run?: (context: CommandContext, args: Args) => CommandOutput | Promise<CommandOutput>;
}

/**
 * A command whose `run` is typed by its `args`; {@linkcode defineCommand} turns it into a
 * {@linkcode Command}.
 *
 * @example
 * ```ts
 * import type { CommandDefinition } from "@ghosting/server";
 *
 * const ping: CommandDefinition<[]> = { name: "ping", summary: "Answer", run: () => ({ text: "pong" }) };
 * console.log(ping.name);
 * ```
 */
export interface CommandDefinition<A extends readonly ArgSpec[]>
  extends Omit<Command, "args" | "run"> {
  /** Arguments of `run`, in order. */
  args?: A;
  /** Does the work, with arguments typed from `args`; throws {@linkcode CommandError} for bad input. */
  run?: (context: CommandContext, args: ArgsOf<A>) => CommandOutput | Promise<CommandOutput>;
}

/**
 * Checks a command definition and returns it as a {@linkcode Command}, with `run`'s arguments
 * typed from `args` (write the specs inline, or `as const`).
 *
 * @example
 * ```ts
 * import { createCommandTable, defineCommand, resolvePlayers } from "@ghosting/server";
 *
 * const table = createCommandTable();
 * const unregister = table.register(defineCommand({
 *   name: "greet",
 *   summary: "Greet one player",
 *   args: [{ name: "player", type: "player", doc: "Who" }],
 *   run({ server, actor }, { player }) {
 *     const [client] = resolvePlayers(server, player, "one");
 *     server.sendMessageTo(client.id, `Hello ${client.name}`, actor);
 *     return { text: `Greeted ${client.name}` };
 *   },
 * }));
 * unregister();
 * ```
 *
 * @throws {TypeError} for a bad name or argument list (a rest argument not last, an optional
 *   argument before a required one, a duplicate argument name)
 */
export function defineCommand<const A extends readonly ArgSpec[] = readonly []>(
  definition: CommandDefinition<A>,
): Command {
  const command = definition as unknown as Command;
  checkCommand(command);
  return command;
}

const NAME = /^[a-z][a-z0-9_-]*$/;

/** @throws {TypeError} for a malformed command tree */
export function checkCommand(command: Command): void {
  if (typeof command.name !== "string" || !NAME.test(command.name)) {
    throw new TypeError(
      `Command name must be lower case letters, digits, _ or -, starting with a letter, got "${command.name}"`,
    );
  }
  if (!command.run && !command.subcommands?.length) {
    throw new TypeError(`Command "${command.name}" needs a run function or sub-commands`);
  }
  const args = command.args ?? [];
  const seen = new Set<string>();
  args.forEach((arg, i) => {
    if (seen.has(arg.name)) {
      throw new TypeError(`Command "${command.name}" has two arguments named "${arg.name}"`);
    }
    seen.add(arg.name);
    if (arg.type === "string" && arg.rest && i !== args.length - 1) {
      throw new TypeError(`Command "${command.name}": rest argument "${arg.name}" must be last`);
    }
    if (!arg.optional && args.slice(0, i).some((before) => before.optional)) {
      throw new TypeError(
        `Command "${command.name}": required argument "${arg.name}" follows an optional one`,
      );
    }
  });
  const names = new Set<string>();
  for (const sub of command.subcommands ?? []) {
    checkCommand(sub);
    if (names.has(sub.name)) {
      throw new TypeError(`Command "${command.name}" has two sub-commands named "${sub.name}"`);
    }
    names.add(sub.name);
  }
}

/** The usage of a command's own arguments, e.g. `<player> <text…>` or `[seconds]`. */
export function argsUsage(args: readonly ArgSpec[] | undefined): string {
  return (args ?? []).map((arg) => {
    const word = arg.type === "choice"
      ? arg.choices.join("|")
      : arg.type === "player"
      ? "<player>"
      : `<${arg.name}${arg.type === "string" && arg.rest ? "…" : ""}>`;
    return arg.optional ? `[${word.replace(/^<(.*)>$/, "$1")}]` : word;
  }).join(" ");
}

function checkText(spec: StringArgSpec, value: string): string {
  const text = value.replace(/^[\r\n]+|[\r\n]+$/g, "");
  if (/[\r\n\0]/.test(text)) {
    throw new CommandError(`${spec.name} cannot contain line breaks or NUL characters`);
  }
  if (text.length === 0 && !spec.allowEmpty) throw new CommandError(`${spec.name} cannot be empty`);
  const max = spec.maxLength ?? MAX_TEXT_LENGTH;
  if (text.length > max) {
    throw new CommandError(`${spec.name} is too long: ${text.length} characters, at most ${max}`);
  }
  return text;
}

function checkInteger(spec: IntegerArgSpec, value: number, shown: string): number {
  if (!Number.isInteger(value) || value < spec.min || value > spec.max) {
    throw new CommandError(
      `${spec.name} must be a whole number from ${spec.min} to ${spec.max}, got '${shown}'`,
    );
  }
  return value;
}

function checkChoice(spec: ChoiceArgSpec, word: string): string {
  const choice = spec.choices.find((c) => c === word.toLowerCase());
  if (choice === undefined) {
    throw new CommandError(`${spec.name} must be one of ${spec.choices.join(", ")}, got '${word}'`);
  }
  return choice;
}

function checkIp(spec: IpArgSpec, text: string): string {
  const ip = parseIp(text);
  if (ip === undefined) {
    throw new CommandError(
      `Invalid IP address '${text}' for ${spec.name}: give an IPv4 or IPv6 literal`,
    );
  }
  return ip;
}

/**
 * Parses arguments from words (a console line or a word list).
 *
 * @param usage shown when an argument is missing or a word is left over
 * @throws {CommandError} for missing, malformed or extra words
 */
export function parseWordArgs(specs: readonly ArgSpec[], words: WordSource, usage: string): Args {
  const args: Args = {};
  for (const spec of specs) {
    if (words.done()) {
      if (spec.optional) break;
      throw new CommandError(`Missing ${spec.name}. Usage: ${usage}`);
    }
    switch (spec.type) {
      case "string":
        args[spec.name] = checkText(spec, spec.rest ? words.rest() : words.next()!);
        break;
      case "integer": {
        const word = words.next()!;
        args[spec.name] = checkInteger(spec, /^[+-]?\d+$/.test(word) ? Number(word) : NaN, word);
        break;
      }
      case "choice":
        args[spec.name] = checkChoice(spec, words.next()!);
        break;
      case "ip":
        args[spec.name] = checkIp(spec, words.next()!);
        break;
      case "player":
        args[spec.name] = parsePlayerSelector(words);
        break;
    }
  }
  if (!words.done()) throw new CommandError(`Unexpected '${words.peek()}'. Usage: ${usage}`);
  return args;
}

/**
 * Parses arguments from a JSON object (an HTTP body or query): one field per argument, by
 * name; integers may come as numbers or digit strings (query strings are text).
 *
 * @throws {CommandError} for missing, malformed or unknown fields
 */
export function parseJsonArgs(
  specs: readonly ArgSpec[],
  body: Readonly<Record<string, unknown>>,
  usage: string,
): Args {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new CommandError("Arguments must be a JSON object");
  }
  const known = new Set(specs.map((spec) => spec.name));
  for (const key of Object.keys(body)) {
    if (!known.has(key)) {
      throw new CommandError(
        `Unknown argument '${key}'; this command takes ${
          specs.length ? specs.map((s) => s.name).join(", ") : "none"
        }. Usage: ${usage}`,
        { field: key },
      );
    }
  }
  const args: Args = {};
  for (const spec of specs) {
    try {
      args[spec.name] = parseJsonArg(spec, body[spec.name], usage);
    } catch (error) {
      // Name the field for an API's answer; the message already names it for people.
      if (error instanceof CommandError && error.field === undefined) {
        throw new CommandError(error.message, { field: spec.name });
      }
      throw error;
    }
    if (args[spec.name] === undefined) delete args[spec.name];
  }
  return args;
}

function parseJsonArg(
  spec: ArgSpec,
  value: unknown,
  usage: string,
): string | number | PlayerSelector | undefined {
  if (value === undefined || value === null) {
    if (spec.optional) return undefined;
    throw new CommandError(`Missing ${spec.name}. Usage: ${usage}`);
  }
  if (spec.type === "player") return playerSelectorFromJson(value);
  if (spec.type === "integer") {
    const number = typeof value === "string" && /^[+-]?\d+$/.test(value) ? Number(value) : value;
    return checkInteger(spec, typeof number === "number" ? number : NaN, String(value));
  }
  if (typeof value !== "string") {
    throw new CommandError(`${spec.name} must be a string, got ${JSON.stringify(value)}`);
  }
  return spec.type === "string"
    ? checkText(spec, value)
    : spec.type === "choice"
    ? checkChoice(spec, value)
    : checkIp(spec, value);
}

/**
 * A JSON Schema (draft 2020-12, as OpenAPI 3.1 uses) of a command's arguments as a JSON body:
 * what {@linkcode CommandTable.parseJson} accepts.
 *
 * @example
 * ```ts
 * import { argsJsonSchema, createCommandTable } from "@ghosting/server";
 *
 * const table = createCommandTable();
 * for (const { path, command } of table.entries()) {
 *   console.log(`POST /commands/${path.join("/")}`, JSON.stringify(argsJsonSchema(command)));
 * }
 * ```
 */
export function argsJsonSchema(command: Pick<Command, "args">): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const spec of command.args ?? []) {
    if (!spec.optional) required.push(spec.name);
    const description = spec.doc;
    switch (spec.type) {
      case "string":
        properties[spec.name] = {
          type: "string",
          minLength: spec.allowEmpty ? 0 : 1,
          maxLength: spec.maxLength ?? MAX_TEXT_LENGTH,
          description,
        };
        break;
      case "integer":
        properties[spec.name] = {
          type: "integer",
          minimum: spec.min,
          maximum: spec.max,
          description,
        };
        break;
      case "choice":
        properties[spec.name] = { type: "string", enum: [...spec.choices], description };
        break;
      case "ip":
        properties[spec.name] = {
          type: "string",
          anyOf: [{ format: "ipv4" }, { format: "ipv6" }],
          description,
        };
        break;
      case "player":
        properties[spec.name] = {
          description,
          oneOf: [
            { type: "integer", minimum: 0, description: "An id" },
            { type: "string", description: "An id, an IP or a name, inferred" },
            ...(["id", "name", "ip"] as const).map((kind) => ({
              type: "object",
              properties: { [kind]: { type: kind === "id" ? "integer" : "string" } },
              required: [kind],
              additionalProperties: false,
            })),
          ],
        };
        break;
    }
  }
  return { type: "object", properties, required, additionalProperties: false };
}

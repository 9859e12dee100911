/**
 * The command table: registration, lookup, parsing words or JSON into a call, running it.
 *
 * @module
 */
import type { Actor } from "../server/events.ts";
import type { GhostServer } from "../server/server.ts";
import {
  type Args,
  argsUsage,
  checkCommand,
  type Command,
  type CommandOutput,
  parseJsonArgs,
  parseWordArgs,
} from "./command.ts";
import { CommandError } from "./command_error.ts";
import { LineLexer, WordListSource, type WordSource } from "./tokenize.ts";

/**
 * A parsed call, ready to run: the command reached (a sub-command for `countdown start 5`),
 * the words that led to it, and its arguments.
 *
 * @example
 * ```ts
 * import { createCommandTable, type Invocation } from "@ghosting/server";
 *
 * const call: Invocation | undefined = createCommandTable().parseLine("countdown start 5");
 * console.log(call?.path, call?.args); // ["countdown", "start"] { seconds: 5 }
 * ```
 */
export interface Invocation {
  /** The command (or sub-command) that runs. */
  command: Command;
  /** Its full name: the command words in canonical (lower) case. */
  path: string[];
  /** Parsed arguments. */
  args: Args;
}

/**
 * Commands by name: the built-in ones and any registered at run time by plugins. Every surface
 * parses its input through the same table, so a command behaves the same everywhere.
 *
 * @example Running a console line
 * ```ts
 * import { CommandError, createCommandTable, GhostServer } from "@ghosting/server";
 *
 * const server = new GhostServer();
 * const table = createCommandTable();
 * try {
 *   const output = await table.execute("refuse players", { server, actor: "console" });
 *   console.log(output.text); // Now refusing new players
 * } catch (error) {
 *   if (error instanceof CommandError) console.log(error.message);
 *   else throw error;
 * }
 * ```
 *
 * @example The same command from an HTTP API
 * ```ts
 * import { createCommandTable, GhostServer } from "@ghosting/server";
 *
 * const server = new GhostServer();
 * const table = createCommandTable();
 * const call = table.parseJson(["kick"], { player: { name: "Griefer" } });
 * await table.run(call, { server, actor: "api" }).catch((error) => console.log(error.message));
 * ```
 */
export class CommandTable {
  readonly #commands = new Map<string, Command>();
  #revision = 0;

  /** Creates a table holding `commands`. @throws {TypeError} as {@linkcode CommandTable.register} */
  constructor(commands: Iterable<Command> = []) {
    for (const command of commands) this.register(command);
  }

  /**
   * Adds a command; returns a function that removes it again.
   *
   * @throws {TypeError} when the name is taken or the command is malformed
   */
  register(command: Command): () => void {
    checkCommand(command);
    if (this.#commands.has(command.name)) {
      throw new TypeError(`A command named "${command.name}" is already registered`);
    }
    this.#commands.set(command.name, command);
    this.#revision++;
    return () => {
      if (this.#commands.get(command.name) === command) this.unregister(command.name);
    };
  }

  /** Removes a command by name; false when there was none. */
  unregister(name: string): boolean {
    const removed = this.#commands.delete(name);
    if (removed) this.#revision++;
    return removed;
  }

  /**
   * Changes with every command registered or removed: what an adaptor that derives something
   * from the table (routes, a schema) compares to know whether to derive it again.
   */
  get revision(): number {
    return this.#revision;
  }

  /** A top-level command by name (case-insensitive). */
  get(name: string): Command | undefined {
    return this.#commands.get(name.toLowerCase());
  }

  /** Every top-level command, in registration order. */
  commands(): Command[] {
    return [...this.#commands.values()];
  }

  /**
   * Every runnable command path with its command, depth first: `["countdown"]`,
   * `["countdown", "pre"]`, … — what an HTTP API makes routes of and a console completes.
   */
  entries(): { path: string[]; command: Command }[] {
    const out: { path: string[]; command: Command }[] = [];
    const visit = (path: string[], command: Command) => {
      if (command.run) out.push({ path, command });
      for (const sub of command.subcommands ?? []) visit([...path, sub.name], sub);
    };
    for (const command of this.#commands.values()) visit([command.name], command);
    return out;
  }

  /**
   * The usage line of a command path, e.g. `countdown start [seconds]` or, for a node with
   * sub-commands, `countdown pre|post|start|clear …`.
   */
  usage(path: readonly string[], command: Command): string {
    const head = path.join(" ");
    if (command.usage !== undefined) return `${head} ${command.usage}`.trim();
    const own = argsUsage(command.args);
    const subs = command.subcommands?.map((sub) => sub.name).join("|");
    if (subs && command.run) return `${head} ${subs} …  or  ${head} ${own}`.trim();
    if (subs) return `${head} ${subs} …`;
    return `${head} ${own}`.trim();
  }

  /**
   * Parses a console line (see {@linkcode tokenize}); undefined for an empty line. A trailing
   * line ending is ignored.
   *
   * @throws {CommandError} for an unknown command or bad arguments
   */
  parseLine(line: string): Invocation | undefined {
    const lexer = new LineLexer(line);
    if (lexer.done()) return undefined;
    return this.#parse(lexer);
  }

  /**
   * Parses words already split: `["whitelist", "add", "name", "Some Player"]`.
   *
   * @throws {CommandError} for no words, an unknown command or bad arguments
   */
  parseWords(words: readonly string[]): Invocation {
    if (words.length === 0) throw new CommandError("No command given");
    return this.#parse(new WordListSource(words));
  }

  /**
   * Parses a call from JSON: the command path (`["countdown", "start"]` or
   * `"countdown start"`) and its arguments by name (`{ "seconds": 5 }`).
   *
   * @throws {CommandError} for an unknown path or bad arguments
   */
  parseJson(
    path: readonly string[] | string,
    body: Readonly<Record<string, unknown>> = {},
  ): Invocation {
    const words = typeof path === "string" ? path.trim().split(/\s+/).filter(Boolean) : path;
    const { command, path: resolved } = this.#walk(new WordListSource(words), true);
    if (!command.run) throw this.#incomplete(resolved, command);
    return {
      command,
      path: resolved,
      args: parseJsonArgs(command.args ?? [], body, this.usage(resolved, command)),
    };
  }

  /**
   * Runs a parsed call.
   *
   * @throws {CommandError} for bad input the command found (no such player, …); any other
   *   error is a bug
   */
  async run(
    invocation: Invocation,
    context: { server: GhostServer; actor: Actor },
  ): Promise<CommandOutput> {
    const run = invocation.command.run;
    if (!run) throw this.#incomplete(invocation.path, invocation.command);
    return await run({ ...context, table: this }, invocation.args);
  }

  /**
   * Parses and runs one console line; an empty line answers with empty text.
   *
   * @throws {CommandError} for bad input; any other error is a bug
   */
  async execute(
    line: string,
    context: { server: GhostServer; actor: Actor },
  ): Promise<CommandOutput> {
    const invocation = this.parseLine(line);
    if (!invocation) return { text: "" };
    return await this.run(invocation, context);
  }

  #parse(words: WordSource): Invocation {
    const { command, path } = this.#walk(words, false);
    if (!command.run) throw this.#incomplete(path, command);
    return {
      command,
      path,
      args: parseWordArgs(command.args ?? [], words, this.usage(path, command)),
    };
  }

  /** Follows command and sub-command words as far as they go. */
  #walk(words: WordSource, exact: boolean): { command: Command; path: string[] } {
    const first = words.next();
    if (first === undefined) throw new CommandError("No command given");
    const top = this.get(first);
    if (!top) {
      throw new CommandError(`Unknown command: '${first}'. Enter 'help' for a list of commands`);
    }
    let command: Command = top;
    const path = [command.name];
    for (;;) {
      // Only nodes with sub-commands look ahead: the rest of a `say` line is never lexed.
      if (!command.subcommands?.length && !exact) return { command, path };
      const word = words.done() ? undefined : words.peek();
      const sub: Command | undefined = word === undefined
        ? undefined
        : command.subcommands?.find((s) => s.name === word.toLowerCase());
      if (!sub) {
        if (exact && word !== undefined) {
          throw new CommandError(
            `Unknown sub-command '${word}'. Usage: ${this.usage(path, command)}`,
          );
        }
        return { command, path };
      }
      words.next();
      command = sub;
      path.push(sub.name);
    }
  }

  #incomplete(path: readonly string[], command: Command): CommandError {
    return new CommandError(`Usage: ${this.usage(path, command)}`);
  }
}

/**
 * The admin command layer: one table of commands that the console, an HTTP API and plugins
 * all parse and run the same way.
 *
 * @example
 * ```ts
 * import { CommandError, createCommandTable, GhostServer } from "@ghosting/server";
 *
 * const server = new GhostServer({ port: 0 });
 * await server.start();
 * const table = createCommandTable();
 * for (const line of ["accept all", "countdown pre sv_cheats 0", "countdown start 3", "nope"]) {
 *   try {
 *     console.log((await table.execute(line, { server, actor: "console" })).text);
 *   } catch (error) {
 *     if (!(error instanceof CommandError)) throw error;
 *     console.log(error.message); // Unknown command: 'nope'. Enter 'help' for a list of commands
 *   }
 * }
 * await server.stop();
 * ```
 *
 * @module
 */
export * from "./command_error.ts";
export {
  type Args,
  argsJsonSchema,
  type ArgsOf,
  type ArgSpec,
  type ArgSpecBase,
  type ArgValue,
  type ChoiceArgSpec,
  type Command,
  type CommandContext,
  type CommandDefinition,
  type CommandOutput,
  defineCommand,
  type IntegerArgSpec,
  type IpArgSpec,
  MAX_TEXT_LENGTH,
  type PlayerArgSpec,
  type StringArgSpec,
} from "./command.ts";
export { CommandTable, type Invocation } from "./table.ts";
export { builtinCommands, createCommandTable } from "./commands.ts";
export {
  parsePlayerSelector,
  type PlayerSelector,
  playerSelectorFromJson,
  resolvePlayers,
} from "./selector.ts";
export { tokenize, type WordSource } from "./tokenize.ts";

/**
 * The error for bad admin input: the user's fault, shown to them as is.
 *
 * @module
 */

/**
 * Bad input to an admin command (unknown command, missing or malformed argument, no such
 * player): the operator's mistake, not a bug. Its message is one line meant to be shown
 * unchanged; an adaptor answers it and carries on, while any other error is a bug to log.
 *
 * @example
 * ```ts
 * import { CommandError, createCommandTable, GhostServer } from "@ghosting/server";
 *
 * const server = new GhostServer();
 * const table = createCommandTable();
 * try {
 *   await table.execute("kick", { server, actor: "console" });
 * } catch (error) {
 *   if (!(error instanceof CommandError)) throw error; // a bug: let it surface
 *   console.log(error.message); // Usage: kick <player> …
 * }
 * ```
 */
export class CommandError extends Error {
  /** The argument at fault, when one is (an API names it in its answer). */
  readonly field?: string;

  /** Creates an error whose message is shown to the user unchanged. */
  constructor(message: string, options?: { field?: string }) {
    super(message);
    this.name = "CommandError";
    if (options?.field !== undefined) this.field = options.field;
  }
}

/**
 * One operator's conversation with the command table: a line in, one answer out. The local
 * console and every admin socket connection each run one; they differ only in how lines
 * arrive and answers leave.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { ArgSpec, Command } from "../admin/command.ts";
import { CommandError } from "../admin/command_error.ts";
import type { CommandTable } from "../admin/table.ts";
import type { Actor } from "../server/events.ts";
import type { GhostServer } from "../server/server.ts";

const log = getLogger(["ghosting", "console"]);

/** The prompt when no question is pending. */
export const PROMPT = "> ";

/** What one line led to. */
export type LineResult =
  /** The command ran (text may be empty). */
  | { kind: "ok"; text: string }
  /** Bad input or a failing command: one line for the operator. */
  | { kind: "error"; text: string }
  /** An old two-step command asks for its next argument; the next line answers. */
  | { kind: "question"; text: string };

interface Pending {
  command: Command;
  answers: string[];
  questions: ArgSpec[];
}

/**
 * Runs console lines against a table as one actor, asking for the missing arguments of the
 * original Deno server's two-step commands (`server_msg` then the message).
 *
 * @example
 * ```ts
 * import { createCommandTable, GhostServer } from "../../mod.ts";
 * import { CommandSession } from "./session.ts";
 *
 * const server = new GhostServer({ port: 0 });
 * const session = new CommandSession(createCommandTable(), server, "console");
 * console.log(await session.line("server_msg")); // { kind: "question", text: "Message to send: " }
 * console.log(await session.line("hello")); // { kind: "ok", text: "[server message] hello" }
 * ```
 */
export class CommandSession {
  readonly #table: CommandTable;
  readonly #server: GhostServer;
  readonly #actor: Actor;
  #pending: Pending | undefined;

  /** A session of `actor` running lines against `server` through `table`. */
  constructor(table: CommandTable, server: GhostServer, actor: Actor) {
    this.#table = table;
    this.#server = server;
    this.#actor = actor;
  }

  /** What to show before the next line: the pending question, or {@linkcode PROMPT}. */
  get prompt(): string {
    return this.#pending?.questions[0].prompt ?? PROMPT;
  }

  /** Handles one line (without its line ending). Never throws for bad input. */
  async line(line: string): Promise<LineResult> {
    const pending = this.#pending;
    try {
      if (pending) {
        pending.answers.push(line.replace(/[\r\n]+$/, ""));
        pending.questions.shift();
        if (pending.questions.length > 0) {
          return { kind: "question", text: pending.questions[0].prompt! };
        }
        this.#pending = undefined;
        const call = this.#table.parseWords([pending.command.name, ...pending.answers]);
        return { kind: "ok", text: (await this.#table.run(call, this.#context())).text };
      }
      const question = this.#ask(line);
      if (question) return question;
      const output = await this.#table.execute(line, this.#context());
      return { kind: "ok", text: output.text };
    } catch (error) {
      this.#pending = undefined;
      if (error instanceof CommandError) return { kind: "error", text: error.message };
      // Not the operator's fault: a bug, logged with its stack for a report.
      log.error("Command {line} failed: {error}", { line, error });
      return { kind: "error", text: `Command failed: ${(error as Error)?.message ?? error}` };
    }
  }

  /** Drops a pending question (the operator pressed Ctrl+C or the connection closed). */
  cancel(): void {
    this.#pending = undefined;
  }

  #context() {
    return { server: this.#server, actor: this.#actor };
  }

  /** A bare old two-step command (`server_msg`, `ban_id`, …) starts asking its arguments. */
  #ask(line: string): LineResult | undefined {
    const words = line.trim().split(/\s+/);
    if (words.length !== 1 || words[0] === "") return undefined;
    const command = this.#table.get(words[0]);
    if (!command?.run || command.subcommands?.length) return undefined;
    const questions = (command.args ?? []).filter((spec) => spec.prompt && !spec.optional);
    if (questions.length === 0 || questions.length !== command.args?.length) return undefined;
    this.#pending = { command, answers: [], questions };
    return { kind: "question", text: questions[0].prompt! };
  }
}

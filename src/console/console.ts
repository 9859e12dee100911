/**
 * The operator's console on standard input: a `node:readline` adaptor over the command table.
 * On a terminal it has a prompt, history kept across runs, tab completion and log lines that
 * never garble what is being typed; from a pipe or FIFO it runs each line as it arrives, and
 * at end of input it stops while the server keeps running.
 *
 * @module
 */
import readline from "node:readline";
import process from "node:process";
import { dirname } from "node:path";
import type { CommandTable } from "../admin/table.ts";
import type { GhostServer } from "../server/server.ts";
import { completeLine } from "./complete.ts";
import { CommandSession, PROMPT } from "./session.ts";

/** Lines of history kept in the history file. */
const HISTORY_LINES = 500;

/** Where a console reads and writes; each defaults to the process's own. */
export interface AdminConsoleOptions {
  /** Lines come from here. Default standard input. */
  input?: NodeJS.ReadableStream;
  /** Answers and the prompt go here. Default standard output. */
  output?: NodeJS.WritableStream;
  /** Whether to act as a terminal (prompt, editing, completion). Default: both are TTYs. */
  terminal?: boolean;
  /** File of typed lines, read at start and appended to (terminal only). */
  historyFile?: string;
  /** Ctrl+C on the terminal (readline takes it from the terminal, so no signal arrives). */
  onInterrupt?: () => void;
}

function loadHistory(file: string | undefined): string[] {
  if (!file) return [];
  try {
    // readline wants the newest line first.
    return Deno.readTextFileSync(file).split("\n").filter(Boolean).slice(-HISTORY_LINES).reverse();
  } catch {
    return [];
  }
}

/**
 * A console on standard input (or given streams) running lines as the `console` actor.
 *
 * @example
 * ```ts
 * import { createCommandTable, GhostServer } from "../../mod.ts";
 * import { AdminConsole } from "./console.ts";
 *
 * const server = new GhostServer({ port: 0 });
 * await server.start();
 * const console_ = new AdminConsole(server, createCommandTable(), {
 *   onInterrupt: () => server.stop(),
 * });
 * await console_.closed; // end of input: the server keeps running
 * await server.stop();
 * ```
 */
export class AdminConsole {
  /** Resolves when input ended or {@linkcode AdminConsole.close} was called. */
  readonly closed: Promise<void>;
  readonly #rl: readline.Interface;
  readonly #terminal: boolean;
  readonly #session: CommandSession;
  readonly #output: NodeJS.WritableStream;
  readonly #historyFile: string | undefined;
  #queue: Promise<void> = Promise.resolve();
  #open = true;
  #running = false;

  /** Starts reading lines at once. */
  constructor(server: GhostServer, table: CommandTable, options: AdminConsoleOptions = {}) {
    const input = options.input ?? process.stdin;
    const output = options.output ?? process.stdout;
    this.#output = output;
    this.#terminal = options.terminal ??
      Boolean((input as { isTTY?: boolean }).isTTY && (output as { isTTY?: boolean }).isTTY);
    this.#session = new CommandSession(table, server, "console");
    this.#historyFile = this.#terminal ? options.historyFile : undefined;
    this.#rl = readline.createInterface({
      input,
      output: this.#terminal ? output : undefined,
      terminal: this.#terminal,
      prompt: PROMPT,
      history: loadHistory(this.#historyFile),
      historySize: HISTORY_LINES,
      removeHistoryDuplicates: true,
      completer: (line: string) => completeLine(table, server, line),
    });
    let resolveClosed!: () => void;
    this.closed = new Promise((resolve) => resolveClosed = resolve);
    this.#rl.on("line", (line: string) => {
      this.#queue = this.#queue.then(() => this.#run(line));
    });
    this.#rl.on("close", () => {
      this.#open = false;
      // Commands still running finish first; then the console is closed.
      this.#queue.then(() => {
        this.#saveHistory();
        resolveClosed();
      });
    });
    this.#rl.on("SIGINT", () => {
      this.#session.cancel();
      this.#rl.setPrompt(PROMPT);
      this.#rl.write("\n");
      options.onInterrupt?.();
    });
    if (this.#terminal) {
      this.#output.write("Type 'help' for the commands; Tab completes.\n");
      this.#rl.prompt();
    }
  }

  /** Whether it is a terminal console (prompt, editing, completion). */
  get terminal(): boolean {
    return this.#terminal;
  }

  /**
   * Writes `text` (one or more lines, with or without a final newline) above the prompt:
   * the line being typed is cleared, the text printed, and the prompt and typed line redrawn.
   * What log lines go through while a terminal console is open.
   */
  printAbove(text: string, stream: NodeJS.WritableStream = this.#output): void {
    const line = text.endsWith("\n") ? text : `${text}\n`;
    if (!this.#terminal || !this.#open) {
      stream.write(line);
      return;
    }
    readline.clearLine(this.#output, 0);
    readline.cursorTo(this.#output, 0);
    stream.write(line);
    // While a command runs there is no prompt: its answer comes first, then the prompt.
    if (!this.#running) this.#rl.prompt(true);
  }

  /** Stops reading; commands already running finish. */
  close(): Promise<void> {
    if (this.#open) this.#rl.close();
    return this.closed;
  }

  async #run(line: string): Promise<void> {
    if (this.#historyFile && line.trim()) {
      try {
        Deno.mkdirSync(dirname(this.#historyFile), { recursive: true });
        Deno.writeTextFileSync(this.#historyFile, `${line}\n`, { append: true, mode: 0o600 });
      } catch {
        // History is a convenience: a read-only data directory must not break the console.
      }
    }
    this.#running = true;
    const result = await this.#session.line(line).finally(() => this.#running = false);
    // On a terminal a question is the next prompt; from a pipe it is printed like an answer.
    if ((result.kind !== "question" || !this.#terminal) && result.text) {
      this.#output.write(`${result.text.trimEnd()}\n`);
    }
    if (!this.#terminal || !this.#open) return;
    this.#rl.setPrompt(this.#session.prompt);
    this.#rl.prompt();
  }

  #saveHistory(): void {
    const file = this.#historyFile;
    if (!file) return;
    try {
      const lines = Deno.readTextFileSync(file).split("\n").filter(Boolean);
      if (lines.length > HISTORY_LINES * 2) {
        Deno.writeTextFileSync(file, `${lines.slice(-HISTORY_LINES).join("\n")}\n`);
      }
    } catch {
      // See #run.
    }
  }
}

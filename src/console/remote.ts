/**
 * `deno task console [--data DIR | --config FILE] [COMMAND…]`: attaches to a running server's admin socket.
 * From a terminal it is an interactive console (prompt, history, Tab completion answered by
 * the server); from a pipe it runs each line as it arrives; with a command it runs that one
 * and exits 0 when it succeeded, 1 when the server refused it, 2 when no server answered.
 *
 * @module
 */
import readline from "node:readline";
import process from "node:process";
import { dirname, join, resolve } from "node:path";
import { ConfigError } from "../config/mod.ts";
import { Command, CommanderError } from "commander";
import { ADMIN_SOCKET_NAME, type AdminAnswer } from "./admin_socket.ts";
import { PROMPT } from "./session.ts";
import { readConfig } from "../cli/config_file.ts";
import { invocationDirectory } from "../cli/paths.ts";
import { VERSION_TEXT } from "../cli/version.ts";

/** A connection to an admin socket: one request, one answer, in order. */
export class AdminClient {
  readonly #conn: Deno.UnixConn;
  readonly #lines: AsyncIterator<string>;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(conn: Deno.UnixConn) {
    this.#conn = conn;
    this.#lines = conn.readable
      .pipeThrough(new TextDecoderStream())
      .pipeThrough(splitLines())[Symbol.asyncIterator]();
  }

  /** Connects to the socket at `path`. */
  static async connect(path: string): Promise<AdminClient> {
    return new AdminClient(await Deno.connect({ transport: "unix", path }));
  }

  /** Sends one request and resolves with its answer. */
  request(request: { line: string } | { complete: string }): Promise<AdminAnswer> {
    const next = this.#queue.then(async () => {
      const bytes = new TextEncoder().encode(`${JSON.stringify(request)}\n`);
      for (let at = 0; at < bytes.length;) at += await this.#conn.write(bytes.subarray(at));
      const { value, done } = await this.#lines.next();
      if (done) throw new Error("The server closed the admin connection");
      return JSON.parse(value) as AdminAnswer;
    });
    this.#queue = next.catch(() => {});
    return next;
  }

  /** Closes the connection. */
  close(): void {
    try {
      this.#conn.close();
    } catch {
      // Already closed by the server.
    }
  }
}

function splitLines(): TransformStream<string, string> {
  let pending = "";
  return new TransformStream({
    transform(chunk, controller) {
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) controller.enqueue(line);
    },
  });
}

function text(answer: AdminAnswer): string {
  return "text" in answer ? answer.text : "";
}

async function interactive(client: AdminClient): Promise<number> {
  const rl = readline.createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: true,
    prompt: PROMPT,
    completer: (
      line: string,
      callback: (error: Error | null, result: [string[], string]) => void,
    ) => {
      client.request({ complete: line }).then(
        (answer) =>
          callback(null, "completions" in answer ? [answer.completions, answer.word] : [[], line]),
        () => callback(null, [[], line]),
      );
    },
  });
  console.log("Attached to the server. Type 'help' for the commands; Ctrl+D detaches.");
  rl.prompt();
  let code = 0;
  rl.on("SIGINT", () => {
    rl.write("\n");
    rl.close();
  });
  for await (const line of rl) {
    try {
      const answer = await client.request({ line });
      if (answer && "kind" in answer && answer.kind !== "question" && answer.text) {
        console.log(answer.text);
      }
      rl.setPrompt("kind" in answer && answer.kind === "question" ? answer.text : PROMPT);
    } catch (error) {
      console.error(`error: ${(error as Error).message}`);
      code = 2;
      break;
    }
    rl.prompt();
  }
  rl.close();
  return code;
}

async function piped(client: AdminClient): Promise<number> {
  const rl = readline.createInterface({ input: process.stdin, terminal: false });
  for await (const line of rl) {
    try {
      const answer = await client.request({ line });
      if (text(answer)) console.log(text(answer).trimEnd());
    } catch (error) {
      console.error(`error: ${(error as Error).message}`);
      return 2;
    }
  }
  return 0;
}

/** The data directory: `--data`, else that of `[storage] path` in the server's config. */
async function dataDirectory(options: { data?: string; config?: string }): Promise<string> {
  const base = invocationDirectory();
  if (options.data !== undefined) return resolve(base, options.data);
  const { config } = await readConfig(base, options.config);
  return dirname(resolve(base, config.storage.path));
}

/** Runs the remote console with `args`; resolves with the exit code. */
export async function main(args: string[]): Promise<number> {
  let options: { data?: string; config?: string };
  let words: string[];
  const program = new Command("deno task console")
    .description("Run admin commands on a running ghosting server through its admin socket")
    .option(
      "-d, --data <dir>",
      "the server's data directory (default: the directory of [storage] path in the config)",
    )
    .option("-c, --config <file>", "the server's config.toml (default: ./config.toml if present)")
    .argument("[command...]", "one command to run, e.g. status; without it, read commands")
    .version(VERSION_TEXT)
    // Words after the command are the command's own: `say -- hi` or `say -hi` reach the server.
    .passThroughOptions()
    .exitOverride()
    .allowExcessArguments(false);
  try {
    program.parse(args, { from: "user" });
    options = program.opts();
    words = program.args;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 2; // commander printed the help, version or problem
    }
    throw error;
  }
  let directory: string;
  try {
    directory = await dataDirectory(options);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`error: ${error.message}`);
    return 2;
  }
  const path = join(directory, ADMIN_SOCKET_NAME);
  let client: AdminClient;
  try {
    client = await AdminClient.connect(path);
  } catch (error) {
    console.error(
      `error: no server answers at ${path} (${
        (error as Error).message
      }); start one with deno task start, or pass its --data directory`,
    );
    return 2;
  }
  try {
    if (words.length > 0) {
      // The words as one console line: `deno task console kick '"Bob Smith"'` keeps quotes.
      const line = words.join(" ");
      const answer = await client.request({ line });
      if (text(answer)) console.log(text(answer).trimEnd());
      return "kind" in answer && answer.kind === "ok" ? 0 : 1;
    }
    return process.stdin.isTTY ? await interactive(client) : await piped(client);
  } finally {
    client.close();
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));

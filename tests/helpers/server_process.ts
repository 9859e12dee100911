/**
 * A real server process for console, admin socket and command-line tests: started as users
 * start it (`deno task start`, or the task's command itself when the test needs the server's
 * own pid), in its own process group so a test can deliver a terminal's Ctrl+C to the group
 * and always clean up every process it started.
 */

const root = new URL("../../", import.meta.url);
export const ROOT_PATH = root.pathname;

const denoJson = JSON.parse(Deno.readTextFileSync(new URL("deno.json", root))) as {
  tasks: Record<string, string>;
};

/** The arguments of a task's `deno run …` command, without the leading `deno`. */
export function taskArgs(task: string): string[] {
  const [deno, ...args] = denoJson.tasks[task].split(" ");
  if (deno !== "deno") throw new Error(`Task ${task} does not start with deno`);
  return args;
}

/**
 * This process's environment without INIT_CWD: under `deno task test` it names the repository,
 * and a `deno task` started from a test must set its own, as one started from a shell does.
 */
export function cleanEnv(): Record<string, string> {
  const env = Deno.env.toObject();
  delete env.INIT_CWD;
  return env;
}

/** Writes `text` to a temporary `.toml` file, runs `body` with its path, then removes it. */
export async function withConfigFile(
  text: string,
  body: (path: string) => Promise<void>,
): Promise<void> {
  const path = await Deno.makeTempFile({ suffix: ".toml" });
  try {
    await Deno.writeTextFile(path, text);
    await body(path);
  } finally {
    await Deno.remove(path);
  }
}

/**
 * `deno run` arguments for the server with the fewest permissions it runs with (no FFI, so the
 * portable UDP backend), `config`, and its database and admin socket in `data`, never the
 * repository's `data/`; `extra` flags follow.
 */
export function serverArgs(config: string, data: string, ...extra: string[]): string[] {
  return [
    "run",
    "--allow-net",
    "--allow-read",
    "--allow-write",
    "src/main.ts",
    "--config",
    config,
    "--data",
    data,
    ...extra,
  ];
}

/**
 * `deno <args>` run from the repository, not through a task runner, so that a signal reaches
 * the server itself. Its standard error is read only as far as a test asks: a test may stop
 * reading it on purpose. Standard input and output are null.
 */
export class DenoChild {
  readonly child: Deno.ChildProcess;
  /** Standard error as text; read it here or with the methods below, which keep `log`. */
  readonly stderr: ReadableStreamDefaultReader<string>;
  /** Standard error read so far by the methods below. */
  log = "";

  constructor(args: string[], timeoutMs = 20000) {
    this.child = new Deno.Command(Deno.execPath(), {
      args,
      cwd: ROOT_PATH,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      signal: AbortSignal.timeout(timeoutMs),
    }).spawn();
    this.stderr = this.child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** Reads standard error until `pattern` matches the log; null when it ended first. */
  async readUntil(pattern: RegExp): Promise<RegExpExecArray | null> {
    for (;;) {
      const match = pattern.exec(this.log);
      if (match) return match;
      const { value, done } = await this.stderr.read();
      if (done) return null;
      this.log += value;
    }
  }

  /** Reads standard error to its end and resolves with the whole log. */
  async readToEnd(): Promise<string> {
    for (;;) {
      const { value, done } = await this.stderr.read();
      if (done) return this.log;
      this.log += value;
    }
  }

  /**
   * Reads standard error until the server says it listens on 127.0.0.1, and returns the port.
   * When it does not, kills the process and throws with what it logged.
   */
  async listeningPort(): Promise<number> {
    const port = Number((await this.readUntil(/listening on 127\.0\.0\.1:(\d+)/))?.[1]);
    if (!(port > 0)) {
      this.child.kill("SIGKILL");
      await this.child.status;
      throw new Error(`The server did not start:\n${this.log}`);
    }
    return port;
  }
}

/** Collects a stream's text as it arrives. */
class Collector {
  text = "";
  readonly done: Promise<void>;
  readonly #waiters = new Set<() => void>();

  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = (async () => {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        this.text += chunk;
        for (const wake of this.#waiters) wake();
      }
      for (const wake of this.#waiters) wake();
    })();
  }

  /** Resolves with the first match of `pattern` in the text from `from` on. */
  async wait(pattern: RegExp, from = 0, timeoutMs = 10000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    let ended = false;
    this.done.then(() => ended = true);
    for (;;) {
      const match = pattern.exec(this.text.slice(from));
      if (match) return match;
      if (ended) throw new Error(`Stream ended without ${pattern}:\n${this.text}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`No ${pattern} within ${timeoutMs} ms:\n${this.text}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(finish, left);
        const waiters = this.#waiters;
        function finish() {
          clearTimeout(timer);
          waiters.delete(finish);
          resolve();
        }
        waiters.add(finish);
      });
    }
  }
}

export interface StartOptions {
  /** `deno task <task>` (default "start"), or with `direct`, the task's command run directly. */
  task?: string;
  /** Run the task's `deno run` command directly, so `pid` is the server's own. */
  direct?: boolean;
  /** Extra arguments for the server. */
  args?: string[];
  /** The data directory (`--data`); omitted when undefined. */
  data?: string;
  /** Working directory. Default: the repository. */
  cwd?: string;
  /** Add `--hostname 127.0.0.1 --port 0`. Default true. */
  loopback?: boolean;
}

/** A server process with piped standard streams. */
export class ServerProcess {
  readonly child: Deno.ChildProcess;
  readonly stdout: Collector;
  readonly stderr: Collector;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  port = 0;
  #stdinOpen = true;

  private constructor(child: Deno.ChildProcess) {
    this.child = child;
    this.stdout = new Collector(child.stdout);
    this.stderr = new Collector(child.stderr);
    this.#stdin = child.stdin.getWriter();
  }

  /** Starts a server and waits until it listens. */
  static async start(options: StartOptions = {}): Promise<ServerProcess> {
    const task = options.task ?? "start";
    const serverArgs = [
      ...(options.loopback ?? true ? ["--hostname", "127.0.0.1", "--port", "0"] : []),
      ...(options.data === undefined ? [] : ["--data", options.data]),
      ...(options.args ?? []),
    ];
    const command = options.direct
      ? [Deno.execPath(), ...taskArgs(task), ...serverArgs]
      : [Deno.execPath(), "task", "--config", `${ROOT_PATH}deno.json`, task, ...serverArgs];
    // setsid: its own process group, like a job a terminal runs (Ctrl+C reaches the group).
    const child = new Deno.Command("setsid", {
      args: command,
      cwd: options.cwd ?? ROOT_PATH,
      clearEnv: true,
      env: cleanEnv(),
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const server = new ServerProcess(child);
    try {
      const [, port] = await server.stderr.wait(/listening on 127\.0\.0\.1:(\d+)/, 0, 20000);
      server.port = Number(port);
      // The start-up summary ends with where commands go: then the server is ready.
      await server.stderr.wait(/^Commands: /m, 0, 20000);
    } catch (error) {
      await server.kill();
      throw error;
    }
    return server;
  }

  /** The process id (the server's own with `direct`, else the task runner's). */
  get pid(): number {
    return this.child.pid;
  }

  /** Writes one console line. */
  async line(text: string): Promise<void> {
    await this.#stdin.write(new TextEncoder().encode(`${text}\n`));
  }

  /** Writes a line and waits for `answer` in standard output after what was there before. */
  async command(text: string, answer: RegExp, timeoutMs = 10000): Promise<string> {
    const from = this.stdout.text.length;
    await this.line(text);
    const match = await this.stdout.wait(answer, from, timeoutMs);
    return match[0];
  }

  /** Ends standard input (the console's end of input). */
  async closeStdin(): Promise<void> {
    if (!this.#stdinOpen) return;
    this.#stdinOpen = false;
    await this.#stdin.close().catch(() => {});
  }

  /** Sends a signal to the whole process group (what a terminal's Ctrl+C does). */
  signalGroup(signal: Deno.Signal): void {
    Deno.kill(-this.child.pid, signal);
  }

  /** Waits for the exit, then for every output to be read. */
  async exit(timeoutMs = 15000): Promise<Deno.CommandStatus> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const status = await Promise.race([
      this.child.status,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`No exit within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    await this.closeStdin();
    await Promise.all([this.stdout.done, this.stderr.done]);
    return status;
  }

  /** Kills the whole process group at once (cleanup, or a crash on purpose). */
  async kill(): Promise<Deno.CommandStatus> {
    try {
      Deno.kill(-this.child.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
    await this.closeStdin();
    const status = await this.child.status;
    await Promise.all([this.stdout.done, this.stderr.done]);
    return status;
  }
}

/** Runs `deno task console …` and returns its exit code and output. */
export async function remoteConsole(
  args: string[],
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "--config", `${ROOT_PATH}deno.json`, "--quiet", "console", ...args],
    cwd: ROOT_PATH,
    clearEnv: true,
    env: cleanEnv(),
    stdin: input === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(20000),
  }).spawn();
  if (input !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(input));
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

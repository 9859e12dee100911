/**
 * Running the server under test as a child process (`--spawn`): pick a free port, start
 * `src/main.ts`, wait until it listens, watch its log, stop it with SIGINT at the end.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** How to start the server. */
export interface SpawnOptions {
  hostname: string;
  /** Port to pass, or undefined to pick a free one. */
  port?: number;
  /** `--config` to pass, if any. */
  config?: string;
  /** Give up if it is not listening after this long. */
  readyTimeoutMs: number;
}

/** What the server's log showed. */
export interface ServerLogSummary {
  lines: number;
  /** Lines logged at warning level. */
  warnings: number;
  /** Lines logged at error or fatal level. */
  errors: number;
  /** The first few warning and error lines, for the report. */
  samples: string[];
  /** The last lines, for when it failed. */
  tail: string[];
}

/** How the server ended. */
export interface ServerExit {
  code: number;
  signal: string | null;
  /** Whether SIGINT was not enough and SIGKILL was needed. */
  killed: boolean;
}

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const KEPT_SAMPLES = 5;
const KEPT_TAIL = 20;
/** How long the log may stay silent about listening before the port is probed instead. */
const PROBE_AFTER_MS = 3000;
const POLL_MS = 100;
const BACKEND_PATTERNS = [
  /\bUDP backend\s*[:=]\s*"?([\w-]+)/i,
  /\b(?:using|chose|selected)\s+(?:the\s+)?"?([\w-]+)"?\s+UDP backend\b/i,
];

/**
 * A free port on `hostname` for both TCP and UDP (the server needs the same number for
 * both). Another process could still take it before the server binds; the server then fails
 * to start and says so.
 */
export function freePort(hostname: string): number {
  for (let attempt = 0; attempt < 20; attempt++) {
    const tcp = Deno.listen({ hostname, port: 0, transport: "tcp" });
    const port = (tcp.addr as Deno.NetAddr).port;
    try {
      Deno.listenDatagram({ hostname, port, transport: "udp" }).close();
      return port;
    } catch {
      // The UDP twin is taken: try another port.
    } finally {
      tcp.close();
    }
  }
  throw new Error(`No port free for both TCP and UDP on ${hostname}`);
}

async function canConnect(hostname: string, port: number): Promise<boolean> {
  try {
    const connection = await Deno.connect({ hostname, port, transport: "tcp" });
    connection.close();
    return true;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The arguments after `deno` of the `server` task in deno.json. */
function serverTaskArgs(): string[] {
  const denoJson = JSON.parse(Deno.readTextFileSync(new URL("../../deno.json", import.meta.url)));
  const [deno, ...args] = (denoJson.tasks.server as string).split(/\s+/);
  if (deno !== "deno") {
    throw new Error(`The server task does not start with "deno": ${denoJson.tasks.server}`);
  }
  return args;
}

/** A running server process. Start one with {@linkcode SpawnedServer.start}. */
export class SpawnedServer {
  readonly pid: number;
  readonly port: number;
  readonly hostname: string;
  /** The UDP backend, if the log names one ("… backend …"). */
  backend: string | undefined;
  /** The HTTP API's port, once the log says it listens. */
  httpPort: number | undefined;
  readonly #child: Deno.ChildProcess;
  readonly #logDone: Promise<void>;
  readonly #summary: ServerLogSummary = { lines: 0, warnings: 0, errors: 0, samples: [], tail: [] };
  #listening = false;
  #exit: Deno.CommandStatus | undefined;

  private constructor(child: Deno.ChildProcess, hostname: string, port: number) {
    this.#child = child;
    this.pid = child.pid;
    this.hostname = hostname;
    this.port = port;
    this.#logDone = Promise.all([this.#readLog(child.stdout), this.#readLog(child.stderr)])
      .then(() => {});
    child.status.then((status) => this.#exit = status);
  }

  /**
   * Starts the `server` task's own command (deno.json: the permissions and V8 flags users run
   * with) plus `--hostname H --port P [--config FILE]`, from the repository root, and waits
   * until it accepts TCP connections. The task's command is run directly rather than through
   * `deno task`, which would not forward the stop signal.
   *
   * @throws {Error} when it exits or does not listen in time (with the end of its log)
   */
  static async start(options: SpawnOptions): Promise<SpawnedServer> {
    const port = options.port ?? freePort(options.hostname);
    const args = [
      ...serverTaskArgs(),
      "--hostname",
      options.hostname,
      "--port",
      String(port),
    ];
    if (options.config !== undefined) args.push("--config", options.config);
    const child = new Deno.Command(Deno.execPath(), {
      args,
      cwd: REPO_ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const server = new SpawnedServer(child, options.hostname, port);
    try {
      await server.#waitUntilListening(options.readyTimeoutMs);
    } catch (error) {
      await server.stop(2000);
      const tail = server.#summary.tail.map((line) => `  | ${line}`).join("\n");
      throw new Error(`${(error as Error).message}; its last output:\n${tail}`);
    }
    return server;
  }

  /** Whether the process has ended. */
  get exited(): boolean {
    return this.#exit !== undefined;
  }

  /** What the log showed so far. */
  get log(): ServerLogSummary {
    return this.#summary;
  }

  async #waitUntilListening(timeoutMs: number): Promise<void> {
    const started = Date.now();
    while (!this.#listening) {
      if (this.#exit) throw new Error(`The server exited with code ${this.#exit.code}`);
      const elapsed = Date.now() - started;
      if (elapsed > timeoutMs) {
        throw new Error(`The server was not listening after ${timeoutMs} ms`);
      }
      // A config with console logging off never says "listening": probe the port instead.
      if (elapsed > PROBE_AFTER_MS && await canConnect(this.hostname, this.port)) return;
      await sleep(POLL_MS);
    }
  }

  /** The HTTP API's port, once it listens; undefined when it did not within `timeoutMs`. */
  async waitForHttp(timeoutMs: number): Promise<number | undefined> {
    const started = Date.now();
    while (this.httpPort === undefined && !this.#exit && Date.now() - started < timeoutMs) {
      await sleep(POLL_MS);
    }
    return this.httpPort;
  }

  /** Sends SIGINT without waiting, for when this process is about to exit. */
  interrupt(): void {
    try {
      this.#child.kill("SIGINT");
    } catch {
      // already gone
    }
  }

  /** Stops with SIGINT (a graceful stop), then SIGKILL after `timeoutMs`. */
  async stop(timeoutMs: number): Promise<ServerExit> {
    let killed = false;
    if (!this.#exit) {
      try {
        this.#child.kill("SIGINT");
      } catch {
        // exited in between
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = await Promise.race([
        this.#child.status.then(() => false),
        new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(true), timeoutMs)),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        killed = true;
        try {
          this.#child.kill("SIGKILL");
        } catch {
          // exited in between
        }
      }
    }
    const status = await this.#child.status;
    await this.#logDone;
    return { code: status.code, signal: status.signal, killed };
  }

  async #readLog(stream: ReadableStream<Uint8Array>): Promise<void> {
    let rest = "";
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      const lines = (rest + text).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) this.#onLine(line);
    }
    if (rest) this.#onLine(rest);
  }

  #onLine(line: string): void {
    const summary = this.#summary;
    summary.lines++;
    summary.tail.push(line);
    if (summary.tail.length > KEPT_TAIL) summary.tail.shift();
    // logtape's text format: "<time> [INF] category: message".
    const warning = line.includes("[WRN]");
    const error = line.includes("[ERR]") || line.includes("[FTL]");
    if (warning) summary.warnings++;
    if (error) summary.errors++;
    if ((warning || error) && summary.samples.length < KEPT_SAMPLES) summary.samples.push(line);
    const http = /HTTP API listening on http:\/\/.*:(\d+)/.exec(line);
    if (http) this.httpPort = Number(http[1]);
    else if (/listening on/i.test(line)) this.#listening = true;
    // Only a line that states the choice counts ("UDP backend: mmsg", "using the mmsg UDP
    // backend"), not one that explains why a backend cannot be used; the last one wins.
    const backend = BACKEND_PATTERNS.map((pattern) => pattern.exec(line)).find(Boolean);
    if (backend) this.backend = backend[1];
  }
}

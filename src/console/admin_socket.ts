/**
 * The remote console's server side: a Unix socket in the data directory (owner-only) that
 * serves the command table, one JSON object per line each way.
 *
 * Requests: `{"line": "kick 3"}` runs a console line; `{"complete": "countdown st"}` asks for
 * completions. Answers: `{"kind": "ok"|"error"|"question", "text": "…"}` (a `question` is an
 * old two-step command asking for its next argument: the next line answers it), or
 * `{"completions": ["start"], "word": "st"}`.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { CommandTable } from "../admin/table.ts";
import type { GhostServer } from "../server/server.ts";
import { completeLine } from "./complete.ts";
import { CommandSession } from "./session.ts";

const log = getLogger(["ghosting", "console"]);

/** The admin socket's file name in the data directory. */
export const ADMIN_SOCKET_NAME = "admin.sock";

/** Longest request line; a longer one closes the connection. */
export const MAX_REQUEST_BYTES = 65536;

/** Connections served at once; more are closed at once. */
const MAX_CONNECTIONS = 16;

/** Longest path a Unix socket address holds on Linux (108 bytes with the final NUL). */
const MAX_SOCKET_PATH_BYTES = 107;

/** One answer of the line protocol. */
export type AdminAnswer =
  | { kind: "ok" | "error" | "question"; text: string }
  | { completions: string[]; word: string };

/** The admin socket cannot be opened; the message says why and what to do. */
export class AdminSocketError extends Error {
  /** Creates an error shown to the operator as is. */
  constructor(message: string) {
    super(message);
    this.name = "AdminSocketError";
  }
}

async function answers(path: string): Promise<boolean> {
  try {
    const conn = await Deno.connect({ transport: "unix", path });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Serves the command table on a Unix socket, as the `console` actor.
 *
 * @example
 * ```ts
 * import { createCommandTable, GhostServer } from "../../mod.ts";
 * import { AdminSocket } from "./admin_socket.ts";
 *
 * const dir = await Deno.makeTempDir();
 * const server = new GhostServer({ port: 0 });
 * await server.start();
 * const socket = await AdminSocket.listen(`${dir}/admin.sock`, server, createCommandTable());
 * // deno task console --data <dir>
 * await socket.close();
 * await server.stop();
 * ```
 */
export class AdminSocket {
  /** The socket's path. */
  readonly path: string;
  readonly #listener: Deno.Listener<Deno.UnixConn, Deno.UnixAddr>;
  readonly #connections = new Set<Deno.UnixConn>();
  readonly #served = new Set<Promise<void>>();
  /** The request each connection is answering, so close() lets it finish (`stop` answers). */
  readonly #busy = new Map<Deno.UnixConn, Promise<void>>();
  readonly #acceptLoop: Promise<void>;
  #closed = false;

  private constructor(
    path: string,
    listener: Deno.Listener<Deno.UnixConn, Deno.UnixAddr>,
    server: GhostServer,
    table: CommandTable,
  ) {
    this.path = path;
    this.#listener = listener;
    this.#acceptLoop = this.#accept(server, table);
  }

  /**
   * Listens at `path` (owner-only, mode 0600), replacing a stale socket left by a crash.
   *
   * @throws {AdminSocketError} when another server answers there, the path is too long, or
   *   it cannot be created
   */
  static async listen(
    path: string,
    server: GhostServer,
    table: CommandTable,
  ): Promise<AdminSocket> {
    if (new TextEncoder().encode(path).length > MAX_SOCKET_PATH_BYTES) {
      throw new AdminSocketError(
        `The admin socket path ${path} is longer than ${MAX_SOCKET_PATH_BYTES} bytes; use a shorter data directory (--data)`,
      );
    }
    try {
      const info = await Deno.lstat(path);
      if (!info.isSocket) {
        throw new AdminSocketError(`${path} exists and is not a socket; remove it or use --data`);
      }
      if (await answers(path)) {
        throw new AdminSocketError(
          `Another server is running with this data directory (${path} answers); stop it, or give this one its own --data directory`,
        );
      }
      await Deno.remove(path); // left behind by a server that did not stop cleanly
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    let listener;
    try {
      listener = Deno.listen({ transport: "unix", path });
      await Deno.chmod(path, 0o600);
    } catch (error) {
      throw new AdminSocketError(
        `Cannot create the admin socket ${path}: ${(error as Error).message}`,
      );
    }
    return new AdminSocket(path, listener, server, table);
  }

  async #accept(server: GhostServer, table: CommandTable): Promise<void> {
    for (;;) {
      let conn: Deno.UnixConn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (!this.#closed) log.error("The admin socket failed: {error}", { error });
        return;
      }
      if (this.#connections.size >= MAX_CONNECTIONS) {
        conn.close();
        continue;
      }
      this.#connections.add(conn);
      const served = this.#serve(conn, new CommandSession(table, server, "console"), server, table)
        .catch((error) => log.debug("Admin connection ended: {error}", { error }))
        .finally(() => {
          this.#connections.delete(conn);
          this.#served.delete(served);
          try {
            conn.close();
          } catch {
            // Already closed by close().
          }
        });
      this.#served.add(served);
    }
  }

  async #serve(
    conn: Deno.UnixConn,
    session: CommandSession,
    server: GhostServer,
    table: CommandTable,
  ): Promise<void> {
    const encoder = new TextEncoder();
    const decoder = new TextDecoder();
    const send = async (answer: AdminAnswer) => {
      const bytes = encoder.encode(`${JSON.stringify(answer)}\n`);
      for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
    };
    let buffered = new Uint8Array(0);
    const chunk = new Uint8Array(16384);
    for (;;) {
      const n = await conn.read(chunk);
      if (n === null) return;
      const joined = new Uint8Array(buffered.length + n);
      joined.set(buffered);
      joined.set(chunk.subarray(0, n), buffered.length);
      buffered = joined;
      for (let newline = buffered.indexOf(10); newline >= 0; newline = buffered.indexOf(10)) {
        const line = decoder.decode(buffered.subarray(0, newline));
        buffered = buffered.slice(newline + 1);
        let request: unknown;
        try {
          request = JSON.parse(line);
        } catch {
          await send({ kind: "error", text: 'Send one JSON object per line: {"line": "help"}' });
          continue;
        }
        const { line: text, complete } = (request ?? {}) as { line?: unknown; complete?: unknown };
        const answering = (async () => {
          if (typeof text === "string") {
            await send(await session.line(text));
          } else if (typeof complete === "string") {
            const [completions, word] = completeLine(table, server, complete);
            await send({ completions, word });
          } else {
            await send({ kind: "error", text: 'Expected {"line": "<command>"}' });
          }
        })();
        this.#busy.set(conn, answering);
        try {
          await answering;
        } finally {
          this.#busy.delete(conn);
        }
      }
      if (buffered.length > MAX_REQUEST_BYTES) {
        await send({ kind: "error", text: `A request is limited to ${MAX_REQUEST_BYTES} bytes` });
        return;
      }
    }
  }

  /**
   * Closes the socket and every connection (after the answer being sent, such as the one to
   * `stop`, or at most a second), and removes the socket file.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listener.close();
    await Promise.all([...this.#connections].map(async (conn) => {
      const busy = this.#busy.get(conn);
      if (busy) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          busy.catch(() => {}),
          new Promise((resolve) => timer = setTimeout(resolve, 1000)),
        ]);
        clearTimeout(timer);
      }
      try {
        conn.close();
      } catch {
        // Closed meanwhile.
      }
    }));
    await this.#acceptLoop;
    await Promise.all([...this.#served]);
    await Deno.remove(this.path).catch(() => {});
  }
}

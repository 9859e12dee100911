/** An HTTP API over a real test server, real sockets on 127.0.0.1, and the server's manual clock. */
import { createCommandTable } from "../../src/admin/mod.ts";
import type { CommandTable } from "../../src/admin/mod.ts";
import type { HttpToken } from "../../src/config/mod.ts";
import { HttpApi, type HttpApiOptions, MemoryHistory } from "../../src/http/mod.ts";
import type { GhostServerOptions } from "../../src/server/mod.ts";
import { type TestServer, withServer } from "../helpers/harness.ts";

export const ADMIN: HttpToken = { name: "panel", token: "admin-token-0123456789", scope: "admin" };
export const READ: HttpToken = { name: "overlay", token: "read-token-0123456789", scope: "read" };

export interface HttpTest extends TestServer {
  http: HttpApi;
  table: CommandTable;
  history: MemoryHistory;
  base: string;
  /** A request; the body is read (so no resource is left open) and returned with it. */
  request(
    method: string,
    path: string,
    options?: {
      token?: string | HttpToken;
      body?: unknown;
      rawBody?: BodyInit;
      headers?: HeadersInit;
    },
  ): Promise<
    { status: number; headers: Headers; text: string; json: <T = Record<string, unknown>>() => T }
  >;
  /** Opens a live channel socket and records every message. */
  live(): Promise<LiveViewer>;
}

export async function withHttp(
  options: { server?: GhostServerOptions; http?: HttpApiOptions },
  body: (t: HttpTest) => Promise<void>,
): Promise<void> {
  await withServer(options.server ?? {}, async (t) => {
    const table = createCommandTable();
    const history = new MemoryHistory();
    const detach = history.attach(t.server);
    const http = new HttpApi(t.server, table, {
      port: 0,
      tokens: [ADMIN, READ],
      clock: t.clock,
      history,
      ...options.http,
    });
    const { port } = http.start();
    const base = `http://127.0.0.1:${port}`;
    const viewers: LiveViewer[] = [];
    const test: HttpTest = {
      ...t,
      http,
      table,
      history,
      base,
      async request(method, path, { token, body, rawBody, headers } = {}) {
        const secret = typeof token === "object" ? token.token : token;
        const response = await fetch(base + path, {
          method,
          headers: {
            ...(secret !== undefined ? { authorization: `Bearer ${secret}` } : {}),
            ...(body !== undefined ? { "content-type": "application/json" } : {}),
            ...headers,
          },
          body: rawBody ?? (body === undefined ? undefined : JSON.stringify(body)),
        });
        const text = await response.text();
        return {
          status: response.status,
          headers: response.headers,
          text,
          json: <T>() => JSON.parse(text) as T,
        };
      },
      async live() {
        const viewer = await LiveViewer.open(`ws://127.0.0.1:${port}/api/v1/live`);
        viewers.push(viewer);
        return viewer;
      },
    };
    try {
      await body(test);
    } finally {
      await Promise.all(viewers.map((viewer) => viewer.close()));
      detach();
      await http.stop();
    }
  });
}

/** A live channel client that keeps every message it receives. */
export class LiveViewer {
  readonly messages: Record<string, unknown>[] = [];
  readonly closed: Promise<CloseEvent>;
  readonly socket: WebSocket;
  #waiters: (() => void)[] = [];

  private constructor(socket: WebSocket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => socket.addEventListener("close", resolve));
    socket.addEventListener("message", (event) => {
      this.messages.push(JSON.parse(event.data as string));
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.closed.then(() => {
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  static async open(url: string): Promise<LiveViewer> {
    const socket = new WebSocket(url);
    const viewer = new LiveViewer(socket);
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener("open", () => resolve(), { once: true });
      socket.addEventListener("error", () => reject(new Error("WebSocket failed")), { once: true });
    });
    return viewer;
  }

  send(message: unknown): void {
    this.socket.send(JSON.stringify(message));
  }

  /** Sends hello with `token` and waits for ok and the snapshot. */
  async hello(
    token: HttpToken,
    extra: Record<string, unknown> = {},
  ): Promise<Record<string, unknown>> {
    this.send({ type: "hello", token: token.token, ...extra });
    await this.next((m) => m.type === "ok");
    return await this.next((m) => m.type === "snapshot");
  }

  /**
   * The first message passing `filter` that has not been taken yet; waits up to 5 s. Messages
   * before it stay available to later calls only if they did not match.
   */
  async next(
    filter: (message: Record<string, unknown>) => boolean,
    timeoutMs = 5000,
  ): Promise<Record<string, unknown>> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const index = this.messages.findIndex(filter);
      if (index >= 0) return this.messages.splice(index, 1)[0];
      if (this.socket.readyState >= WebSocket.CLOSING) {
        await this.closed;
        const again = this.messages.findIndex(filter);
        if (again >= 0) return this.messages.splice(again, 1)[0];
        throw new Error(`Socket closed without the message; had ${JSON.stringify(this.messages)}`);
      }
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`No such message; had ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    if (this.socket.readyState < WebSocket.CLOSING) this.socket.close();
    await this.closed;
  }
}

/**
 * A live channel client that says hello and then never reads again: the slow viewer. It speaks
 * WebSocket by hand over a plain TCP connection, so nothing on the test's side drains it.
 */
export class StalledViewer {
  readonly #conn: Deno.TcpConn;

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  static async open(port: number, token: string): Promise<StalledViewer> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
    await conn.write(new TextEncoder().encode(
      `GET /api/v1/live HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
        `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    ));
    // Read the 101 answer only (it arrives alone: the server says nothing before our hello).
    const buffer = new Uint8Array(1024);
    let head = "";
    while (!head.includes("\r\n\r\n")) {
      const n = await conn.read(buffer);
      if (n === null) throw new Error("Closed during the upgrade");
      head += new TextDecoder().decode(buffer.subarray(0, n));
    }
    if (!head.startsWith("HTTP/1.1 101")) throw new Error(`Upgrade refused: ${head}`);
    const payload = new TextEncoder().encode(JSON.stringify({ type: "hello", token }));
    const mask = crypto.getRandomValues(new Uint8Array(4));
    const frame = new Uint8Array(2 + 4 + payload.length);
    frame[0] = 0x81; // FIN, text
    frame[1] = 0x80 | payload.length; // masked; hello is under 126 bytes
    frame.set(mask, 2);
    for (let i = 0; i < payload.length; i++) frame[6 + i] = payload[i] ^ mask[i % 4];
    await conn.write(frame);
    return new StalledViewer(conn);
  }

  close(): void {
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }
}

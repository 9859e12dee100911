/** Real servers and clients on 127.0.0.0/8 for behaviour tests, driven by a manual clock. */
import net from "node:net";
import { ManualClock } from "../../src/clock.ts";
import {
  GhostServer,
  type GhostServerEvents,
  type GhostServerOptions,
} from "../../src/server/mod.ts";
import { SarClient, type SarClientOptions } from "../../src/client/sar_client.ts";
import { encodeClientPacket, Header, zeroDataGhost } from "../../src/protocol/mod.ts";

export interface TestServer {
  server: GhostServer;
  clock: ManualClock;
  port: number;
  /** Connects a SAR-like client from its own loopback address (127.0.0.2, .3, …). */
  connect(name: string, options?: Partial<SarClientOptions>): Promise<SarClient>;
  /** A fresh loopback address nobody in this test has used. */
  nextAddress(): string;
  /** Opens a raw TCP connection, for malformed input. */
  raw(localAddress?: string): Promise<RawConnection>;
  /** The next server event of `type` passing `filter`; fails after 5 s instead of hanging. */
  event<K extends keyof GhostServerEvents>(
    type: K,
    filter?: (event: GhostServerEvents[K]) => boolean,
  ): Promise<GhostServerEvents[K]>;
}

/**
 * Starts a server on 127.0.0.1 with a manual clock (and the portable UDP backend unless
 * `options` say otherwise), runs `body`, then closes every client and
 * stops the server, so each test leaves no socket or timer behind.
 */
export async function withServer(
  options: GhostServerOptions,
  body: (t: TestServer) => void | Promise<void>,
): Promise<void> {
  const clock = new ManualClock();
  // The portable backend handles each datagram as it arrives; the default ("auto", batched on
  // Linux) only at a tick, which a manual clock runs when told. Tests of it ask for it.
  const server = new GhostServer({
    hostname: "127.0.0.1",
    port: 0,
    clock,
    udpBackend: "portable",
    ...options,
  });
  await server.start();
  const clients: SarClient[] = [];
  const raws: RawConnection[] = [];
  let host = 2;
  const nextAddress = () => `127.0.0.${host++}`;
  const t: TestServer = {
    server,
    clock,
    port: server.port,
    nextAddress,
    async connect(name, extra = {}) {
      const client = await SarClient.connect({
        port: server.port,
        name,
        localAddress: nextAddress(),
        ...extra,
      });
      clients.push(client);
      return client;
    },
    async event(type, filter) {
      const controller = new AbortController();
      const timer = setTimeout(
        () => controller.abort(new Error(`No ${String(type)} event within 5 s`)),
        5000,
      );
      try {
        return await server.once(type, filter, controller.signal);
      } finally {
        clearTimeout(timer);
      }
    },
    async raw(localAddress) {
      const connection = await RawConnection.open(server.port, localAddress ?? nextAddress());
      raws.push(connection);
      return connection;
    },
  };
  try {
    await body(t);
  } finally {
    await Promise.all([...clients.map((c) => c.close()), ...raws.map((r) => r.close())]);
    await server.stop();
  }
}

/** A CONNECT payload as SAR sends it, for clients built by hand. */
export function connectPayload(name: string): Uint8Array {
  return encodeClientPacket({
    header: Header.CONNECT,
    udpPort: 9,
    name,
    data: zeroDataGhost(),
    model: "",
    map: "",
    tcpOnly: false,
    color: { r: 0, g: 0, b: 0 },
    spectator: false,
  });
}

/** A plain TCP socket to the server that records everything received. */
export class RawConnection {
  readonly received: Uint8Array[] = [];
  readonly closed: Promise<void>;
  readonly #socket: net.Socket;

  private constructor(socket: net.Socket, closed: Promise<void>) {
    this.#socket = socket;
    this.closed = closed;
    socket.on("data", (chunk: Uint8Array) => this.received.push(new Uint8Array(chunk)));
  }

  static async open(port: number, localAddress: string): Promise<RawConnection> {
    const socket = net.connect({ host: "127.0.0.1", port, localAddress });
    socket.on("error", () => {});
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    await Promise.race([
      new Promise<void>((resolve) => socket.once("connect", () => resolve())),
      closed.then(() => Promise.reject(new Error("Closed before connecting"))),
    ]);
    return new RawConnection(socket, closed);
  }

  get localAddress(): string {
    return this.#socket.localAddress ?? "";
  }

  write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve) => this.#socket.write(bytes, () => resolve()));
  }

  /** Every byte received, concatenated. */
  bytes(): Uint8Array {
    const total = this.received.reduce((n, chunk) => n + chunk.length, 0);
    const all = new Uint8Array(total);
    let at = 0;
    for (const chunk of this.received) {
      all.set(chunk, at);
      at += chunk.length;
    }
    return all;
  }

  async close(): Promise<void> {
    this.#socket.destroy();
    await this.closed;
  }
}

/**
 * Waits until `check` returns true, polling every few ms: the barrier for UDP, where no reply
 * tells that the server has handled a datagram. Fails after `timeoutMs`.
 */
export async function eventually(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/**
 * A client that speaks to the server the way SourceAutoRecord does (docs/protocol.md §4.1, §5.7):
 * CONNECT, the header-less reply, heartbeat answers on the transport they came in on, UPDATE
 * over UDP (or TCP when TCP-only). Used by `deno task client`, the tests and the load
 * generator.
 *
 * @module
 */
import net from "node:net";
import {
  type Color,
  type ConnectReply,
  type DataGhost,
  decodeConnectReply,
  decodeServerPacket,
  DEFAULT_MODEL,
  encodeClientPacket,
  encodeFrame,
  FrameDecoder,
  type GhostInfo,
  Header,
  ProtocolError,
  type ServerPacket,
  zeroDataGhost,
} from "../protocol/mod.ts";
import type { ClientPacket } from "../protocol/mod.ts";

/**
 * How to connect: what {@linkcode SarClient.connect} puts in CONNECT, and how the client
 * behaves afterwards. Only `name` is required; the rest defaults to what SAR sends.
 *
 * @example
 * ```ts
 * import type { SarClientOptions } from "@ghosting/server";
 *
 * const spectator: SarClientOptions = {
 *   host: "ghosts.example.com",
 *   port: 53000,
 *   name: "Commentator",
 *   spectator: true,
 *   color: { r: 255, g: 128, b: 0 },
 * };
 * ```
 */
export interface SarClientOptions {
  /** Server address. Default "127.0.0.1". */
  host?: string;
  /** Server port (TCP and UDP). Default 53000. */
  port?: number;
  /** The player name announced in CONNECT. */
  name: string;
  /** Local address to bind TCP and UDP to, e.g. "127.0.0.7" to appear as its own player. */
  localAddress?: string;
  /** Send everything, UPDATE included, over TCP, as SAR's `ghost_TCP_only`. Default false. */
  tcpOnly?: boolean;
  /** Join as a spectator, as `ghost_spec_connect`. Default false. */
  spectator?: boolean;
  /** Map in CONNECT; "" (the menu) by default. */
  map?: string;
  /** Ghost model in CONNECT. Default {@linkcode DEFAULT_MODEL}. */
  model?: string;
  /** Ghost colour in CONNECT. Default black, as SAR's. */
  color?: Color;
  /** Pose in CONNECT; SAR always sends zeros. */
  data?: DataGhost;
  /** UDP port to announce instead of the real one (to test the server's port learning). */
  announcedUdpPort?: number;
  /** Answer heartbeats as SAR does. Default true. */
  answerHeartbeats?: boolean;
  /**
   * Packets kept for {@linkcode SarClient.next} before the oldest are dropped (bulk updates
   * arrive 20 times a second, so an unread inbox must not grow forever). Default 10000.
   */
  inboxLimit?: number;
  /** Give up on the connect reply after this long. Default 5000 (SAR: 5 s + 30 s). */
  timeoutMs?: number;
}

/**
 * One packet received from the server, with the transport it came over: the protocol sends
 * some packets over UDP or TCP depending on the client, so tests often need to know which.
 *
 * @example
 * ```ts
 * import { headerName, type ReceivedPacket, type SarClient } from "@ghosting/server";
 *
 * function trace(client: SarClient) {
 *   client.onPacket = ({ via, packet, bytes }: ReceivedPacket) => {
 *     console.log(`${via} ${headerName(packet.header)} (${bytes.length} bytes)`);
 *   };
 * }
 * ```
 */
export interface ReceivedPacket {
  /** The transport the packet arrived on. */
  via: "tcp" | "udp";
  /** The payload as received (no TCP length prefix). */
  bytes: Uint8Array;
  /** The payload decoded. */
  packet: ServerPacket;
}

/**
 * The server refused the connection: it closed it instead of replying (SAR shows "Transfer
 * timed out"), or replied with id 0 and explained why in chat before closing.
 *
 * @example
 * ```ts
 * import { ConnectionRefusedError, SarClient } from "@ghosting/server";
 *
 * try {
 *   const client = await SarClient.connect({ name: "Alice", timeoutMs: 2000 });
 *   await client.disconnect();
 * } catch (error) {
 *   if (!(error instanceof ConnectionRefusedError)) throw error;
 *   console.log(`refused: ${error.explanation ?? error.message}`);
 * }
 * ```
 */
export class ConnectionRefusedError extends Error {
  /** What the server said, when it explained the refusal. */
  readonly explanation?: string;

  /** Creates an error; `explanation` is the server's chat text, when it sent one. */
  constructor(message: string, explanation?: string) {
    super(message);
    this.name = "ConnectionRefusedError";
    this.explanation = explanation;
  }
}

interface Waiter {
  filter: (received: ReceivedPacket) => boolean;
  resolve: (received: ReceivedPacket) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * A connected SAR-like client. Create one with {@linkcode SarClient.connect}. It answers
 * heartbeats on its own, so a test only has to drive what it is testing.
 *
 * @example
 * ```ts
 * import { GhostServer, Header, SarClient } from "@ghosting/server";
 *
 * const server = new GhostServer({ hostname: "127.0.0.1", port: 0 });
 * const { port } = await server.start();
 * const client = await SarClient.connect({ port, name: "Alice" });
 *
 * server.sendMessage("Welcome");
 * const { packet } = await client.nextOf(Header.MESSAGE);
 * console.log(packet.text); // "Welcome"
 *
 * await client.disconnect();
 * await server.stop();
 * ```
 */
export class SarClient {
  /** Own id from the connect reply (0 when refused with an explanation). */
  readonly id: number;
  /** Clients already there when this one joined. */
  readonly ghosts: GhostInfo[];
  /** The local UDP port. */
  readonly udpPort: number;
  /** Whether heartbeats are answered automatically. */
  answerHeartbeats: boolean;
  /** Called for every packet received (after heartbeats are answered). */
  onPacket: (received: ReceivedPacket) => void = () => {};
  /** Called once when the TCP connection ends. */
  onClose: () => void = () => {};

  readonly #socket: net.Socket;
  readonly #udp: Deno.DatagramConn;
  readonly #server: Deno.NetAddr;
  readonly #tcpOnly: boolean;
  readonly #inbox: ReceivedPacket[] = [];
  readonly #inboxLimit: number;
  readonly #waiters = new Set<Waiter>();
  readonly #udpLoop: Promise<void>;
  readonly #socketClosed: Promise<void>;
  #closed = false;

  private constructor(
    reply: ConnectReply,
    socket: net.Socket,
    decoder: FrameDecoder,
    udp: Deno.DatagramConn,
    server: Deno.NetAddr,
    options: SarClientOptions,
    socketClosed: Promise<void>,
  ) {
    this.id = reply.yourId;
    this.ghosts = reply.ghosts;
    this.#socket = socket;
    this.#udp = udp;
    this.#server = server;
    this.#tcpOnly = options.tcpOnly ?? false;
    this.udpPort = (udp.addr as Deno.NetAddr).port;
    this.answerHeartbeats = options.answerHeartbeats ?? true;
    this.#inboxLimit = options.inboxLimit ?? 10000;
    this.#socketClosed = socketClosed;
    socket.on("data", (chunk: Uint8Array) => {
      try {
        decoder.push(chunk, (payload) => this.#receive("tcp", payload));
      } catch {
        socket.destroy();
      }
    });
    socketClosed.then(() => this.#onSocketClosed());
    this.#udpLoop = this.#receiveUdp();
  }

  /**
   * Connects, sends CONNECT and waits for the reply.
   *
   * @throws {ConnectionRefusedError} when the server closes the connection instead of replying
   */
  static async connect(options: SarClientOptions): Promise<SarClient> {
    const host = options.host ?? "127.0.0.1";
    const port = options.port ?? 53000;
    const udp = Deno.listenDatagram({
      hostname: options.localAddress ?? "0.0.0.0",
      port: 0,
      transport: "udp",
    });
    const socket = net.connect({ host, port, localAddress: options.localAddress });
    socket.setNoDelay(true);
    const socketClosed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.on("error", () => {/* reported through "close" */});
    const decoder = new FrameDecoder(16 * 1024 * 1024);
    const timeoutMs = options.timeoutMs ?? 5000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const rest: Uint8Array[] = [];
      const reply = await Promise.race([
        new Promise<ConnectReply>((resolve, reject) => {
          timer = setTimeout(
            () => reject(new ConnectionRefusedError(`No connect reply within ${timeoutMs} ms`)),
            timeoutMs,
          );
          let reply: ConnectReply | undefined;
          const onData = (chunk: Uint8Array) => {
            try {
              decoder.push(chunk, (payload) => {
                if (reply) rest.push(payload.slice());
                else reply = decodeConnectReply(payload);
              });
            } catch (error) {
              reject(error);
            }
            if (reply) resolve(reply);
          };
          socket.on("data", onData);
          socket.once("connect", () => {
            const connect: ClientPacket = {
              header: Header.CONNECT,
              udpPort: options.announcedUdpPort ?? (udp.addr as Deno.NetAddr).port,
              name: options.name,
              data: options.data ?? zeroDataGhost(),
              model: options.model ?? DEFAULT_MODEL,
              map: options.map ?? "",
              tcpOnly: options.tcpOnly ?? false,
              color: options.color ?? { r: 0, g: 0, b: 0 },
              spectator: options.spectator ?? false,
            };
            socket.write(encodeFrame(encodeClientPacket(connect)));
          });
        }),
        socketClosed.then(() =>
          Promise.reject(
            new ConnectionRefusedError(`The server at ${host}:${port} closed the connection`),
          )
        ),
      ]);
      clearTimeout(timer);
      socket.removeAllListeners("data");
      if (reply.yourId === 0) {
        // Id 0 is the server's own: this is a refusal, explained by the chat before the close.
        socket.on("data", (chunk: Uint8Array) => {
          decoder.push(chunk, (payload) => void rest.push(payload.slice()));
        });
        await Promise.race([
          socketClosed,
          new Promise((resolve) => timer = setTimeout(resolve, timeoutMs)),
        ]);
        clearTimeout(timer);
        const explanation = rest.map((payload) => decodeServerPacket(payload))
          .filter((packet) => packet.header === Header.MESSAGE)
          .map((packet) => (packet as { text: string }).text).join(" ");
        throw new ConnectionRefusedError(
          `The server refused the connection: ${explanation}`,
          explanation,
        );
      }
      const server: Deno.NetAddr = { transport: "udp", hostname: host, port };
      const client = new SarClient(reply, socket, decoder, udp, server, options, socketClosed);
      for (const payload of rest) client.#receive("tcp", payload);
      return client;
    } catch (error) {
      clearTimeout(timer);
      socket.destroy();
      await socketClosed;
      udp.close();
      throw error;
    }
  }

  /** Whether the TCP connection is still open. */
  get connected(): boolean {
    return !this.#closed;
  }

  /** Resolves when the TCP connection has ended (server close, or {@linkcode close}). */
  get closed(): Promise<void> {
    return this.#socketClosed;
  }

  /** Sends a packet over TCP (framed). */
  send(packet: ClientPacket): void {
    this.sendTcpPayload(encodeClientPacket(packet));
  }

  /** Sends a payload over TCP with its length prefix. */
  sendTcpPayload(payload: Uint8Array): void {
    this.sendRawTcp(encodeFrame(payload));
  }

  /** Sends bytes over TCP exactly as given (for malformed-input tests). */
  sendRawTcp(bytes: Uint8Array): void {
    if (!this.#closed) this.#socket.write(bytes);
  }

  /** Sends a payload as one datagram to the server. */
  async sendUdpPayload(payload: Uint8Array): Promise<void> {
    if (!this.#closed) await this.#udp.send(payload, this.#server);
  }

  /** Sends an UPDATE the way SAR does: UDP, or TCP when TCP-only. */
  async sendUpdate(data: DataGhost): Promise<void> {
    const payload = encodeClientPacket({ header: Header.UPDATE, id: this.id, data });
    if (this.#tcpOnly) this.sendTcpPayload(payload);
    else await this.sendUdpPayload(payload);
  }

  /** Chat. */
  sendMessage(text: string): void {
    this.send({ header: Header.MESSAGE, id: this.id, text });
  }

  /** MAP_CHANGE, as SAR sends at every session start. */
  changeMap(map: string, ticks?: number, ticksTotal?: number): void {
    this.send({ header: Header.MAP_CHANGE, id: this.id, map, ticks, ticksTotal });
  }

  /**
   * Sends PING and waits for the echo. Everything sent before over TCP has then been handled
   * by the server, and everything it sent before over TCP has arrived: a barrier for tests.
   */
  async ping(timeoutMs = 5000): Promise<void> {
    this.send({ header: Header.PING, id: this.id });
    await this.next((r) => r.via === "tcp" && r.packet.header === Header.PING, timeoutMs);
  }

  /**
   * The first received packet matching `filter`, waiting for it if needed. It is removed from
   * the inbox, and so are the packets before it that are passed over.
   */
  next(filter: (received: ReceivedPacket) => boolean, timeoutMs = 5000): Promise<ReceivedPacket> {
    const index = this.#inbox.findIndex(filter);
    if (index >= 0) {
      const [found] = this.#inbox.splice(0, index + 1).slice(-1);
      return Promise.resolve(found);
    }
    this.#inbox.length = 0;
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        filter,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter);
          reject(new Error(`No matching packet within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.#waiters.add(waiter);
    });
  }

  /** The next packet with this header. */
  nextOf<H extends ServerPacket["header"]>(
    header: H,
    via?: "tcp" | "udp",
    timeoutMs?: number,
  ): Promise<ReceivedPacket & { packet: Extract<ServerPacket, { header: H }> }> {
    return this.next(
      (r) => r.packet.header === header && (via === undefined || r.via === via),
      timeoutMs,
    ) as Promise<ReceivedPacket & { packet: Extract<ServerPacket, { header: H }> }>;
  }

  /** Packets received and not yet taken with {@linkcode next}. */
  get inbox(): readonly ReceivedPacket[] {
    return this.#inbox;
  }

  /** Forgets every packet received so far. */
  clearInbox(): void {
    this.#inbox.length = 0;
  }

  /** Sends DISCONNECT and closes, as `ghost_disconnect` does. */
  async disconnect(): Promise<void> {
    if (!this.#closed) this.send({ header: Header.DISCONNECT, id: this.id });
    await this.close();
  }

  /** Closes both sockets and waits until they are released. */
  async close(): Promise<void> {
    if (!this.#socket.destroyed) this.#socket.end();
    // A peer that never closes its side must not keep us waiting.
    const timer = setTimeout(() => this.#socket.destroy(), 1000);
    await this.#socketClosed;
    clearTimeout(timer);
    this.#onSocketClosed();
    await this.#udpLoop;
  }

  #onSocketClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#udp.close();
    } catch {
      // already closed
    }
    for (const waiter of this.#waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error("Connection closed before a matching packet arrived"));
    }
    this.#waiters.clear();
    this.onClose();
  }

  #receive(via: "tcp" | "udp", payload: Uint8Array): void {
    let packet: ServerPacket;
    try {
      packet = decodeServerPacket(payload);
    } catch (error) {
      if (error instanceof ProtocolError) return;
      throw error;
    }
    const received: ReceivedPacket = { via, bytes: payload.slice(), packet };
    if (packet.header === Header.HEART_BEAT && this.answerHeartbeats) {
      const answer = encodeClientPacket({
        header: Header.HEART_BEAT,
        id: this.id,
        token: packet.token,
      });
      if (via === "tcp") this.sendTcpPayload(answer);
      else this.sendUdpPayload(answer).catch(() => {});
    }
    if (packet.header === Header.STOP_SERVER) {
      // SAR answers STOP_SERVER by disconnecting itself (docs/protocol.md §3.5).
      queueMicrotask(() => void this.disconnect());
    }
    this.onPacket(received);
    for (const waiter of this.#waiters) {
      if (waiter.filter(received)) {
        clearTimeout(waiter.timer);
        this.#waiters.delete(waiter);
        waiter.resolve(received);
        return;
      }
    }
    this.#inbox.push(received);
    if (this.#inbox.length > this.#inboxLimit) this.#inbox.shift();
  }

  async #receiveUdp(): Promise<void> {
    const buffer = new Uint8Array(65507);
    while (!this.#closed) {
      try {
        const [data] = await this.#udp.receive(buffer);
        this.#receive("udp", data);
      } catch {
        if (this.#closed) return;
      }
    }
  }
}

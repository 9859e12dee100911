/**
 * One light SAR-like client for load tests (docs/protocol.md §4.1, §5.4, §5.7): CONNECT from its
 * own loopback address, UPDATE every few ms, heartbeat answers on the transport they came in
 * on, bulk updates read in place. Unlike `src/client/sar_client.ts` it keeps no inbox and
 * decodes only the rare packets, so hundreds of them can run next to the server.
 *
 * @module
 */
import net from "node:net";
import {
  type Color,
  decodeConnectReply,
  decodeServerPacket,
  DEFAULT_MODEL,
  encodeClientPacket,
  encodeFrame,
  FrameDecoder,
  Header,
  ProtocolError,
  zeroDataGhost,
} from "../../src/protocol/mod.ts";
import { BulkUpdateTracker } from "./bulk_update.ts";
import type { Histogram } from "./histogram.ts";
import { stampSendTime, writeStampedPose } from "./send_time.ts";
import type { LoadStats } from "./stats.ts";

/** How one load client connects and behaves. */
export interface LoadClientOptions {
  /** The client's number (0-based): its slot in the statistics. */
  index: number;
  /** Server address and port (TCP and UDP). */
  host: string;
  port: number;
  /** Source address of both sockets, unique per client. */
  localAddress: string;
  name: string;
  /** Map announced in CONNECT. */
  map: string;
  /** Sends UPDATEs over TCP and asks the server for TCP bulk updates. */
  tcpOnly: boolean;
  color: Color;
  /** Milliseconds between UPDATEs (SAR's `ghost_update_rate`). */
  rateMs: number;
  /**
   * Where this client records staleness besides `stats.staleness`, or undefined when it does
   * not measure it (only a sample does, to spare the CPU).
   */
  staleness?: Histogram;
  /** Give up waiting for the connect reply after this long. */
  connectTimeoutMs: number;
  stats: LoadStats;
}

/** Why a client could not connect. */
export class ConnectFailure extends Error {
  /** A short, countable reason ("timeout", "refused: …", "ECONNREFUSED", …). */
  readonly reason: string;

  constructor(reason: string, message: string) {
    super(message);
    this.name = "ConnectFailure";
    this.reason = reason;
  }
}

/** The countable reason of a failed {@linkcode LoadClient.connect}, for the report. */
export function failureReason(error: unknown): string {
  return error instanceof ConnectFailure ? error.reason : String(error);
}

/** Bytes of a client UPDATE: header, id, pose. */
const UPDATE_BYTES = 30;
/** Offset of the pose in an UPDATE. */
const UPDATE_POSE_OFFSET = 5;
/** Clients disconnecting at once in {@linkcode disconnectAll}. */
export const DISCONNECT_BATCH = 50;
/** Largest frame accepted from the server: a connect reply lists every client. */
const MAX_SERVER_FRAME_BYTES = 16 * 1024 * 1024;
/** Unsent TCP bytes above which an UPDATE is skipped rather than queued behind the others. */
const TCP_BACKLOG_BYTES = 64 * 1024;
/** The largest UDP payload over IPv4. */
const MAX_DATAGRAM_BYTES = 65507;

function heartbeatReply(id: number, token: number): Uint8Array {
  return encodeClientPacket({ header: Header.HEART_BEAT, id, token });
}

/** The text of a server MESSAGE (id 0), or undefined for anything else. */
function serverMessageText(payload: Uint8Array): string | undefined {
  try {
    const packet = decodeServerPacket(payload);
    if (packet.header === Header.MESSAGE && packet.id === 0) return packet.text;
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
  }
  return undefined;
}

/** A connected load client. Create one with {@linkcode LoadClient.connect}. */
export class LoadClient {
  readonly #options: LoadClientOptions;
  readonly #stats: LoadStats;
  readonly #socket: net.Socket;
  readonly #udp: Deno.DatagramConn;
  readonly #server: Deno.NetAddr;
  readonly #decoder = new FrameDecoder(MAX_SERVER_FRAME_BYTES);
  readonly #socketClosed: Promise<void>;
  /** The UPDATE, built once; only its send time changes. */
  readonly #update = new Uint8Array(UPDATE_BYTES);
  readonly #updateView = new DataView(this.#update.buffer);
  #id = 0;
  #tracker: BulkUpdateTracker | undefined;
  #handshake: { resolve: () => void; reject: (failure: ConnectFailure) => void } | undefined;
  /** Refused with an explanation: the reply had id 0; the reason follows in chat. */
  #refused = false;
  #lastServerMessage: string | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #udpSending = false;
  #udpLoop: Promise<void> = Promise.resolve();
  #closing = false;
  #closed = false;
  #dropped = false;

  private constructor(options: LoadClientOptions, udp: Deno.DatagramConn, socket: net.Socket) {
    this.#options = options;
    this.#stats = options.stats;
    this.#udp = udp;
    this.#socket = socket;
    this.#server = { transport: "udp", hostname: options.host, port: options.port };
    this.#socketClosed = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.on("error", (error: Error & { code?: string }) => {
      // Reported through "close"; during the handshake the code is the reason.
      this.#handshake?.reject(new ConnectFailure(error.code ?? "error", error.message));
    });
    socket.on("data", (chunk: Uint8Array) => this.#onTcpData(chunk));
    this.#socketClosed.then(() => this.#onSocketClosed());
  }

  /**
   * Binds UDP and TCP to `localAddress`, sends CONNECT as SAR does and waits for the reply.
   *
   * @throws {ConnectFailure} when the server refuses, closes, or does not answer in time
   */
  static async connect(options: LoadClientOptions): Promise<LoadClient> {
    let udp: Deno.DatagramConn;
    try {
      udp = Deno.listenDatagram({ hostname: options.localAddress, port: 0, transport: "udp" });
    } catch (error) {
      throw new ConnectFailure("udp_bind", `Cannot bind UDP: ${(error as Error).message}`);
    }
    const socket = net.connect({
      host: options.host,
      port: options.port,
      localAddress: options.localAddress,
    });
    socket.setNoDelay(true);
    const client = new LoadClient(options, udp, socket);
    try {
      await client.#connect();
    } catch (error) {
      client.#closing = true;
      socket.destroy();
      await client.#socketClosed;
      client.#closeUdp();
      throw error;
    }
    return client;
  }

  /** The id the server gave. */
  get id(): number {
    return this.#id;
  }

  /** Whether the server closed the connection while the client was running. */
  get dropped(): boolean {
    return this.#dropped;
  }

  #connect(): Promise<void> {
    const { connectTimeoutMs } = this.#options;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#handshake?.reject(
          new ConnectFailure("timeout", `No connect reply within ${connectTimeoutMs} ms`),
        );
      }, connectTimeoutMs);
      this.#handshake = {
        resolve: () => {
          clearTimeout(timer);
          this.#handshake = undefined;
          resolve();
        },
        reject: (failure) => {
          clearTimeout(timer);
          this.#handshake = undefined;
          reject(failure);
        },
      };
      this.#socket.once("connect", () => {
        const options = this.#options;
        this.#socket.write(encodeFrame(encodeClientPacket({
          header: Header.CONNECT,
          udpPort: (this.#udp.addr as Deno.NetAddr).port,
          name: options.name,
          data: zeroDataGhost(),
          model: DEFAULT_MODEL,
          map: options.map,
          tcpOnly: options.tcpOnly,
          color: options.color,
          spectator: false,
        })));
      });
    });
  }

  /**
   * Starts the UPDATE timer: the first one at a random phase within one period, as players
   * join at random moments.
   */
  start(): void {
    if (this.#closed || this.#closing) return;
    this.#timer = setTimeout(this.#sendUpdate, Math.random() * this.#options.rateMs);
  }

  /** Stops sending UPDATEs; heartbeats are still answered. */
  stopSending(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Sends DISCONNECT, closes TCP (destroying it if the server has not closed within
   * `graceMs`) and UDP, and waits until both are released.
   */
  async disconnect(graceMs: number): Promise<void> {
    this.#closing = true;
    this.stopSending();
    if (!this.#closed) {
      this.#socket.end(
        encodeFrame(encodeClientPacket({ header: Header.DISCONNECT, id: this.#id })),
      );
      const timer = setTimeout(() => this.#socket.destroy(), graceMs);
      await this.#socketClosed;
      clearTimeout(timer);
    }
    this.#closeUdp();
    await this.#udpLoop;
  }

  // Like SAR: send, then wait a whole period from now; a late timer is not caught up.
  readonly #sendUpdate = (): void => {
    const stats = this.#stats;
    const update = this.#update;
    stampSendTime(this.#updateView, UPDATE_POSE_OFFSET, Date.now());
    if (this.#options.tcpOnly) {
      if (this.#socket.writableLength > TCP_BACKLOG_BYTES) {
        if (stats.measuring) stats.updatesSkipped++;
      } else {
        // The socket may keep the bytes queued, so each frame is its own array.
        this.#socket.write(encodeFrame(update));
        if (stats.measuring) stats.updatesSent++;
      }
    } else if (this.#udpSending) {
      if (stats.measuring) stats.updatesSkipped++;
    } else {
      // The one UPDATE buffer is reused, so it must not change while a send holds it.
      this.#udpSending = true;
      this.#udp.send(update, this.#server).then(this.#udpSent, this.#udpFailed);
      if (stats.measuring) stats.updatesSent++;
    }
    this.#timer = setTimeout(this.#sendUpdate, this.#options.rateMs);
  };

  readonly #udpSent = (): void => {
    this.#udpSending = false;
  };

  readonly #udpFailed = (): void => {
    this.#udpSending = false;
    if (this.#stats.measuring) this.#stats.sendErrors++;
  };

  readonly #heartbeatFailed = (): void => {
    if (this.#stats.measuring) this.#stats.sendErrors++;
  };

  #onTcpData(chunk: Uint8Array): void {
    if (this.#stats.measuring) this.#stats.tcpBytes += chunk.length;
    try {
      this.#decoder.push(chunk, this.#onFrame);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.#handshake?.reject(new ConnectFailure("bad_frame", error.message));
      this.#socket.destroy();
    }
  }

  readonly #onFrame = (payload: Uint8Array): void => {
    if (this.#handshake && !this.#refused) {
      this.#onConnectReply(payload);
      return;
    }
    switch (payload[0]) {
      case Header.UPDATE:
        if (this.#tracker) {
          const view = new DataView(payload.buffer, payload.byteOffset, payload.length);
          this.#tracker.receive(view, payload.length, Date.now());
        }
        return;
      case Header.HEART_BEAT:
        if (payload.length >= 9 && !this.#closing) {
          const token = new DataView(payload.buffer, payload.byteOffset).getUint32(5);
          this.#socket.write(encodeFrame(heartbeatReply(this.#id, token)));
          if (this.#stats.measuring) this.#stats.tcpHeartbeats++;
        }
        return;
      case Header.STOP_SERVER:
        // SAR answers by disconnecting itself (docs/protocol.md §3.5); still a drop for the report.
        this.#lastServerMessage = "STOP_SERVER";
        if (!this.#closing) {
          this.#socket.end(
            encodeFrame(encodeClientPacket({ header: Header.DISCONNECT, id: this.#id })),
          );
        }
        return;
      case Header.MESSAGE: {
        // Kept as the likely reason when the server closes the connection next.
        const text = serverMessageText(payload);
        if (text !== undefined) this.#lastServerMessage = text;
        return;
      }
    }
  };

  #onConnectReply(payload: Uint8Array): void {
    let id: number;
    try {
      id = decodeConnectReply(payload).yourId;
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.#handshake?.reject(new ConnectFailure("bad_reply", error.message));
      this.#socket.destroy();
      return;
    }
    if (id === 0) {
      // An explained refusal: the reason comes as a chat message, then the server closes.
      this.#refused = true;
      return;
    }
    this.#id = id;
    const { index, stats, staleness } = this.#options;
    this.#tracker = new BulkUpdateTracker(index, id, stats, staleness);
    this.#update[0] = Header.UPDATE;
    this.#updateView.setUint32(1, id);
    writeStampedPose(this.#updateView, UPDATE_POSE_OFFSET, Date.now());
    // Receiving starts now, so UDP heartbeats are answered while the others connect.
    this.#udpLoop = this.#receiveUdp();
    this.#handshake?.resolve();
  }

  async #receiveUdp(): Promise<void> {
    const buffer = new Uint8Array(MAX_DATAGRAM_BYTES);
    const view = new DataView(buffer.buffer);
    const stats = this.#stats;
    while (!this.#closed && !this.#closing) {
      let data: Uint8Array;
      try {
        [data] = await this.#udp.receive(buffer);
      } catch (error) {
        if (this.#closed || this.#closing || error instanceof Deno.errors.BadResource) return;
        continue; // an ICMP error from an earlier send; the socket still works
      }
      if (stats.measuring) stats.udpBytes += data.length;
      if (data.length < 5) continue;
      if (data[0] === Header.UPDATE) {
        // Deno fills the buffer given and returns a view of it; should that ever change, the
        // one view made ahead would read stale bytes.
        const inPlace = data.buffer === buffer.buffer && data.byteOffset === 0;
        const packet = inPlace ? view : new DataView(data.buffer, data.byteOffset, data.length);
        this.#tracker?.receive(packet, data.length, Date.now());
      } else if (data[0] === Header.HEART_BEAT && data.length >= 9 && !this.#closing) {
        const reply = heartbeatReply(this.#id, view.getUint32(5));
        this.#udp.send(reply, this.#server).catch(this.#heartbeatFailed);
        if (stats.measuring) stats.udpHeartbeats++;
      }
    }
  }

  #onSocketClosed(): void {
    this.#closed = true;
    if (this.#handshake) {
      const reason = this.#refused
        ? `refused: ${this.#lastServerMessage ?? "no reason given"}`
        : "closed_before_reply";
      this.#handshake.reject(
        new ConnectFailure(reason, "The server closed the connection instead of replying"),
      );
      return;
    }
    if (this.#closing || this.#id === 0) return;
    // The server closed a running client: a drop.
    this.#dropped = true;
    this.stopSending();
    this.#stats.countDrop(this.#lastServerMessage ?? "closed without a message");
    this.#closeUdp();
  }

  #closeUdp(): void {
    try {
      this.#udp.close();
    } catch {
      // already closed
    }
  }
}

/**
 * Stops every client's UPDATEs, then disconnects them in batches (see
 * {@linkcode LoadClient.disconnect}), each client waiting at most `graceMs` for the server.
 */
export async function disconnectAll(
  clients: readonly LoadClient[],
  graceMs: number,
): Promise<void> {
  for (const client of clients) client.stopSending();
  for (let first = 0; first < clients.length; first += DISCONNECT_BATCH) {
    await Promise.all(
      clients.slice(first, first + DISCONNECT_BATCH).map((c) => c.disconnect(graceMs)),
    );
  }
}

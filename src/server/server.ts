/**
 * The ghost server: sessions over a TCP listener and a UDP socket on the same port, and the
 * public API the console, plugins and embedders use.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import {
  BulkUpdateEncoder,
  type ConnectPacket,
  DATA_GHOST_BYTES,
  encodeClientPacket,
  encodeConnectNotification,
  encodeConnectReply,
  encodeServerPacket,
  FRAME_PREFIX_BYTES,
  Header,
  headerName,
} from "../protocol/mod.ts";
import { type Clock, systemClock } from "../clock.ts";
import { acceptConnections, bindSockets } from "../net/listen.ts";
import { normalizeIp, requireIp } from "../net/address.ts";
import type { TcpConnection } from "../net/tcp_connection.ts";
import type { UdpSocket } from "../net/udp_socket.ts";
import {
  type OpenedUdpSocket,
  openUdpSocket,
  type ResolvedUdpBackend,
} from "../net/udp_backend.ts";
import {
  type BulkScope,
  checkValue,
  type Config,
  defaultConfig,
  fieldSpec,
  type LimitsSection,
  type UdpBackendName,
} from "../config/mod.ts";
import { Admission } from "./admission.ts";
import {
  ChatNotices,
  connectStringExplanation,
  oversizedConnectString,
  PlayerLimits,
  RELAY_QUEUE_SHARE,
} from "./limits.ts";
import { AccessRules, type WhitelistEntries } from "./acceptance.ts";
import { ChatGate } from "./chat.ts";
import { Client, type ClientInfo } from "./client.ts";
import { type CountdownOptions, encodeCountdownSetup, stripLineEndings } from "./countdown.ts";
import { Emitter, type Unsubscribe } from "./emitter.ts";
import type { Actor, GhostServerEvents, WhitelistChange } from "./events.ts";
import { readFirstFrame, startHandshake } from "./handshake.ts";
import {
  type AcceptancePolicy,
  callHook,
  type ChatFilter,
  type ConnectingClient,
  type Hook,
  hookLine,
  type HookOptions,
  makeHook,
  MAX_REFUSAL_LENGTH,
} from "./hooks.ts";
import {
  BULK_UPDATE_INTERVAL_MS,
  HEARTBEAT_INTERVAL_MS,
  heartbeatRound,
  type LoopHost,
  receiveUdp,
  SEND_DROP_REPORT_INTERVAL_MS,
  sendBulkUpdate,
  sendUdpKeepAlives,
  Ticker,
  type TickLateness,
  UDP_KEEPALIVE_INTERVAL_MS,
  UDP_RECEIVE_INTERVAL_MS,
} from "./loops.ts";
import {
  DISCONNECT_EXPLANATIONS,
  type DisconnectReason,
  type DropReason,
  REFUSAL_EXPLANATIONS,
  type RefusalReason,
} from "./reasons.ts";
import { handleDatagram, handleTcpPacket, type RelayHost, relayToOthers } from "./relay.ts";
import { TrafficCounters, type TrafficStats } from "./traffic.ts";

const log = getLogger(["ghosting", "server"]);

/**
 * Settings of a {@linkcode GhostServer}; each defaults to the `config.toml` default.
 *
 * @example A tournament server: players behind one NAT, silent refusals, same-map positions
 * ```ts
 * import { GhostServer } from "@ghosting/server";
 *
 * const server = new GhostServer({
 *   port: 53000,
 *   oneConnectionPerIp: false,
 *   explainRefusals: false,
 *   bulkScope: "same_map",
 *   countdown: { delay: 5, preCommands: "sv_cheats 0", postCommands: "say go" },
 *   // Everyone joins from the venue's address at once: let it open more connections.
 *   limits: { connections_per_ip_burst: 100, handshakes_per_ip: 64 },
 * });
 * ```
 */
export interface GhostServerOptions {
  /** Address for TCP and UDP. Default `"0.0.0.0"`. */
  hostname?: string;
  /** Port for TCP and UDP; 0 picks a free one. Default 53000. */
  port?: number;
  /** Time a new connection has to send CONNECT. Default 1500. */
  handshakeTimeoutMs?: number;
  /** Largest frame a client may send. Default 65536. */
  maxFrameBytes?: number;
  /** Bytes that may wait for a slow reader before it is disconnected. Default 1 MiB. */
  maxWriteQueueBytes?: number;
  /** One connection per IP, as the C++ server. Default true. */
  oneConnectionPerIp?: boolean;
  /** Tell refused/kicked players why in chat before closing. Default true. */
  explainRefusals?: boolean;
  /**
   * `"auto"` (default) batches UDP system calls where it can (Linux, `--allow-ffi`), else
   * `"portable"`; `"mmsg"` asks for batching and warns when it falls back.
   */
  udpBackend?: UdpBackendName;
  /** With the batched backend, segment split updates in the kernel (UDP GSO). Default true. */
  udpGso?: boolean;
  /** Largest bulk UPDATE datagram (larger ones are split); 0 for one datagram. Default 1200. */
  maxDatagramBytes?: number;
  /** `"same_map"` sends each client only the positions on its map. Default `"all"`. */
  bulkScope?: BulkScope;
  /** Defaults for {@linkcode GhostServer.startCountdown}. */
  countdown?: CountdownOptions;
  /**
   * What one player may make the server do, and how new connections are admitted: the keys of
   * `config.toml`'s `[limits]`, each defaulting to its default there.
   */
  limits?: Partial<LimitsSection>;
  /** How long a closing connection may take to flush and be closed by its peer. Default 2000. */
  closeGraceMs?: number;
  /** Time source of every timer; tests pass a `ManualClock`. */
  clock?: Clock;
}

/**
 * Which clients an operation applies to: one id, every client with exactly this name (case
 * matters, as in the C++ server), or every client from an IP.
 *
 * @example
 * ```ts
 * import { GhostServer } from "@ghosting/server";
 *
 * const server = new GhostServer();
 * server.kick({ name: "Cheater" }, "No cheating in races");
 * server.ban({ ip: "203.0.113.7" });
 * ```
 */
export type ClientSelector = { id: number } | { name: string } | { ip: string };

/**
 * Options for a server built from a parsed `config.toml`.
 *
 * @example
 * ```ts
 * import { GhostServer, loadConfig, optionsFromConfig } from "@ghosting/server";
 *
 * const server = new GhostServer(optionsFromConfig(await loadConfig("config.toml")));
 * ```
 */
export function optionsFromConfig(config: Config): GhostServerOptions {
  const options: Record<string, unknown> = {};
  for (const [option, key] of Object.entries(OPTION_KEYS)) options[option] = config.server[key];
  const countdown: Record<string, unknown> = {};
  for (const [option, key] of Object.entries(COUNTDOWN_KEYS)) {
    countdown[option] = config.countdown[key];
  }
  return {
    ...options as ConfigServerOptions,
    limits: { ...config.limits },
    countdown: countdown as Required<CountdownOptions>,
  };
}

/** How long a closing connection may take to flush and be closed by its peer (not in config.toml). */
const DEFAULT_CLOSE_GRACE_MS = 2000;

/**
 * The `[server]` key of each option: the only link between an option and its setting, so an
 * option takes its default and limits from the config schema. The type check below fails
 * when an option and its key disagree in type, or an option of {@linkcode GhostServerOptions}
 * has no key here.
 */
const OPTION_KEYS = {
  hostname: "hostname",
  port: "port",
  handshakeTimeoutMs: "handshake_timeout_ms",
  maxFrameBytes: "max_frame_bytes",
  maxWriteQueueBytes: "max_write_queue_bytes",
  oneConnectionPerIp: "one_connection_per_ip",
  explainRefusals: "explain_refusals",
  udpBackend: "udp_backend",
  udpGso: "udp_gso",
  maxDatagramBytes: "max_datagram_bytes",
  bulkScope: "bulk_scope",
} as const satisfies Record<string, keyof Config["server"]>;

/** The `[countdown]` key of each countdown option. */
const COUNTDOWN_KEYS = {
  delay: "delay",
  preCommands: "pre_commands",
  postCommands: "post_commands",
} as const satisfies Record<keyof CountdownOptions, keyof Config["countdown"]>;

/** The options that come from `[server]`, typed from their keys. */
type ConfigServerOptions = {
  [O in keyof typeof OPTION_KEYS]: Config["server"][typeof OPTION_KEYS[O]];
};

// Compile-time checks that OPTION_KEYS covers exactly the config-backed options, with their types.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _optionsMatchKeys: Exact<
  ConfigServerOptions,
  Required<Omit<GhostServerOptions, "countdown" | "clock" | "closeGraceMs" | "limits">>
> = true;
void _optionsMatchKeys;

type ServerOptions = Required<Omit<GhostServerOptions, "countdown" | "clock" | "limits">>;

function checkOptions(options: ServerOptions): void {
  for (const [option, key] of Object.entries(OPTION_KEYS)) {
    const value: unknown = options[option as keyof typeof OPTION_KEYS];
    const spec = fieldSpec("server", key)!;
    const problem = checkValue(spec, value);
    if (!problem) continue;
    const rightType = spec.type === "boolean"
      ? typeof value === "boolean"
      : spec.type === "string"
      ? typeof value === "string"
      : typeof value === "number";
    const message = `${option} ${problem}`;
    throw rightType ? new RangeError(message) : new TypeError(message);
  }
  const grace = options.closeGraceMs;
  if (!Number.isFinite(grace) || grace < 0) {
    throw new RangeError(
      `closeGraceMs must be a non-negative number of milliseconds, got ${grace}`,
    );
  }
}

/** `[limits]` from the defaults and `options.limits`, checked like `config.toml`. */
function checkLimits(limits: Partial<LimitsSection> | undefined): LimitsSection {
  const checked = { ...defaultConfig().limits };
  if (limits === undefined) return checked;
  if (typeof limits !== "object" || limits === null) {
    throw new TypeError("limits must be an object with the keys of [limits]");
  }
  for (const [key, value] of Object.entries(limits)) {
    if (value === undefined) continue;
    const spec = fieldSpec("limits", key);
    if (!spec) {
      throw new TypeError(
        `limits has no key "${key}"; known keys are ${Object.keys(checked).join(", ")}`,
      );
    }
    const problem = checkValue(spec, value);
    if (!problem) {
      checked[key as keyof LimitsSection] = value as number;
      continue;
    }
    const message = `limits.${key} ${problem}`;
    throw typeof value === "number" ? new RangeError(message) : new TypeError(message);
  }
  return checked;
}

function serverMessage(text: string): Uint8Array {
  return encodeServerPacket({ header: Header.MESSAGE, id: 0, text });
}

/** The UDP socket, counting each datagram handed to it (one wrapper per server, no per-send cost beyond the count). */
function countingUdp(inner: UdpSocket, traffic: TrafficCounters): UdpSocket {
  return {
    get port() {
      return inner.port;
    },
    send(data, to) {
      traffic.countOut(data[0], data.length);
      inner.send(data, to);
    },
    sendDatagrams(datagrams, to) {
      for (let i = 0; i < datagrams.length; i++) {
        traffic.countOut(datagrams[i][0], datagrams[i].length);
      }
      inner.sendDatagrams(datagrams, to);
    },
    drain: () => inner.drain(),
    flush: () => inner.flush(),
    get sendsDropped() {
      return inner.sendsDropped;
    },
    close: () => inner.close(),
  };
}

function kind(spectator: boolean | undefined): string {
  return spectator ? "spectator" : "player";
}

/**
 * A snapshot of the server for operators and monitoring, as {@linkcode GhostServer.status}
 * returns it. Every field is plain JSON (dates as ISO 8601 text).
 *
 * @example
 * ```ts
 * import type { GhostServer, ServerStatus } from "@ghosting/server";
 *
 * const summary = (status: ServerStatus): string =>
 *   `${status.players} players, ${status.spectators} spectators, up ${
 *     Math.round(status.uptimeMs / 1000)
 *   } s, bulk ticks late by ${status.tickLateness.meanMs.toFixed(1)} ms on average`;
 *
 * function report(server: GhostServer) {
 *   console.log(summary(server.status()));
 * }
 * ```
 */
export interface ServerStatus {
  /** Lifecycle state. */
  state: "idle" | "running" | "stopping" | "stopped";
  /** When {@linkcode GhostServer.start} bound the sockets (ISO 8601), or null before. */
  startedAt: string | null;
  /** Milliseconds since start (on the server's clock); 0 before. */
  uptimeMs: number;
  /** Address listened on. */
  hostname: string;
  /** Port listened on; 0 before start. */
  port: number;
  /** Connected players. */
  players: number;
  /** Connected spectators. */
  spectators: number;
  /** Whether new players and spectators are accepted. */
  accepting: { players: boolean; spectators: boolean };
  /** The whitelist: on or off, and its entries. */
  whitelist: WhitelistEntries;
  /** How many IPs are banned. */
  bannedIps: number;
  /** What `countdown start` sends when not told otherwise. */
  countdown: Required<CountdownOptions>;
  /** The UDP backend in use (after any fallback), or null before start. */
  udpBackend: UdpBackendName | null;
  /** Packets ignored since start, by reason (reasons never seen are absent). */
  drops: Partial<Record<DropReason, number>>;
  /** UDP datagrams our side could not send since start. */
  sendsDropped: number;
  /** How late the 50 ms bulk UPDATE ticks fire: the first sign of an overloaded server. */
  tickLateness: TickLateness;
  /**
   * How long the most overdue of the server's loops (bulk, keep-alive, heartbeat) has been
   * waiting past its due time: 0 while they keep time; a health check fails when it grows.
   */
  loopStallMs: number;
}

/**
 * Numbers per client in {@linkcode GhostServer.packedPoses}: id, position x, y, z, view angles
 * pitch, yaw, roll, view offset, grounded (1 or 0).
 *
 * @example
 * ```ts
 * import { type GhostServer, POSE_STRIDE } from "@ghosting/server";
 *
 * function heights(server: GhostServer): Map<number, number> {
 *   const poses = server.packedPoses();
 *   const out = new Map<number, number>();
 *   for (let at = 0; at < poses.length; at += POSE_STRIDE) out.set(poses[at], poses[at + 3]);
 *   return out;
 * }
 * ```
 */
export const POSE_STRIDE = 9;

/** Scratch space to decode a pose without allocating. */
const poseBytes = new Uint8Array(DATA_GHOST_BYTES);
const poseView = new DataView(poseBytes.buffer);

/**
 * A SAR-compatible ghost server.
 *
 * @example
 * ```ts
 * import { GhostServer } from "@ghosting/server";
 *
 * const server = new GhostServer({ port: 53000 });
 * server.on("connect", ({ client }) => console.log(`${client.name} joined`));
 * await server.start();
 * // …
 * await server.stop();
 * ```
 */
export class GhostServer {
  readonly #options: ServerOptions;
  readonly #limits: LimitsSection;
  #countdownDefaults: Required<CountdownOptions>;
  readonly #clock: Clock;
  readonly #traffic = new TrafficCounters();
  readonly #events = new Emitter<GhostServerEvents>((error, type) => {
    this.#traffic.listenerErrors++;
    log.error("A {type} listener failed: {error}", { type, error });
  });
  readonly #rules: AccessRules;
  /** Connected clients in connection order (Map keeps insertion order). */
  readonly #clients = new Map<number, Client>();
  /** Connections still in their handshake, and the admission rules. */
  readonly #admission: Admission;
  /** Connections that sent CONNECT and wait for the acceptance policies; stop() refuses them. */
  readonly #awaitingPolicies = new Map<TcpConnection, () => void>();
  /** Connections being closed gracefully; stop() waits for them. */
  readonly #closing = new Set<Promise<void>>();
  readonly #bulkEncoder: BulkUpdateEncoder;
  #nextId = 1;
  #state: "idle" | "running" | "stopping" | "stopped" = "idle";
  #listener: Deno.TcpListener | undefined;
  #udp: UdpSocket | undefined;
  #acceptLoop: Promise<void> = Promise.resolve();
  #tickers: Ticker[] = [];
  #port = 0;
  #startedAt: Date | undefined;
  #startedAtMs = 0;
  readonly #drops = new Map<DropReason, number>();
  #bulkTicker: Ticker | undefined;
  #udpBackend: ResolvedUdpBackend | undefined;
  #udpOpened: OpenedUdpSocket | undefined;
  readonly #relayHost: RelayHost;
  readonly #loopHost: LoopHost;
  /** Acceptance policies after the built-in rules, in registration order. */
  readonly #policies: Hook<AcceptancePolicy>[] = [];
  readonly #chat: ChatGate;

  /**
   * Creates a server; nothing is bound until {@linkcode GhostServer.start}.
   *
   * @throws {RangeError} for a value out of range (the limits of `config.toml`)
   * @throws {TypeError} for a value of the wrong type
   */
  constructor(options: GhostServerOptions = {}) {
    // Defaults come from the config schema, so a server built in code matches config.toml.
    const defaults = optionsFromConfig(defaultConfig()) as Required<GhostServerOptions>;
    const resolved: Record<string, unknown> = {};
    for (const option of Object.keys(OPTION_KEYS) as (keyof ConfigServerOptions)[]) {
      resolved[option] = options[option] ?? defaults[option];
    }
    this.#options = {
      ...resolved as ConfigServerOptions,
      closeGraceMs: options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS,
    };
    checkOptions(this.#options);
    this.#limits = checkLimits(options.limits);
    this.#bulkEncoder = new BulkUpdateEncoder(this.#options.maxDatagramBytes);
    const countdown = defaults.countdown as Required<CountdownOptions>;
    this.#countdownDefaults = {
      delay: options.countdown?.delay ?? countdown.delay,
      preCommands: options.countdown?.preCommands ?? countdown.preCommands,
      postCommands: options.countdown?.postCommands ?? countdown.postCommands,
    };
    encodeCountdownSetup(this.#countdownDefaults); // a bad default fails now, not at the race
    this.#clock = options.clock ?? systemClock;
    this.#admission = new Admission(this.#limits, this.#clock, this.#options.handshakeTimeoutMs);
    this.#rules = new AccessRules(this.#options.oneConnectionPerIp);
    const clients = this.#clients;
    const disconnect = (client: Client, reason: DisconnectReason) =>
      this.#disconnect(client, reason);
    const drop = (report: GhostServerEvents["drop"], detail: string) => this.#drop(report, detail);
    // Chat, filtered or not, goes out through the one relay every relayed frame takes.
    const relay = (sender: Client, payload: Uint8Array) =>
      relayToOthers(this.#relayHost, sender, payload, "tcp");
    this.#chat = new ChatGate({
      clock: this.#clock,
      events: this.#events,
      isConnected: (client) => clients.get(client.id) === client,
      drop,
      relay,
    });
    this.#relayHost = {
      clock: this.#clock,
      events: this.#events,
      clients: () => clients.values(),
      client: (id) => clients.get(id),
      disconnect,
      drop,
      relay,
      limits: this.#limits,
      chatNotices: new ChatNotices(this.#limits),
      relayQueueLimit: Math.floor(this.#options.maxWriteQueueBytes * RELAY_QUEUE_SHARE),
      chat: this.#chat,
    };
    const udp = () => {
      if (!this.#udp) throw new Error("The UDP socket is not open");
      return this.#udp;
    };
    this.#loopHost = {
      clients: () => clients.values(),
      get clientCount() {
        return clients.size;
      },
      get udp() {
        return udp();
      },
      disconnect,
    };
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Binds TCP and UDP on the same port and starts the loops.
   *
   * @throws {ListenError} when the port cannot be bound (in use, not allowed, bad address)
   */
  // deno-lint-ignore require-await -- async so that bind errors reject instead of throwing
  async start(): Promise<{ hostname: string; port: number }> {
    if (this.#state !== "idle") {
      throw new Error(`A server can only be started once; this one is ${this.#state}`);
    }
    const { hostname, udpBackend } = this.#options;
    const traffic = this.#traffic;
    const onDatagram = (data: Uint8Array, from: Deno.NetAddr) => {
      if (data.length > 0) traffic.countIn(data[0], data.length);
      try {
        handleDatagram(this.#relayHost, data, from, normalizeIp(from.hostname));
      } catch (error) {
        // A bug in handling one datagram must cost that datagram, not the server.
        log.error("Handling a datagram from {ip} failed: {error}", { ip: from.hostname, error });
      }
    };
    const sockets = bindSockets(
      hostname,
      this.#options.port,
      (address, port) =>
        openUdpSocket(udpBackend, address, port, onDatagram, {
          gso: this.#options.udpGso,
          onGsoDisabled: (reason) =>
            log.warn("UDP GSO turned off ({reason}); split updates now go datagram by datagram", {
              reason,
            }),
        }),
    );
    this.#state = "running";
    this.#startedAt = new Date();
    this.#startedAtMs = this.#clock.now();
    this.#port = sockets.port;
    this.#listener = sockets.tcp;
    this.#udp = countingUdp(sockets.udp.socket, traffic);
    this.#udpBackend = sockets.udp.backend;
    this.#udpOpened = sockets.udp;
    if (sockets.udp.fallbackReason) {
      log.warn("UDP backend {wanted} unavailable ({reason}); using {backend}", {
        wanted: udpBackend,
        reason: sockets.udp.fallbackReason,
        backend: sockets.udp.backend,
      });
    }
    this.#acceptLoop = acceptConnections(
      sockets.tcp,
      {
        maxFrameBytes: this.#options.maxFrameBytes,
        maxWriteQueueBytes: this.#options.maxWriteQueueBytes,
        clock: this.#clock,
        onFrameQueued: (header, bytes) => traffic.countOut(header, bytes),
      },
      (connection) => this.#onConnection(connection),
      (error) => log.error("Accepting a connection failed: {error}", { error }),
    );
    const loopHost = this.#loopHost;
    this.#bulkTicker = new Ticker(
      this.#clock,
      BULK_UPDATE_INTERVAL_MS,
      () => sendBulkUpdate(loopHost, this.#bulkEncoder, this.#options.bulkScope),
      (ms) => traffic.tick(ms),
    );
    this.#tickers = [
      this.#bulkTicker,
      new Ticker(this.#clock, UDP_KEEPALIVE_INTERVAL_MS, () => sendUdpKeepAlives(loopHost)),
      new Ticker(this.#clock, HEARTBEAT_INTERVAL_MS, () => heartbeatRound(loopHost)),
      new Ticker(this.#clock, SEND_DROP_REPORT_INTERVAL_MS, () => this.#reportDroppedSends()),
    ];
    // The portable backend reads each datagram as it arrives; the batched one when told.
    if (this.#udpBackend !== "portable") {
      this.#tickers.push(
        new Ticker(this.#clock, UDP_RECEIVE_INTERVAL_MS, () => receiveUdp(loopHost)),
      );
    }
    for (const ticker of this.#tickers) ticker.start();
    log.info(
      "Server listening on {hostname}:{port} (TCP and UDP, UDP backend: {backend}; {reason})",
      { hostname, port: this.#port, backend: this.#udpBackend, reason: sockets.udp.reason },
    );
    this.#events.emit("listening", { hostname, port: this.#port });
    return { hostname, port: this.#port };
  }

  /**
   * Stops gracefully: every client gets STOP_SERVER (SAR then disconnects itself), queued
   * bytes are flushed, and every socket is closed. Resolves when nothing is left running.
   */
  async stop(): Promise<void> {
    if (this.#state !== "running") return;
    this.#state = "stopping";
    log.info("Server stopping");
    for (const ticker of this.#tickers) ticker.stop();
    this.#listener?.close();
    const waiting = [...this.#awaitingPolicies].map(([connection, abandon]) => ({
      connection,
      abandon,
    }));
    this.#awaitingPolicies.clear();
    const pending = this.#admission.drain().map(({ connection, handshake }) => ({
      connection,
      abandon: handshake.abandon,
    }));
    for (const { connection, abandon } of [...pending, ...waiting]) {
      abandon();
      this.#refuse(connection, "server_stopping", "the server is stopping");
      this.#trackClosing(connection.closed);
    }
    const stopServer = encodeServerPacket({ header: Header.STOP_SERVER, id: 0 });
    for (const client of [...this.#clients.values()]) {
      this.#clients.delete(client.id);
      client.connection.send(stopServer);
      this.#closeGracefully(client.connection);
      this.#emitDisconnect(client, "server_stop");
    }
    await this.#acceptLoop;
    while (this.#closing.size > 0) await Promise.all([...this.#closing]);
    await this.#udp?.close();
    this.#state = "stopped";
    log.info("Server stopped");
    this.#events.emit("stop", {});
  }

  /** Whether the server is accepting connections. */
  get running(): boolean {
    return this.#state === "running";
  }

  /** The UDP backend in use once started ("auto" resolved, after any fallback). */
  get udpBackend(): Exclude<UdpBackendName, "auto"> | undefined {
    return this.#udpBackend;
  }

  /**
   * Why that backend once started, and for "mmsg" whether UDP GSO is on now, e.g. `"auto:
   * batched system calls work here (Linux, FFI allowed); UDP GSO on"`.
   */
  get udpBackendReason(): string | undefined {
    return this.#udpOpened?.reason;
  }

  /** The bound port (useful with port 0); 0 before start. */
  get port(): number {
    return this.#port;
  }

  /** A JSON snapshot of the server: uptime, who is connected, the admin state, health counters. */
  status(): ServerStatus {
    let players = 0;
    for (const client of this.#clients.values()) if (!client.spectator) players++;
    const started = this.#startedAt !== undefined;
    const running = this.#state === "running" || this.#state === "stopping";
    return {
      state: this.#state,
      startedAt: this.#startedAt?.toISOString() ?? null,
      uptimeMs: started && running ? this.#clock.now() - this.#startedAtMs : 0,
      hostname: this.#options.hostname,
      port: this.#port,
      players,
      spectators: this.#clients.size - players,
      accepting: this.accepting(),
      whitelist: this.whitelist(),
      bannedIps: this.#rules.bannedIps().length,
      countdown: this.countdownSettings(),
      udpBackend: this.#udpBackend ?? null,
      drops: Object.fromEntries(this.#drops),
      sendsDropped: this.#udp?.sendsDropped ?? 0,
      tickLateness: this.#bulkTicker?.lateness() ?? { ticks: 0, lastMs: 0, meanMs: 0, maxMs: 0 },
      loopStallMs: this.#tickers.reduce((worst, ticker) => Math.max(worst, ticker.overdueMs()), 0),
    };
  }

  /** Packets and bytes in and out by header, bulk tick durations and listener failures, since start. */
  traffic(): TrafficStats {
    return this.#traffic.stats();
  }

  // ---------------------------------------------------------------- events

  /**
   * Listens to an event; returns a function that stops listening. A listener that throws, or
   * an async one that rejects, is logged and harms neither the server nor other listeners.
   */
  on<K extends keyof GhostServerEvents>(
    type: K,
    listener: (event: GhostServerEvents[K]) => void,
  ): Unsubscribe {
    return this.#events.on(type, listener);
  }

  /** Stops a listener added with {@linkcode GhostServer.on}. */
  off<K extends keyof GhostServerEvents>(
    type: K,
    listener: (event: GhostServerEvents[K]) => void,
  ): void {
    this.#events.off(type, listener);
  }

  /** Resolves with the next event of `type` that passes `filter`. */
  once<K extends keyof GhostServerEvents>(
    type: K,
    filter?: (event: GhostServerEvents[K]) => boolean,
    signal?: AbortSignal,
  ): Promise<GhostServerEvents[K]> {
    return this.#events.once(type, filter, signal);
  }

  // ---------------------------------------------------------------- interception points

  /**
   * Adds an acceptance policy, consulted for each connecting player after the built-in rules
   * (bans, whitelist, accepting players/spectators, one connection per IP), which are the first
   * policy of the chain. Policies run concurrently; the first in registration order that
   * refuses decides, and the player reads its reason. A policy that throws, rejects or takes
   * longer than `timeoutMs` is logged with its name and does not refuse. While any policy is
   * registered, a player is admitted only once all have answered (the built-in rules are
   * checked again then, since a ban may have come meanwhile).
   *
   * @returns a function that removes the policy
   * @throws {TypeError} when `policy` is not a function
   * @throws {RangeError} when `timeoutMs` is not an integer from 1 to 60000
   */
  addAcceptancePolicy(policy: AcceptancePolicy, options: HookOptions = {}): Unsubscribe {
    const hook = makeHook(policy, options);
    this.#policies.push(hook);
    return () => {
      const at = this.#policies.indexOf(hook);
      if (at >= 0) this.#policies.splice(at, 1);
    };
  }

  /**
   * Adds a chat filter: each chat line passes the filters in registration order before it is
   * relayed, and a filter may drop or rewrite it. Lines of one sender keep their order; a slow
   * filter delays only that sender's chat, of which at most {@linkcode MAX_PENDING_CHAT_LINES}
   * lines wait (more are dropped with `chat_backlog`). A filter that throws, rejects or takes
   * longer than `timeoutMs` is logged with its name and the line passes it unchanged.
   *
   * @returns a function that removes the filter
   * @throws {TypeError} when `filter` is not a function
   * @throws {RangeError} when `timeoutMs` is not an integer from 1 to 60000
   */
  addChatFilter(filter: ChatFilter, options: HookOptions = {}): Unsubscribe {
    const hook = makeHook(filter, options);
    const filters = this.#chat.filters;
    filters.push(hook);
    return () => {
      const at = filters.indexOf(hook);
      if (at >= 0) filters.splice(at, 1);
    };
  }

  // ---------------------------------------------------------------- clients

  /** Every connected client, in connection order. */
  clients(): ClientInfo[] {
    return [...this.#clients.values()].map((client) => client.info());
  }

  /**
   * Every client's latest pose, in connection order, as {@linkcode POSE_STRIDE} numbers per
   * client in one array: what live views draw, at one allocation per call.
   */
  packedPoses(): Float64Array {
    const out = new Float64Array(this.#clients.size * POSE_STRIDE);
    let at = 0;
    for (const client of this.#clients.values()) {
      poseBytes.set(client.pose);
      out[at] = client.id;
      // Floats in a DataGhost are little-endian, unlike the rest of the packet (docs/protocol.md §1.1).
      for (let i = 0; i < 6; i++) out[at + 1 + i] = poseView.getFloat32(i * 4, true);
      const packed = poseBytes[24];
      out[at + 7] = packed & 0x7f;
      out[at + 8] = packed >> 7;
      at += POSE_STRIDE;
    }
    return out;
  }

  /** One client by id. */
  client(id: number): ClientInfo | undefined {
    return this.#clients.get(id)?.info();
  }

  /**
   * Disconnects the selected clients; the others are told with DISCONNECT. With
   * `explain_refusals` the kicked player first reads `message` (or a default) in chat.
   *
   * @param actor who asked, for the `disconnect` events
   * @returns the clients kicked
   * @throws {TypeError} for a malformed selector
   */
  kick(selector: ClientSelector, message?: string, actor: Actor = "server"): ClientInfo[] {
    const matches = this.#select(selector);
    for (const client of matches) this.#disconnect(client, "kicked", message, actor);
    return matches.map((client) => client.info());
  }

  /**
   * Bans the IPs of the selected clients (or the given IP, connected or not) and disconnects
   * everyone from them.
   *
   * @param message what the banned players read (with `explain_refusals`)
   * @param actor who asked, for the `ban` and `disconnect` events
   * @returns the IPs newly banned and the clients disconnected
   * @throws {TypeError} for a malformed selector or IP
   */
  ban(
    selector: ClientSelector,
    message?: string,
    actor: Actor = "server",
  ): { ips: string[]; kicked: ClientInfo[] } {
    const ips = "ip" in selector
      ? [requireIp(selector.ip)]
      : [...new Set(this.#select(selector).map((client) => client.ip))];
    const newlyBanned = ips.filter((ip) => this.#rules.ban(ip));
    for (const ip of newlyBanned) {
      log.info("Banned IP {ip} ({actor})", { ip, actor });
      this.#events.emit("ban", message === undefined ? { ip, actor } : { ip, actor, message });
    }
    const kicked = [...this.#clients.values()].filter((client) => ips.includes(client.ip));
    for (const client of kicked) this.#disconnect(client, "banned", message, actor);
    return { ips: newlyBanned, kicked: kicked.map((client) => client.info()) };
  }

  /**
   * Lifts a ban; false when the IP was not banned.
   *
   * @param actor who asked, for the `unban` event
   * @throws {TypeError} when `ip` is not an IP literal
   */
  unban(ip: string, actor: Actor = "server"): boolean {
    const canonical = requireIp(ip);
    const lifted = this.#rules.unban(canonical);
    if (lifted) {
      log.info("Unbanned IP {ip} ({actor})", { ip: canonical, actor });
      this.#events.emit("unban", { ip: canonical, actor });
    }
    return lifted;
  }

  /** Banned IPs. */
  bannedIps(): string[] {
    return this.#rules.bannedIps();
  }

  // ---------------------------------------------------------------- acceptance

  /** Whether new players and spectators are accepted. */
  accepting(): { players: boolean; spectators: boolean } {
    return { players: this.#rules.acceptingPlayers, spectators: this.#rules.acceptingSpectators };
  }

  /**
   * Accepts or refuses new players and/or spectators; connected clients stay. Emits
   * `acceptingChange` when anything changed.
   *
   * @param actor who asked, for the event
   */
  setAccepting(change: { players?: boolean; spectators?: boolean }, actor: Actor = "server"): void {
    this.#setAccepting(change, actor, "command");
  }

  #setAccepting(
    change: { players?: boolean; spectators?: boolean },
    actor: Actor,
    cause: "command" | "countdown",
  ): void {
    const rules = this.#rules;
    let changed = false;
    if (change.players !== undefined && change.players !== rules.acceptingPlayers) {
      rules.acceptingPlayers = change.players;
      changed = true;
      log.info(`Now ${change.players ? "accepting" : "refusing"} connections from players`);
    }
    if (change.spectators !== undefined && change.spectators !== rules.acceptingSpectators) {
      rules.acceptingSpectators = change.spectators;
      changed = true;
      log.info(`Now ${change.spectators ? "accepting" : "refusing"} connections from spectators`);
    }
    if (changed) this.#events.emit("acceptingChange", { ...this.accepting(), cause, actor });
  }

  /** The whitelist: whether it is on, and its names and IPs. */
  whitelist(): WhitelistEntries {
    return this.#rules.whitelist.entries();
  }

  /**
   * Turns the whitelist on or off. Turning it on does not kick anyone; see
   * {@linkcode GhostServer.kickNotWhitelisted}. An empty whitelist lets nobody in.
   */
  setWhitelistEnabled(enabled: boolean, actor: Actor = "server"): void {
    if (this.#rules.whitelist.enabled === enabled) return;
    this.#rules.whitelist.enabled = enabled;
    log.info(`Whitelist now ${enabled ? "enabled" : "disabled"}`);
    this.#whitelistChanged({ action: enabled ? "enable" : "disable" }, actor);
  }

  #whitelistChanged(change: WhitelistChange, actor: Actor): void {
    this.#events.emit("whitelistChange", { ...change, whitelist: this.whitelist(), actor });
  }

  /**
   * Adds a name (matched case-insensitively) or an IP; false when already there.
   *
   * @throws {TypeError} for an empty name or a malformed IP
   */
  whitelistAdd(entry: { name: string } | { ip: string }, actor: Actor = "server"): boolean {
    const whitelist = this.#rules.whitelist;
    const canonical: { name: string } | { ip: string } = "name" in entry
      ? { name: entry.name }
      : { ip: requireIp(entry.ip) };
    const added = "name" in canonical
      ? whitelist.addName(canonical.name)
      : whitelist.addIp(canonical.ip);
    if (added) {
      log.info("Added {entry} to the whitelist", {
        entry: "name" in canonical ? canonical.name : canonical.ip,
      });
      this.#whitelistChanged({ action: "add", entry: canonical }, actor);
    }
    return added;
  }

  /**
   * Removes a name or an IP; false when it was not there.
   *
   * @throws {TypeError} for a malformed IP
   */
  whitelistRemove(entry: { name: string } | { ip: string }, actor: Actor = "server"): boolean {
    const whitelist = this.#rules.whitelist;
    const canonical: { name: string } | { ip: string } = "name" in entry
      ? { name: entry.name }
      : { ip: requireIp(entry.ip) };
    const removed = "name" in canonical
      ? whitelist.removeName(canonical.name)
      : whitelist.removeIp(canonical.ip);
    if (removed) {
      log.info("Removed {entry} from the whitelist", {
        entry: "name" in canonical ? canonical.name : canonical.ip,
      });
      this.#whitelistChanged({ action: "remove", entry: canonical }, actor);
    }
    return removed;
  }

  /** Disconnects every client not on the whitelist (every one of them: docs/protocol.md §7.13). */
  kickNotWhitelisted(message?: string, actor: Actor = "server"): ClientInfo[] {
    const whitelist = this.#rules.whitelist;
    const outside = [...this.#clients.values()].filter((client) =>
      !whitelist.includes(client.name, client.ip)
    );
    for (const client of outside) this.#disconnect(client, "not_whitelisted", message, actor);
    return outside.map((client) => client.info());
  }

  // ---------------------------------------------------------------- messages and countdown

  /**
   * Sends a chat line from the server (id 0) to every client; SAR shows "SERVER: …". Leading
   * and trailing line endings are stripped.
   *
   * @param actor who asked, for the `serverMessage` event
   * @throws {TypeError} when `text` is not a string
   */
  sendMessage(text: string, actor: Actor = "server"): void {
    if (typeof text !== "string") throw new TypeError("A server message must be a string");
    const line = stripLineEndings(text);
    const packet = serverMessage(line);
    for (const client of this.#clients.values()) client.connection.send(packet);
    log.info("[server message] {text}", { text: line });
    this.#events.emit("serverMessage", { text: line, actor });
  }

  /**
   * Sends a chat line from the server (id 0) to one client only.
   *
   * @param actor who asked, for the `serverMessage` event
   * @returns false when no client has this id
   * @throws {TypeError} when `text` is not a string
   */
  sendMessageTo(clientId: number, text: string, actor: Actor = "server"): boolean {
    if (typeof text !== "string") throw new TypeError("A server message must be a string");
    const client = this.#clients.get(clientId);
    if (!client) return false;
    const line = stripLineEndings(text);
    client.connection.send(serverMessage(line));
    log.info("[server message to {name} ({id})] {text}", {
      name: client.name,
      id: client.id,
      text: line,
    });
    this.#events.emit("serverMessage", { text: line, actor, to: client.info() });
    return true;
  }

  /** What {@linkcode GhostServer.startCountdown} sends when not told otherwise. */
  countdownSettings(): Required<CountdownOptions> {
    return { ...this.#countdownDefaults };
  }

  /**
   * Changes the stored countdown defaults (what `countdown pre|post|clear` edit); fields left
   * out keep their value.
   *
   * @param actor who asked, for the `countdownSettingsChange` event
   * @throws {RangeError} when the delay is not an integer from 0 to 60
   * @throws {TypeError} when a command is not a string
   */
  setCountdownSettings(change: CountdownOptions, actor: Actor = "server"): void {
    const next = {
      delay: change.delay ?? this.#countdownDefaults.delay,
      preCommands: change.preCommands ?? this.#countdownDefaults.preCommands,
      postCommands: change.postCommands ?? this.#countdownDefaults.postCommands,
    };
    const { setup } = encodeCountdownSetup(next); // validates
    const settings = {
      delay: setup.duration,
      preCommands: setup.preCommands,
      postCommands: setup.postCommands,
    };
    const current = this.#countdownDefaults;
    if (
      settings.delay === current.delay && settings.preCommands === current.preCommands &&
      settings.postCommands === current.postCommands
    ) return;
    this.#countdownDefaults = settings;
    log.info("Countdown settings: {delay} s, pre {pre}, post {post} ({actor})", {
      delay: settings.delay,
      pre: JSON.stringify(settings.preCommands),
      post: JSON.stringify(settings.postCommands),
      actor,
    });
    this.#events.emit("countdownSettingsChange", { settings: { ...settings }, actor });
  }

  /**
   * Sends a countdown setup to every client and, as the C++ server does, stops accepting new
   * players (spectators may still join; `setAccepting({ players: true })` reopens).
   *
   * @param actor who asked, for the `countdown` and `acceptingChange` events
   * @throws {RangeError} when the delay is not an integer from 0 to 60
   */
  startCountdown(options: CountdownOptions = {}, actor: Actor = "server"): void {
    const defaults = this.#countdownDefaults;
    const { packet, setup } = encodeCountdownSetup({
      delay: options.delay ?? defaults.delay,
      preCommands: options.preCommands ?? defaults.preCommands,
      postCommands: options.postCommands ?? defaults.postCommands,
    });
    for (const client of this.#clients.values()) client.connection.send(packet);
    log.info("Countdown starting: {delay} seconds", { delay: setup.duration });
    if (setup.preCommands) log.info("Pre-command: {commands}", { commands: setup.preCommands });
    if (setup.postCommands) log.info("Post-command: {commands}", { commands: setup.postCommands });
    this.#events.emit("countdown", {
      delay: setup.duration,
      preCommands: setup.preCommands,
      postCommands: setup.postCommands,
      actor,
    });
    this.#setAccepting({ players: false }, actor, "countdown");
  }

  // ---------------------------------------------------------------- internals

  #onConnection(connection: TcpConnection): void {
    const ip = connection.remoteIp;
    if (this.#state !== "running") {
      connection.close();
      return;
    }
    if (!this.#options.explainRefusals) {
      // As the C++ server: refuse before reading anything when the address alone decides.
      const blocked = this.#rules.checkAddress(ip, this.#ipConnected(ip));
      if (blocked) return this.#refuse(connection, blocked, "blocked before CONNECT");
    }
    const admission = this.#admission;
    const limited = admission.check(ip, this.#clock.now());
    if (limited) return this.#refuse(connection, limited, "refused before CONNECT");
    const handshake = startHandshake(connection, this.#options.handshakeTimeoutMs, {
      onFirstFrame: (payload) => {
        admission.remove(connection);
        return this.#firstFrame(connection, payload);
      },
      onFailure: (reason, detail) => {
        admission.remove(connection);
        this.#refuse(connection, reason, detail);
      },
    });
    const evicted = admission.add(connection, ip, handshake);
    if (evicted) {
      evicted.handshake.abandon();
      this.#refuse(evicted.connection, "server_busy", "oldest of too many pending handshakes");
    }
  }

  /**
   * The first frame: what needs no decoding is checked first (header, address, string sizes),
   * so a banned address or an oversized name costs no decoding; then CONNECT is decoded.
   */
  #firstFrame(connection: TcpConnection, payload: Uint8Array): boolean {
    if (payload.length === 0 || payload[0] !== Header.CONNECT) {
      const what = payload.length === 0 ? "empty" : headerName(payload[0]);
      this.#refuse(connection, "not_connect_first", `first frame is ${what}`);
      return false;
    }
    const ip = connection.remoteIp;
    const blocked = this.#rules.checkAddress(ip, this.#ipConnected(ip));
    if (blocked) {
      this.#refuse(connection, blocked, "blocked before decoding CONNECT", { explain: true });
      return false;
    }
    const oversized = oversizedConnectString(payload, this.#limits);
    if (oversized) {
      const { field, bytes, cap } = oversized;
      this.#refuse(connection, `${field}_too_long`, `${field} of ${bytes} bytes, cap ${cap}`, {
        explain: true,
        explanation: connectStringExplanation(field, cap),
      });
      return false;
    }
    const frame = readFirstFrame(payload);
    if ("refusal" in frame) {
      this.#refuse(connection, frame.refusal, frame.detail);
      return false;
    }
    return this.#admit(connection, frame.connect, frame.pose);
  }

  #droppedSendsReported = 0;

  /** Tells the operator when UDP sends are lost on our side, and what to change. */
  #reportDroppedSends(): void {
    const dropped = this.#udp?.sendsDropped ?? 0;
    if (dropped === this.#droppedSendsReported) return;
    const recent = dropped - this.#droppedSendsReported;
    this.#droppedSendsReported = dropped;
    log.warn(
      '{count} UDP datagrams could not be sent in the last {seconds} s ({clients} clients, {backend} UDP backend); if this grows with the number of players, the server cannot keep up: udp_backend = "auto" or "mmsg" sends in batches (Linux, --allow-ffi) and max_datagram_bytes = 0 sends one datagram per player per tick',
      {
        count: recent,
        seconds: SEND_DROP_REPORT_INTERVAL_MS / 1000,
        clients: this.#clients.size,
        backend: this.#udpBackend,
      },
    );
  }

  #ipConnected(ip: string): boolean {
    for (const client of this.#clients.values()) if (client.ip === ip) return true;
    return false;
  }

  /** Acceptance rules, then the reply, the notifications, and registration (docs/protocol.md §4.2). */
  #admit(connection: TcpConnection, connect: ConnectPacket, pose: Uint8Array): boolean {
    const ip = connection.remoteIp;
    const refusal = this.#rules.check(ip, this.#ipConnected(ip), connect.name, connect.spectator);
    if (refusal) {
      this.#refuse(connection, refusal, "acceptance rules", { connect, explain: true });
      return false;
    }
    if (this.#policies.length === 0) return this.#register(connection, connect, pose);
    this.#consultPolicies(connection, connect, pose.slice());
    return true;
  }

  /**
   * Asks every acceptance policy about a connection that passed the built-in rules, then
   * admits or refuses it. Until then it is tracked with the handshakes (stop() refuses it) and
   * frames it sends are dropped: SAR sends nothing before the connect reply.
   */
  #consultPolicies(connection: TcpConnection, connect: ConnectPacket, pose: Uint8Array): void {
    const ip = connection.remoteIp;
    let abandoned = false;
    this.#awaitingPolicies.set(connection, () => abandoned = true);
    connection.onFrame = (payload) => {
      this.#drop(
        { ip, via: "tcp", reason: "awaiting_acceptance", header: payload[0] },
        "a frame before the connect reply",
      );
    };
    connection.onClose = () => {}; // the outcome below sees the connection closed
    const request = (): ConnectingClient => ({
      ip,
      name: connect.name,
      spectator: connect.spectator,
      tcpOnly: connect.tcpOnly,
      map: connect.map,
      model: connect.model,
      color: { ...connect.color },
    });
    const policies = [...this.#policies];
    const asked = policies.map((policy) =>
      callHook(this.#clock, policy.timeoutMs, () => policy.fn(request()))
    );
    Promise.all(asked).then((outcomes) => {
      if (abandoned) return;
      this.#awaitingPolicies.delete(connection);
      if (!connection.isOpen) {
        return this.#refuse(connection, "connection_closed", "closed during the policies", {
          connect,
        });
      }
      for (const [i, outcome] of outcomes.entries()) {
        const name = policies[i].name;
        if (!outcome.ok) {
          log.error("Acceptance policy {name} {failed}; it does not refuse {who}: {error}", {
            name,
            failed: outcome.timedOut ? "timed out" : "failed",
            who: connect.name,
            error: outcome.error,
          });
          continue;
        }
        const verdict = outcome.value;
        if (typeof verdict === "object" && verdict !== null && typeof verdict.refuse === "string") {
          const message = hookLine(verdict.refuse, MAX_REFUSAL_LENGTH);
          return this.#refuse(connection, "refused_by_policy", `policy ${name}`, {
            connect,
            explain: true,
            explanation: message || undefined,
            policy: name,
          });
        }
      }
      // Checked again: a ban, a refusal or a second connection from this IP may have come.
      const refusal = this.#rules.check(ip, this.#ipConnected(ip), connect.name, connect.spectator);
      if (refusal) {
        return this.#refuse(connection, refusal, "acceptance rules", { connect, explain: true });
      }
      this.#register(connection, connect, pose);
    }).catch((error: unknown) => {
      // Only a bug gets here; the connection must not be left hanging.
      log.error("Admitting {name} failed: {error}", { name: connect.name, error });
      this.#awaitingPolicies.delete(connection);
      connection.close();
    });
  }

  /** Registers an accepted connection as a client: the reply, the notifications, the event. */
  #register(connection: TcpConnection, connect: ConnectPacket, pose: Uint8Array): boolean {
    const ip = connection.remoteIp;
    const id = this.#nextId++;
    const now = this.#clock.now();
    const limits = new PlayerLimits(this.#limits, now);
    const client = new Client(id, connection, connect, pose, limits, now);
    const traffic = this.#traffic;
    connection.onFrame = (payload) => {
      if (payload.length > 0) traffic.countIn(payload[0], payload.length + FRAME_PREFIX_BYTES);
      handleTcpPacket(this.#relayHost, client, payload);
      return this.#clients.get(id) === client;
    };
    connection.onClose = (reason, error) => {
      if (reason !== "connection_closed") {
        log.debug("Connection of {id} ended: {error}", { id, error: String(error ?? reason) });
      }
      this.#disconnect(client, reason);
    };
    // The reply must be the first frame: SAR parses its first frame as the reply. Its size
    // grows with the lobby (bounded by the string caps), so it is exempt from the queue limit.
    const ghosts = [...this.#clients.values()].map((other) => other.ghostInfo());
    if (!connection.sendExempt(encodeConnectReply({ yourId: id, ghosts }))) return false;
    // Registered before the others hear of it: should a notification overflow a slow
    // client's queue, the newcomer must be among those told that client left.
    this.#clients.set(id, client);
    const notification = encodeConnectNotification(client.ghostInfo());
    for (const other of this.#clients.values()) {
      if (other !== client) other.connection.send(notification);
    }
    log.info("Connection: {name} ({kind}) @ {ip}:{port} as {id}", {
      name: connect.name,
      kind: kind(connect.spectator),
      ip,
      port: connect.udpPort,
      id,
    });
    if (this.#events.hasListeners("connect")) {
      this.#events.emit("connect", { client: client.info() });
    }
    return true;
  }

  /**
   * Closes a connection that did not become a client. When its first frame was a CONNECT
   * (`explain`) and explaining is on, it first gets a well-formed empty reply (id 0, no ghosts:
   * SAR reads the first frame as the reply) and a server message saying why.
   */
  #refuse(
    connection: TcpConnection,
    reason: RefusalReason,
    detail: string,
    how: {
      connect?: ConnectPacket;
      explain?: boolean;
      explanation?: string;
      policy?: string;
    } = {},
  ): void {
    const ip = connection.remoteIp;
    const { connect } = how;
    const who = connect ? `${connect.name} (${kind(connect.spectator)}) @ ${ip}` : ip;
    const level = reason === "connection_closed" ? "debug" : "info";
    log[level]("Refused connection from {who}: {reason} ({detail})", { who, reason, detail });
    const explanation = how.explanation ?? REFUSAL_EXPLANATIONS[reason];
    if (how.explain && explanation && this.#options.explainRefusals) {
      connection.send(encodeConnectReply({ yourId: 0, ghosts: [] }));
      connection.send(serverMessage(explanation));
      this.#closeGracefully(connection);
    } else {
      connection.close();
    }
    this.#events.emit("refuse", {
      ip,
      name: connect?.name,
      spectator: connect?.spectator,
      reason,
      ...(how.policy === undefined ? {} : { policy: how.policy, message: how.explanation ?? "" }),
    });
  }

  /**
   * Removes one client (by connection, never by IP: docs/protocol.md §7.1) and tells everyone remaining.
   * Kicked, banned and timed-out players read why first when explaining is on.
   */
  #disconnect(client: Client, reason: DisconnectReason, message?: string, actor?: Actor): void {
    if (this.#clients.get(client.id) !== client) return;
    this.#clients.delete(client.id);
    const packet = encodeClientPacket({ header: Header.DISCONNECT, id: client.id });
    for (const other of this.#clients.values()) other.connection.send(packet);
    const explanation = message ?? DISCONNECT_EXPLANATIONS[reason];
    if (explanation && this.#options.explainRefusals && client.connection.isOpen) {
      client.connection.send(serverMessage(stripLineEndings(explanation)));
      this.#closeGracefully(client.connection);
    } else {
      client.connection.close();
    }
    this.#emitDisconnect(client, reason, actor);
  }

  #emitDisconnect(client: Client, reason: DisconnectReason, actor?: Actor): void {
    log.info("Disconnected: {name} ({id}) @ {ip}: {reason}", {
      name: client.name,
      id: client.id,
      ip: client.ip,
      reason,
    });
    if (this.#events.hasListeners("disconnect")) {
      this.#events.emit(
        "disconnect",
        actor === undefined
          ? { client: client.info(), reason }
          : { client: client.info(), reason, actor },
      );
    }
  }

  #closeGracefully(connection: TcpConnection): void {
    this.#trackClosing(connection.end(this.#options.closeGraceMs));
  }

  /** Remembers a closing connection until it is closed, so stop() can wait for it. */
  #trackClosing(closing: Promise<void>): void {
    this.#closing.add(closing);
    closing.finally(() => this.#closing.delete(closing));
  }

  #drop(report: GhostServerEvents["drop"], detail: string): void {
    const { header, via, ip, reason } = report;
    this.#drops.set(reason, (this.#drops.get(reason) ?? 0) + 1);
    log.debug("Dropped {header} via {via} from {ip}: {reason} ({detail})", {
      header: header === undefined ? "packet" : headerName(header),
      via,
      ip,
      reason,
      detail,
    });
    this.#events.emit("drop", report);
  }

  #select(selector: ClientSelector): Client[] {
    const clients = [...this.#clients.values()];
    if ("id" in selector) {
      if (!Number.isInteger(selector.id)) {
        throw new TypeError(`Client id must be an integer, got ${selector.id}`);
      }
      return clients.filter((client) => client.id === selector.id);
    }
    if ("name" in selector) {
      if (typeof selector.name !== "string") throw new TypeError("Client name must be a string");
      return clients.filter((client) => client.name === selector.name);
    }
    if ("ip" in selector) {
      const ip = requireIp(selector.ip);
      return clients.filter((client) => client.ip === ip);
    }
    throw new TypeError("A client selector needs an id, a name or an ip");
  }
}

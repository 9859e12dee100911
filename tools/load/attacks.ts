/**
 * The load generator's attack mode: what a hostile player on a public server would do, each
 * scenario bounded in count, rate and time, on loopback only, every attacker from its own
 * 127.50.x.y address (see {@linkcode attackerAddress}). `deno task load -- --attack NAME` runs
 * one (in a process of its own, `attack.ts`) while the legitimate players are measured.
 *
 * @module
 */
import net from "node:net";
import {
  decodeConnectReply,
  decodeText,
  DEFAULT_MODEL,
  encodeClientPacket,
  encodeFrame,
  FrameDecoder,
  Header,
  zeroDataGhost,
} from "../../src/protocol/mod.ts";
import { ADDRESSES_PER_BLOCK, loopbackAddress } from "./addresses.ts";

/** The scenarios. */
export const ATTACKS = [
  "conn-flood",
  "slow-handshake",
  "chat-flood",
  "big-strings",
  "invalid-utf8",
  "udp-flood",
  "udp-spoof",
  "churn",
  "stopped-reader",
] as const;

/** One of {@linkcode ATTACKS}. */
export type AttackName = typeof ATTACKS[number];

/** What each scenario does, for the usage text and the report. */
export const ATTACK_DESCRIPTIONS: Record<AttackName, string> = {
  "conn-flood": "N silent TCP connections kept open (reopened when closed), 10 per address",
  "slow-handshake": "N connections sending a valid CONNECT at 1 byte/s each",
  "chat-flood": "one connected player sending 60 000-byte chat lines at up to R lines/s",
  "big-strings": "N connected players with ~63 KB of name + model + map each",
  "invalid-utf8": "R CONNECTs/s with a 60 000-byte name holding an invalid byte, and one " +
    "player sending such chat lines at R/s",
  "udp-flood": "R datagrams/s, half random bytes, half UPDATEs with guessed ids, from 32 addresses",
  "udp-spoof": "UPDATEs with every guessed id from each legitimate player's own IP, another " +
    "port, R/s in all",
  "churn": "R connects/s: CONNECT, wait for the reply, close",
  "stopped-reader": "N connected players that never read, each sending a 60 000-byte chat " +
    "line per second",
};

/** One line per scenario, name and description, for the usage texts. */
export const ATTACK_HELP = ATTACKS
  .map((name) => `  ${name.padEnd(16)} ${ATTACK_DESCRIPTIONS[name]}`)
  .join("\n");

/** Defaults per scenario: `connections` (at once) and `rate` (per second). */
export const ATTACK_DEFAULTS: Record<AttackName, { connections: number; rate: number }> = {
  "conn-flood": { connections: 4000, rate: 4000 },
  "slow-handshake": { connections: 1000, rate: 1000 },
  "chat-flood": { connections: 1, rate: 5000 },
  "big-strings": { connections: 20, rate: 20 },
  "invalid-utf8": { connections: 1, rate: 50 },
  "udp-flood": { connections: 32, rate: 50_000 },
  "udp-spoof": { connections: 0, rate: 4000 },
  "churn": { connections: 1, rate: 50 },
  "stopped-reader": { connections: 20, rate: 20 },
};

/** Upper bounds that keep any attack run bounded whatever it is asked. */
export const MAX_ATTACK_CONNECTIONS = 10_000;
export const MAX_ATTACK_RATE = 200_000;

/** How to attack. */
export interface AttackOptions {
  name: AttackName;
  /** The server (a loopback address) and its TCP/UDP port. */
  host: string;
  port: number;
  /** Connections or sockets at once (meaning per scenario); default per scenario. */
  connections?: number;
  /** Events per second (connects, lines, datagrams); default per scenario. */
  rate?: number;
  /** The legitimate players' addresses, for same-address spoofing. */
  victims?: readonly string[];
  /** Client ids to guess, 1 … maxId. */
  maxId?: number;
}

/** What an attack did, for the report. */
export interface AttackReport {
  name: AttackName;
  seconds: number;
  connections: number;
  rate: number;
  /** TCP connections opened (attempted). */
  opened: number;
  /** Connections that completed a handshake (got a reply with an id). */
  joined: number;
  /** Connections the server closed (or refused) while the attack ran. */
  closedByServer: number;
  /** Units sent: lines, datagrams, CONNECTs, bytes of slow handshakes. */
  sent: number;
  sentBytes: number;
  /** Local failures (connect errors, send errors). */
  errors: number;
}

// Attackers live in 127.50.0.0/16, far from the players (127.1.x.y) and newcomers (127.2.x.y).
/** Addresses {@linkcode attackerAddress} can give. */
export const MAX_ATTACKERS = ADDRESSES_PER_BLOCK;

/** The source address of attacker `index`: 127.50.0.1, 127.50.0.2, … */
export function attackerAddress(index: number): string {
  return loopbackAddress(50, index);
}

/** Slice of time the pacing loops work in. */
const TICK_MS = 10;
const CHAT_LINE_BYTES = 60_000;
const BIG_STRING_BYTES = 21_000;
/** Unsent bytes above which a flooding socket waits for "drain" instead of queueing more. */
const SOCKET_BACKLOG_BYTES = 1024 * 1024;

function connectFrame(name: string, udpPort = 0, model = DEFAULT_MODEL, map = ""): Uint8Array {
  return encodeFrame(encodeClientPacket({
    header: Header.CONNECT,
    udpPort,
    name,
    data: zeroDataGhost(),
    model,
    map,
    tcpOnly: true,
    color: { r: 255, g: 0, b: 0 },
    spectator: false,
  }));
}

/** `length` bytes of text with one invalid UTF-8 byte in the middle, as a protocol string. */
export function invalidText(length: number): string {
  const bytes = new Uint8Array(length).fill(0x61);
  bytes[length >> 1] = 0xff;
  return decodeText(bytes);
}

function chatFrame(id: number, text: string): Uint8Array {
  return encodeFrame(encodeClientPacket({ header: Header.MESSAGE, id, text }));
}

/**
 * The run of one attack: counters, every socket and timer it opened, and the stop signal.
 * Everything is released by {@linkcode AttackRun.close}.
 */
class AttackRun {
  readonly report: AttackReport;
  readonly #sockets = new Set<net.Socket>();
  readonly #closed = new Set<Promise<void>>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #udp = new Set<Deno.DatagramConn>();
  /** Steps still running (sends in flight): closing waits for them. */
  readonly #steps = new Set<Promise<void>>();
  stopped = false;

  constructor(report: AttackReport) {
    this.report = report;
  }

  /** Opens a TCP connection from `localAddress`; `onClose` runs once it is closed. */
  open(options: AttackOptions, localAddress: string, onClose?: () => void): net.Socket {
    const socket = net.connect({ host: options.host, port: options.port, localAddress });
    this.report.opened++;
    this.#sockets.add(socket);
    socket.on("error", () => {});
    let connected = false;
    socket.once("connect", () => connected = true);
    const closed = new Promise<void>((resolve) =>
      socket.once("close", () => {
        this.#sockets.delete(socket);
        if (!this.stopped) {
          if (connected) this.report.closedByServer++;
          else this.report.errors++;
          onClose?.();
        }
        resolve();
      })
    );
    this.#closed.add(closed);
    closed.then(() => this.#closed.delete(closed));
    return socket;
  }

  udp(hostname: string): Deno.DatagramConn {
    const socket = Deno.listenDatagram({ transport: "udp", hostname, port: 0 });
    this.#udp.add(socket);
    return socket;
  }

  /** Calls `step(count)` every {@linkcode TICK_MS} with the events due at `rate` per second. */
  pace(rate: number, step: (count: number) => void | Promise<void>): void {
    let owed = 0;
    let last = performance.now();
    const tick = async () => {
      if (this.stopped) return;
      const now = performance.now();
      owed = Math.min(owed + (now - last) * rate / 1000, Math.max(1, rate / 10));
      last = now;
      const count = Math.floor(owed);
      owed -= count;
      const done = count > 0 ? step(count) : undefined;
      if (done) {
        this.#steps.add(done);
        await done;
        this.#steps.delete(done);
      }
      this.after(TICK_MS, tick);
    };
    this.after(0, tick);
  }

  after(ms: number, callback: () => void): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      callback();
    }, ms);
    this.#timers.add(timer);
  }

  async close(): Promise<void> {
    this.stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await Promise.all([...this.#steps]);
    for (const socket of this.#sockets) socket.destroy();
    for (const socket of this.#udp) socket.close();
    this.#udp.clear();
    while (this.#closed.size > 0) await Promise.all([...this.#closed]);
  }
}

/**
 * A connected attacker: sends CONNECT, learns its id from the reply, answers heartbeats (so
 * that only what it does gets it removed) and otherwise ignores what it receives.
 */
function joinAsPlayer(
  run: AttackRun,
  options: AttackOptions,
  localAddress: string,
  connect: Uint8Array,
  onJoined: (socket: net.Socket, id: number) => void,
  onClose?: () => void,
): net.Socket {
  const socket = run.open(options, localAddress, onClose);
  const decoder = new FrameDecoder(64 * 1024 * 1024);
  let id = -1;
  socket.on("data", (chunk: Uint8Array) => {
    try {
      decoder.push(chunk, (payload) => {
        if (id < 0) {
          id = decodeConnectReply(payload).yourId;
          if (id === 0) return void socket.destroy(); // refused
          run.report.joined++;
          onJoined(socket, id);
        } else if (payload[0] === Header.HEART_BEAT && payload.length >= 9) {
          const token = new DataView(payload.buffer, payload.byteOffset).getUint32(5);
          socket.write(encodeFrame(encodeClientPacket({ header: Header.HEART_BEAT, id, token })));
        }
      });
    } catch {
      socket.destroy();
    }
  });
  socket.once("connect", () => socket.write(connect));
  return socket;
}

/** Writes `frame` whenever the socket can take it, at most `rate` per second. */
function flood(run: AttackRun, socket: net.Socket, rate: number, frame: () => Uint8Array): void {
  run.pace(rate, (count) => {
    if (socket.destroyed) return;
    for (let i = 0; i < count && socket.writableLength < SOCKET_BACKLOG_BYTES; i++) {
      const bytes = frame();
      socket.write(bytes);
      run.report.sent++;
      run.report.sentBytes += bytes.length;
    }
  });
}

/** How {@linkcode chatFlooders} joins and floods. */
interface ChatFlooderOptions {
  /** Players joined at the start (each joins again when dropped). */
  players: number;
  /** Local address and player name of join attempt `attempt` (0, 1, 2… over all players). */
  identity: (attempt: number) => [address: string, name: string];
  /** The chat line every player sends. */
  line: string;
  /** Chat lines per second, per player. */
  rate: number;
  /** Wait before a dropped player joins again. */
  rejoinMs: number;
  /** Stop reading once joined, so that the server's queue for the player can only grow. */
  stopReading?: boolean;
}

/** Players that send the same chat line as fast as allowed and join again when dropped. */
function chatFlooders(run: AttackRun, options: AttackOptions, flooder: ChatFlooderOptions): void {
  let attempt = 0;
  const join = () => {
    const [address, name] = flooder.identity(attempt++);
    joinAsPlayer(run, options, address, connectFrame(name), (socket, id) => {
      if (flooder.stopReading) socket.pause();
      const frame = chatFrame(id, flooder.line);
      flood(run, socket, flooder.rate, () => frame);
    }, () => run.after(flooder.rejoinMs, join));
  };
  for (let i = 0; i < flooder.players; i++) join();
}

/** Sends `count` datagrams that `next` picks, and counts them once all have settled. */
async function sendAll(
  run: AttackRun,
  count: number,
  next: () => [Deno.DatagramConn, Uint8Array, Deno.NetAddr],
): Promise<void> {
  const sends: Promise<number>[] = [];
  for (let i = 0; i < count; i++) {
    const [socket, datagram, to] = next();
    run.report.sentBytes += datagram.length;
    sends.push(socket.send(datagram, to));
  }
  for (const result of await Promise.allSettled(sends)) {
    if (result.status === "fulfilled") run.report.sent++;
    else run.report.errors++;
  }
}

type Scenario = (run: AttackRun, options: AttackOptions, connections: number, rate: number) => void;

const SCENARIOS: Record<AttackName, Scenario> = {
  "conn-flood"(run, options, connections, rate) {
    let next = 0;
    let open = 0;
    run.pace(rate, (count) => {
      for (let i = 0; i < count && open < connections; i++) {
        open++;
        const address = attackerAddress(Math.floor((next++ % connections) / 10));
        run.open(options, address, () => open--);
      }
    });
  },

  "slow-handshake"(run, options, connections, rate) {
    const connect = connectFrame("slowpoke");
    const sockets: { socket: net.Socket; at: number }[] = [];
    let next = 0;
    run.pace(rate, (count) => {
      for (let i = 0; i < count && sockets.length < connections; i++) {
        const entry = { socket: undefined as unknown as net.Socket, at: 0 };
        entry.socket = run.open(options, attackerAddress(next++ % connections), () => {
          sockets.splice(sockets.indexOf(entry), 1);
        });
        sockets.push(entry);
      }
    });
    // One byte per connection per second, spread over the second.
    let slot = 0;
    run.pace(100, () => {
      for (let i = slot; i < sockets.length; i += 100) {
        const entry = sockets[i];
        if (!entry.socket.writable || entry.socket.connecting) continue;
        entry.socket.write(
          connect.subarray(entry.at % connect.length, entry.at % connect.length + 1),
        );
        entry.at++;
        run.report.sent++;
        run.report.sentBytes++;
      }
      slot = (slot + 1) % 100;
    });
  },

  "chat-flood"(run, options, _connections, rate) {
    chatFlooders(run, options, {
      players: 1,
      identity: (attempt) => [attackerAddress(attempt), "ChatFlooder"],
      line: "x".repeat(CHAT_LINE_BYTES),
      rate,
      rejoinMs: 100,
    });
  },

  "big-strings"(run, options, connections, rate) {
    const big = (c: string) => c.repeat(BIG_STRING_BYTES);
    let alive = 0;
    let attempt = 0;
    run.pace(rate, (count) => {
      for (let i = 0; i < count && alive < connections; i++) {
        alive++;
        const connect = connectFrame(`${attempt}${big("n")}`, 0, big("m"), big("p"));
        joinAsPlayer(run, options, attackerAddress(attempt++), connect, () => {}, () => alive--);
      }
    });
  },

  "invalid-utf8"(run, options, _connections, rate) {
    // CONNECTs with an invalid name, each from a new address, closed once sent.
    const connect = connectFrame(invalidText(CHAT_LINE_BYTES));
    let next = 1;
    run.pace(rate, (count) => {
      for (let i = 0; i < count; i++) {
        const socket = run.open(options, attackerAddress(next++));
        socket.once("connect", () => {
          socket.end(connect);
          run.report.sent++;
          run.report.sentBytes += connect.length;
        });
      }
    });
    // And a connected player sending invalid chat lines.
    chatFlooders(run, options, {
      players: 1,
      identity: () => [attackerAddress(0), "Mojibake"],
      line: invalidText(CHAT_LINE_BYTES),
      rate,
      rejoinMs: 100,
    });
  },

  "udp-flood"(run, options, connections, rate) {
    const sockets = Array.from(
      { length: Math.max(1, connections) },
      (_, i) => run.udp(attackerAddress(i)),
    );
    const to: Deno.NetAddr = { transport: "udp", hostname: options.host, port: options.port };
    // A pool made once, so the attacker spends its CPU sending, not making random bytes:
    // random lengths and bytes, and UPDATEs with each guessed id and a random pose.
    const pool: Uint8Array[] = [];
    for (let i = 0; i < 64; i++) {
      const junk = new Uint8Array(1 + Math.floor(Math.random() * 1200));
      crypto.getRandomValues(junk);
      pool.push(junk);
    }
    for (let id = 1; id <= (options.maxId ?? 64); id++) {
      const update = encodeClientPacket({ header: Header.UPDATE, id, data: zeroDataGhost() });
      crypto.getRandomValues(update.subarray(5));
      pool.push(update);
    }
    let n = 0;
    run.pace(rate, (count) =>
      sendAll(run, count, () => {
        n++;
        return [sockets[n % sockets.length], pool[(n * 7919) % pool.length], to];
      }));
  },

  "udp-spoof"(run, options, _connections, rate) {
    const victims = options.victims ?? [];
    if (victims.length === 0) return;
    // Another port on each victim's own address: what strangers behind one NAT could do.
    const sockets = victims.map((address) => run.udp(address));
    const to: Deno.NetAddr = { transport: "udp", hostname: options.host, port: options.port };
    const maxId = options.maxId ?? 64;
    const updates: Uint8Array[] = [];
    for (let id = 1; id <= maxId; id++) {
      // A garbage pose under a guessed id: spoiled positions and send-time stamps show.
      const update = encodeClientPacket({ header: Header.UPDATE, id, data: zeroDataGhost() });
      crypto.getRandomValues(update.subarray(5));
      updates.push(update);
    }
    let n = 0;
    run.pace(rate, (count) =>
      sendAll(run, count, () => {
        n++;
        return [sockets[n % sockets.length], updates[Math.floor(n / sockets.length) % maxId], to];
      }));
  },

  "churn"(run, options, _connections, rate) {
    let next = 0;
    run.pace(rate, (count) => {
      for (let i = 0; i < count; i++) {
        const address = attackerAddress(next++ % 254);
        joinAsPlayer(run, options, address, connectFrame(`churn${next}`), (socket, id) => {
          run.report.sent++;
          socket.end(encodeFrame(encodeClientPacket({ header: Header.DISCONNECT, id })));
        });
      }
    });
  },

  "stopped-reader"(run, options, connections, rate) {
    chatFlooders(run, options, {
      players: connections,
      identity: (attempt) => [attackerAddress(attempt), `Stopped${attempt + 1}`],
      line: "s".repeat(CHAT_LINE_BYTES),
      rate: Math.max(1, rate / connections),
      rejoinMs: 1000,
      // Reads the reply, then never again: the server's queue for it can only grow.
      stopReading: true,
    });
  },
};

/**
 * Runs attack `options.name` until `signal` aborts, then closes everything it opened and
 * resolves with what it did.
 *
 * @throws {RangeError} when connections or rate are out of bounds, or the host is not loopback
 */
export async function runAttack(
  options: AttackOptions,
  signal: AbortSignal,
): Promise<AttackReport> {
  const defaults = ATTACK_DEFAULTS[options.name];
  if (!defaults) throw new RangeError(`Unknown attack "${options.name}"`);
  const connections = options.connections ?? defaults.connections;
  const rate = options.rate ?? defaults.rate;
  if (!(connections >= 0 && connections <= MAX_ATTACK_CONNECTIONS)) {
    throw new RangeError(
      `Attack connections must be 0 to ${MAX_ATTACK_CONNECTIONS}, got ${connections}`,
    );
  }
  if (!(rate > 0 && rate <= MAX_ATTACK_RATE)) {
    throw new RangeError(`Attack rate must be above 0 and at most ${MAX_ATTACK_RATE}, got ${rate}`);
  }
  if (!/^127\./.test(options.host)) {
    throw new RangeError(`Attacks run on loopback only, got host ${options.host}`);
  }
  const run = new AttackRun({
    name: options.name,
    seconds: 0,
    connections,
    rate,
    opened: 0,
    joined: 0,
    closedByServer: 0,
    sent: 0,
    sentBytes: 0,
    errors: 0,
  });
  const started = performance.now();
  if (!signal.aborted) {
    const stopped = new Promise<void>((resolve) =>
      signal.addEventListener("abort", () => resolve(), { once: true })
    );
    SCENARIOS[options.name](run, options, connections, rate);
    await stopped;
  }
  await run.close();
  run.report.seconds = (performance.now() - started) / 1000;
  return run.report;
}

/**
 * The server's UDP socket on Linux, through libc `recvmmsg`/`sendmmsg` (Deno FFI).
 *
 * The relay only needs UDP at its 50 ms tick: it reads every pending datagram right before
 * building the bulk update and sends that update to everyone right after. Doing each of those
 * in a few system calls, with no promise, no per-datagram buffer and no per-datagram address
 * object, costs much less CPU than `Deno.listenDatagram`, which wakes the event loop once per
 * datagram in each direction.
 *
 * @module
 */
import type { DatagramHandler, UdpSocket } from "./udp_socket.ts";
import { isIpv4 } from "./address.ts";
import {
  type AddressFamily,
  AF_INET,
  AF_INET6,
  encodeSockaddr,
  formatSockaddrHost,
  isMappedSockaddr,
  parseIpv6,
  SOCKADDR_IN6_BYTES,
  sockaddrPort,
} from "./sockaddr.ts";
import {
  addressOf,
  EACCES,
  EADDRINUSE,
  EADDRNOTAVAIL,
  EAGAIN,
  EBADF,
  EINTR,
  ENOBUFS,
  EPERM,
  errnoName,
  IOVEC_BYTES,
  IPPROTO_IPV6,
  IPV6_V6ONLY,
  type Libc,
  LIBC_PATH,
  LIBC_SYMBOLS,
  MMSG_MAX_BATCH,
  MMSGHDR_BYTES,
  MSG_DONTWAIT,
  MSG_FLAGS,
  MSG_IOV,
  MSG_IOVLEN,
  MSG_LEN,
  MSG_NAME,
  MSG_NAMELEN,
  MSG_TRUNC,
  SO_RCVBUF,
  SO_RCVBUFFORCE,
  SO_SNDBUF,
  SO_SNDBUFFORCE,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOL_SOCKET,
  writePointer,
} from "./linux_libc.ts";

/**
 * This machine or process cannot use the mmsg backend (not Linux, no `--allow-ffi`, no glibc);
 * the caller should fall back to `DenoUdpSocket` and say why.
 */
export class MmsgUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "MmsgUnavailableError";
  }
}

/** Tuning for {@linkcode MmsgUdpSocket.open}; the defaults suit a ghost server. */
export interface MmsgUdpSocketOptions {
  /**
   * `SO_RCVBUF` request. Datagrams wait up to one tick (50 ms) in the kernel, so the buffer
   * must hold a tick's worth from every client; 1 MiB measured zero drops. Default 1 MiB.
   */
  receiveBufferBytes?: number;
  /** `SO_SNDBUF` request: one tick's bulk updates leave in a single burst. Default 4 MiB. */
  sendBufferBytes?: number;
  /**
   * Largest datagram received whole; larger ones are dropped and counted in
   * {@linkcode MmsgUdpSocket.truncatedDatagrams}. SAR's largest UDP packet, VOICE, is at most
   * 1045 bytes (docs/protocol.md §3.16). Default 4096.
   */
  maxDatagramBytes?: number;
}

const DEFAULT_RECEIVE_BUFFER_BYTES = 1 << 20;
const DEFAULT_SEND_BUFFER_BYTES = 4 << 20;
const DEFAULT_MAX_DATAGRAM_BYTES = 4096;

// Datagrams per recvmmsg call: a tick from 64 clients in one call, in 64 × 4 KiB of arena.
const RECEIVE_BATCH = 64;
// A flood cannot keep drain() (and so the tick) running forever; the rest waits a tick.
const MAX_DRAIN_DATAGRAMS = 16384;
// Receive errors are pending ICMP reports about single peers; more than this per drain means
// something else is wrong, and the next tick tries again.
const MAX_DRAIN_ERRORS = 16;
// Messages per sendmmsg call, the kernel's own cap.
const SEND_BATCH = MMSG_MAX_BATCH;
// Payload bytes queued before an early flush; each distinct payload (a bulk update, or each
// of its split datagrams) is copied once however many clients get it, so this only fills up
// with a thousand clients' worth of distinct payloads.
const SEND_ARENA_BYTES = 256 * 1024;
// The largest UDP payload (IPv6); the kernel refuses with EMSGSIZE whatever is too big for v4.
const MAX_SEND_BYTES = 65527;
// sockaddr slots are 32 bytes so every one is 8-byte aligned.
const NAME_STRIDE = 32;
// Bounds for the address and view caches: a server has at most a few thousand peers.
const SOURCE_CACHE_LIMIT = 4096;
const VIEW_CACHE_LIMIT = 4096;
// u32 indexes of the mmsghdr fields.
const HEADER_WORDS = MMSGHDR_BYTES / 4;
const NAMELEN_WORD = MSG_NAMELEN / 4;
const FLAGS_WORD = MSG_FLAGS / 4;
const LEN_WORD = MSG_LEN / 4;
const IOVEC_WORDS = IOVEC_BYTES / 4;

interface Destination {
  readonly hostname: string;
  readonly port: number;
  /** The encoded sockaddr, or undefined when this socket cannot reach the address. */
  readonly sockaddr: Uint8Array | undefined;
}

/** One preallocated `mmsghdr[]` with an `iovec` and a sockaddr slot per message. */
class MessageVector {
  readonly headers: ArrayBuffer;
  readonly words: Uint32Array;
  readonly iovecWords: Uint32Array;
  readonly names: Uint8Array;
  readonly pointer: Deno.PointerObject;

  constructor(count: number) {
    this.headers = new ArrayBuffer(count * MMSGHDR_BYTES);
    this.words = new Uint32Array(this.headers);
    const iovecs = new ArrayBuffer(count * IOVEC_BYTES);
    this.iovecWords = new Uint32Array(iovecs);
    const names = new ArrayBuffer(count * NAME_STRIDE);
    this.names = new Uint8Array(names);
    const pointer = Deno.UnsafePointer.of(this.headers);
    if (pointer === null) throw new MmsgUnavailableError("Cannot get the address of a buffer");
    this.pointer = pointer;
    const iovecsAt = addressOf(iovecs);
    const namesAt = addressOf(names);
    for (let i = 0; i < count; i++) {
      const header = i * MMSGHDR_BYTES;
      writePointer(this.words, header + MSG_NAME, namesAt + i * NAME_STRIDE);
      writePointer(this.words, header + MSG_IOV, iovecsAt + i * IOVEC_BYTES);
      this.words[(header + MSG_IOVLEN) / 4] = 1;
    }
    // These addresses stay valid: ArrayBuffer backing stores never move.
  }

  /** Points message `index`'s single iovec at `length` bytes at `address`. */
  setBuffer(index: number, address: number, length: number): void {
    writePointer(this.iovecWords, index * IOVEC_BYTES, address);
    this.iovecWords[index * IOVEC_WORDS + 2] = length;
    this.iovecWords[index * IOVEC_WORDS + 3] = 0;
  }
}

function positiveIntegerOption(
  value: number | undefined,
  fallback: number,
  name: string,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new RangeError(`${name} must be an integer from 1 to ${max}, got ${value}`);
  }
  return value;
}

function loadLibc(): Libc {
  if (Deno.build.os !== "linux") {
    throw new MmsgUnavailableError(`The mmsg UDP backend needs Linux, not ${Deno.build.os}`);
  }
  if (Deno.build.arch !== "x86_64" && Deno.build.arch !== "aarch64") {
    throw new MmsgUnavailableError(
      `The mmsg UDP backend knows the struct layouts of x86_64 and aarch64, not ${Deno.build.arch}`,
    );
  }
  if (typeof Deno.dlopen !== "function") {
    throw new MmsgUnavailableError("This runtime has no FFI (Deno.dlopen)");
  }
  // Queried first so that a missing --allow-ffi never turns into an interactive prompt.
  if (Deno.permissions.querySync({ name: "ffi", path: LIBC_PATH }).state !== "granted") {
    throw new MmsgUnavailableError("FFI is not allowed; run Deno with --allow-ffi");
  }
  try {
    return Deno.dlopen(LIBC_PATH, LIBC_SYMBOLS);
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      throw new MmsgUnavailableError("FFI is not allowed; run Deno with --allow-ffi", {
        cause: error,
      });
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new MmsgUnavailableError(`Cannot load ${LIBC_PATH}: ${reason}`, { cause: error });
  }
}

function bindError(errno: number, hostname: string, port: number): Error {
  const where = `${hostname}:${port}`;
  switch (errno) {
    case EADDRINUSE:
      return new Deno.errors.AddrInUse(`UDP port ${port} is already in use on ${hostname}`);
    case EADDRNOTAVAIL:
      return new Deno.errors.AddrNotAvailable(
        `Cannot bind UDP to ${where}: this machine has no such address`,
      );
    case EACCES:
    case EPERM:
      return new Deno.errors.PermissionDenied(
        `Permission denied (${errnoName(errno)}) binding UDP to ${where}`,
      );
    default:
      return new Error(`Cannot bind UDP to ${where}: ${errnoName(errno)}`);
  }
}

function familyOf(hostname: string): AddressFamily {
  if (isIpv4(hostname)) return AF_INET;
  if (parseIpv6(hostname)) return AF_INET6;
  throw new TypeError(
    `Hostname must be an IP address such as 0.0.0.0 or ::, got ${JSON.stringify(hostname)}`,
  );
}

/**
 * The Linux backend: the socket is drained by {@linkcode MmsgUdpSocket.drain} and written by
 * {@linkcode MmsgUdpSocket.flush}, never in between, so the event loop does no UDP work of its
 * own. Create it with {@linkcode MmsgUdpSocket.open}. Not thread-safe: use it on the thread that
 * opened it.
 */
export class MmsgUdpSocket implements UdpSocket {
  readonly port: number;
  /** The kernel's receive buffer size after the request (Linux reports twice the request). */
  readonly receiveBufferBytes: number;
  /** The kernel's send buffer size after the request. */
  readonly sendBufferBytes: number;

  readonly #libc: Libc;
  readonly #fd: number;
  readonly #family: AddressFamily;
  readonly #onDatagram: DatagramHandler;
  readonly #errno: Deno.UnsafePointerView;
  #closed = false;
  #draining = false;

  readonly #receive: MessageVector;
  readonly #receiveArena: ArrayBuffer;
  readonly #slotBytes: number;
  // Same-length datagrams in the same slot reuse one view: no allocation per datagram.
  readonly #views = new Map<number, Uint8Array>();
  // Keyed by IPv4 address × 65536 + port (under 2^48, exact), or by a short string for IPv6.
  readonly #ipv4Sources = new Map<number, Deno.NetAddr>();
  readonly #ipv6Sources = new Map<string, Deno.NetAddr>();

  readonly #send: MessageVector;
  readonly #sendArena: Uint8Array;
  readonly #sendArenaAddress: number;
  // The server keeps one NetAddr per client until its endpoint moves, so this encodes each
  // destination once; hostname and port are rechecked in case an object was reused.
  readonly #destinations = new WeakMap<Deno.NetAddr, Destination>();
  #queued = 0;
  #arenaUsed = 0;
  // A bulk update (or each of its split datagrams) goes to every client as the same object:
  // copied once per flush, pointed at many times. Payload → its offset in the arena.
  readonly #copies = new Map<Uint8Array, number>();

  #received = 0;
  #truncated = 0;
  #receiveErrors = 0;
  #sent = 0;
  #sendsDropped = 0;

  private constructor(
    libc: Libc,
    fd: number,
    family: AddressFamily,
    port: number,
    onDatagram: DatagramHandler,
    slotBytes: number,
    buffers: { receive: number; send: number },
  ) {
    this.#libc = libc;
    this.#fd = fd;
    this.#family = family;
    this.port = port;
    this.#onDatagram = onDatagram;
    this.#slotBytes = slotBytes;
    this.receiveBufferBytes = buffers.receive;
    this.sendBufferBytes = buffers.send;
    const errnoPointer = libc.symbols.__errno_location();
    if (errnoPointer === null) throw new MmsgUnavailableError("libc returned no errno location");
    this.#errno = new Deno.UnsafePointerView(errnoPointer);

    this.#receive = new MessageVector(RECEIVE_BATCH);
    this.#receiveArena = new ArrayBuffer(RECEIVE_BATCH * slotBytes);
    const arenaAt = addressOf(this.#receiveArena);
    for (let i = 0; i < RECEIVE_BATCH; i++) {
      this.#receive.setBuffer(i, arenaAt + i * slotBytes, slotBytes);
    }

    this.#send = new MessageVector(SEND_BATCH);
    const sendArena = new ArrayBuffer(SEND_ARENA_BYTES);
    this.#sendArena = new Uint8Array(sendArena);
    this.#sendArenaAddress = addressOf(sendArena);
  }

  /**
   * Opens the Linux mmsg UDP socket on `hostname:port`. `hostname` must be an IP literal (pass
   * the TCP listener's `addr.hostname`); an IPv6 one gives a dual-stack socket on which IPv4
   * peers appear as `::ffff:a.b.c.d`, as with `Deno.listenDatagram`. Received datagrams reach
   * `onDatagram` only from {@linkcode MmsgUdpSocket.drain}. No `--allow-net` check applies: FFI
   * bypasses Deno's network permissions.
   *
   * @throws {MmsgUnavailableError} when the backend cannot work here (not Linux, no
   *   `--allow-ffi`, no glibc); fall back to `DenoUdpSocket`
   * @throws {Deno.errors.AddrInUse} when the port is taken (also `AddrNotAvailable`,
   *   `PermissionDenied`, or an `Error` naming the address and errno)
   * @throws {TypeError} when `hostname` is not an IP literal or `onDatagram` not a function
   * @throws {RangeError} when the port or an option is out of range
   */
  static open(
    hostname: string,
    port: number,
    onDatagram: DatagramHandler,
    options: MmsgUdpSocketOptions = {},
  ): MmsgUdpSocket {
    if (typeof hostname !== "string") throw new TypeError("Hostname must be a string");
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new RangeError(`Port must be an integer from 0 to 65535, got ${port}`);
    }
    if (typeof onDatagram !== "function") {
      throw new TypeError("The datagram handler must be a function");
    }
    const receiveRequest = positiveIntegerOption(
      options.receiveBufferBytes,
      DEFAULT_RECEIVE_BUFFER_BYTES,
      "receiveBufferBytes",
      0x7fff_ffff,
    );
    const sendRequest = positiveIntegerOption(
      options.sendBufferBytes,
      DEFAULT_SEND_BUFFER_BYTES,
      "sendBufferBytes",
      0x7fff_ffff,
    );
    const slotBytes = positiveIntegerOption(
      options.maxDatagramBytes,
      DEFAULT_MAX_DATAGRAM_BYTES,
      "maxDatagramBytes",
      65535,
    );
    const family = familyOf(hostname);
    const address = new Uint8Array(SOCKADDR_IN6_BYTES);
    const addressLength = encodeSockaddr(family, hostname, port, address);

    const libc = loadLibc();
    const c = libc.symbols;
    const errno = () => {
      const location = c.__errno_location();
      return location === null ? 0 : new Deno.UnsafePointerView(location).getInt32(0);
    };
    const int = new Int32Array(1);
    const setInt = (level: number, option: number, value: number) => {
      int[0] = value;
      return c.setsockopt(fd, level, option, int, 4) === 0;
    };
    const getInt = (level: number, option: number) => {
      const length = new Uint32Array([4]);
      return c.getsockopt(fd, level, option, int, length) === 0 ? int[0] : 0;
    };
    let fd = -1;
    try {
      fd = c.socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) throw new Error(`Cannot create a UDP socket: ${errnoName(errno())}`);
      if (family === AF_INET6 && !setInt(IPPROTO_IPV6, IPV6_V6ONLY, 0)) {
        throw new Error(`Cannot accept IPv4 on an IPv6 UDP socket: ${errnoName(errno())}`);
      }
      // The FORCE variants pass the sysctl caps when the server runs with CAP_NET_ADMIN.
      if (
        !setInt(SOL_SOCKET, SO_RCVBUFFORCE, receiveRequest) &&
        !setInt(SOL_SOCKET, SO_RCVBUF, receiveRequest)
      ) {
        throw new Error(`Cannot size the UDP receive buffer: ${errnoName(errno())}`);
      }
      if (
        !setInt(SOL_SOCKET, SO_SNDBUFFORCE, sendRequest) &&
        !setInt(SOL_SOCKET, SO_SNDBUF, sendRequest)
      ) {
        throw new Error(`Cannot size the UDP send buffer: ${errnoName(errno())}`);
      }
      if (c.bind(fd, address, addressLength) !== 0) throw bindError(errno(), hostname, port);
      const bound = new Uint8Array(SOCKADDR_IN6_BYTES);
      const boundLength = new Uint32Array([SOCKADDR_IN6_BYTES]);
      if (c.getsockname(fd, bound, boundLength) !== 0) {
        throw new Error(`Cannot read the bound UDP port: ${errnoName(errno())}`);
      }
      const boundPort = sockaddrPort(bound);
      const buffers = {
        receive: getInt(SOL_SOCKET, SO_RCVBUF),
        send: getInt(SOL_SOCKET, SO_SNDBUF),
      };
      return new MmsgUdpSocket(libc, fd, family, boundPort, onDatagram, slotBytes, buffers);
    } catch (error) {
      if (fd >= 0) c.close(fd);
      libc.close();
      throw error;
    }
  }

  /** Datagrams handed to the handler so far. */
  get datagramsReceived(): number {
    return this.#received;
  }

  /** Datagrams longer than `maxDatagramBytes`, dropped unread. */
  get truncatedDatagrams(): number {
    return this.#truncated;
  }

  /** Failed receive calls (pending ICMP errors about single peers, mostly). */
  get receiveErrors(): number {
    return this.#receiveErrors;
  }

  /** Datagrams the kernel accepted for sending. */
  get datagramsSent(): number {
    return this.#sent;
  }

  /**
   * Datagrams not sent: unreachable from this socket's family, refused by the kernel one by
   * one (EMSGSIZE, ECONNREFUSED…), or dropped with the rest of a batch when the send buffer
   * was full.
   */
  get sendsDropped(): number {
    return this.#sendsDropped;
  }

  /** Datagrams waiting for {@linkcode MmsgUdpSocket.flush}. */
  get queued(): number {
    return this.#queued;
  }

  /** Whether {@linkcode MmsgUdpSocket.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Queues one datagram for the next {@linkcode MmsgUdpSocket.flush}; a full batch flushes at
   * once. `data` is copied (once per flush for the same object, however many destinations),
   * so it must not change between two sends of the same object before a flush; it may change
   * after.
   */
  send(data: Uint8Array, to: Deno.NetAddr): void {
    if (this.#closed) return;
    const length = data.byteLength;
    const sockaddr = this.#destination(to);
    if (sockaddr === undefined || length > MAX_SEND_BYTES) {
      this.#sendsDropped++;
      return;
    }
    if (this.#queued === SEND_BATCH) this.flush();
    let offset = this.#copies.get(data);
    if (offset === undefined) {
      if (this.#arenaUsed + length > SEND_ARENA_BYTES) this.flush();
      offset = this.#arenaUsed;
      this.#sendArena.set(data, offset);
      this.#copies.set(data, offset);
      this.#arenaUsed += length;
    }
    const index = this.#queued++;
    const messages = this.#send;
    messages.setBuffer(index, this.#sendArenaAddress + offset, length);
    messages.names.set(sockaddr, index * NAME_STRIDE);
    messages.words[index * HEADER_WORDS + NAMELEN_WORD] = sockaddr.length;
  }

  /**
   * Sends everything queued with as few `sendmmsg` calls as the kernel allows. A message the
   * kernel refuses on its own is skipped; when the send buffer is full the rest of the batch
   * is dropped, since the next tick brings fresher data anyway.
   */
  flush(): void {
    const queued = this.#queued;
    this.#queued = 0;
    this.#arenaUsed = 0;
    this.#copies.clear();
    if (queued === 0 || this.#closed) return;
    const sendmmsg = this.#libc.symbols.sendmmsg;
    const base = this.#send.pointer;
    let next = 0;
    while (next < queued) {
      const at = next === 0 ? base : Deno.UnsafePointer.offset(base, next * MMSGHDR_BYTES);
      const sent = sendmmsg(this.#fd, at, queued - next, 0);
      if (sent > 0) {
        this.#sent += sent;
        next += sent;
        continue;
      }
      const errno = this.#errno.getInt32(0);
      if (errno === EINTR) continue;
      if (errno === EAGAIN || errno === ENOBUFS || errno === EBADF) {
        this.#sendsDropped += queued - next;
        return;
      }
      // sendmmsg reports the error of the first unsent message: skip just that one.
      this.#sendsDropped++;
      next++;
    }
  }

  /**
   * Hands every datagram already received to the handler, in arrival order, without waiting.
   * Pending ICMP errors (a send to a closed port, say) are skipped. At most 16384 datagrams
   * are handled per call so that a flood cannot stall the tick. A call from inside the handler
   * does nothing (the handler's own batch is still being read); an exception from the handler
   * propagates, and the rest of its batch of up to 64 datagrams is lost.
   */
  drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    try {
      this.#drain();
    } finally {
      this.#draining = false;
    }
  }

  #drain(): void {
    const recvmmsg = this.#libc.symbols.recvmmsg;
    const words = this.#receive.words;
    let handled = 0;
    let errors = 0;
    while (!this.#closed) {
      for (let i = 0; i < RECEIVE_BATCH; i++) {
        words[i * HEADER_WORDS + NAMELEN_WORD] = SOCKADDR_IN6_BYTES;
      }
      const count = recvmmsg(this.#fd, this.#receive.pointer, RECEIVE_BATCH, MSG_DONTWAIT, null);
      if (count < 0) {
        const errno = this.#errno.getInt32(0);
        if (errno === EAGAIN) return;
        this.#receiveErrors++;
        if (++errors >= MAX_DRAIN_ERRORS) return;
        continue;
      }
      for (let i = 0; i < count; i++) {
        const header = i * HEADER_WORDS;
        if (words[header + FLAGS_WORD] & MSG_TRUNC) {
          this.#truncated++;
          continue;
        }
        this.#received++;
        this.#onDatagram(this.#view(i, words[header + LEN_WORD]), this.#source(i));
        if (this.#closed) return;
      }
      handled += count;
      // A short batch means the queue ran dry: no need for one more call to hear EAGAIN.
      if (count < RECEIVE_BATCH || handled >= MAX_DRAIN_DATAGRAMS) return;
    }
  }

  /** Sends what is still queued, then closes the socket; later calls do nothing. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.flush();
      this.#closed = true;
      this.#libc.symbols.close(this.#fd);
      this.#libc.close();
      this.#views.clear();
      this.#ipv4Sources.clear();
      this.#ipv6Sources.clear();
    }
    return Promise.resolve();
  }

  #view(slot: number, length: number): Uint8Array {
    const key = slot * 65536 + length;
    let view = this.#views.get(key);
    if (view === undefined) {
      if (this.#views.size >= VIEW_CACHE_LIMIT) this.#views.clear();
      view = new Uint8Array(this.#receiveArena, slot * this.#slotBytes, length);
      this.#views.set(key, view);
    }
    return view;
  }

  #source(slot: number): Deno.NetAddr {
    const names = this.#receive.names;
    const at = slot * NAME_STRIDE;
    const port = (names[at + 2] << 8) | names[at + 3];
    let ipv4At: number;
    if (this.#family === AF_INET) {
      ipv4At = at + 4;
    } else if (isMappedSockaddr(names, at)) {
      ipv4At = at + 20;
    } else {
      let key = "";
      for (let i = at + 8; i < at + 24; i += 2) {
        key += String.fromCharCode((names[i] << 8) | names[i + 1]);
      }
      key += String.fromCharCode(port);
      return this.#ipv6Sources.get(key) ?? remember(this.#ipv6Sources, key, names, at, port);
    }
    const ip = names[ipv4At] * 0x100_0000 +
      ((names[ipv4At + 1] << 16) | (names[ipv4At + 2] << 8) | names[ipv4At + 3]);
    const key = ip * 65536 + port;
    return this.#ipv4Sources.get(key) ?? remember(this.#ipv4Sources, key, names, at, port);
  }

  #destination(to: Deno.NetAddr): Uint8Array | undefined {
    let destination = this.#destinations.get(to);
    if (
      destination === undefined || destination.hostname !== to.hostname ||
      destination.port !== to.port
    ) {
      destination = encodeDestination(this.#family, to);
      this.#destinations.set(to, destination);
    }
    return destination.sockaddr;
  }
}

function remember<K>(
  cache: Map<K, Deno.NetAddr>,
  key: K,
  names: Uint8Array,
  at: number,
  port: number,
): Deno.NetAddr {
  if (cache.size >= SOURCE_CACHE_LIMIT) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  // Frozen because every datagram from this peer shares the object.
  const address: Deno.NetAddr = Object.freeze({
    transport: "udp" as const,
    hostname: formatSockaddrHost(names, at),
    port,
  });
  cache.set(key, address);
  return address;
}

function encodeDestination(family: AddressFamily, to: Deno.NetAddr): Destination {
  const { hostname, port } = to;
  const buffer = new Uint8Array(SOCKADDR_IN6_BYTES);
  let length = 0;
  try {
    length = encodeSockaddr(family, hostname, port, buffer);
  } catch {
    // A bad port counts as one failed send, like any other unreachable peer.
  }
  return { hostname, port, sockaddr: length === 0 ? undefined : buffer.subarray(0, length) };
}

/**
 * The server's UDP socket on Linux, through libc `recvmmsg`/`sendmmsg` (Deno FFI).
 *
 * The relay only needs UDP at its 50 ms tick: it reads every pending datagram right before
 * building the bulk update and sends that update to everyone right after. Doing each of those
 * in a few system calls, with no promise, no per-datagram buffer and no per-datagram address
 * object, costs much less CPU than `Deno.listenDatagram`, which wakes the event loop once per
 * datagram in each direction.
 *
 * Sending, it also lets the kernel cut a split bulk update into its datagrams (UDP generic
 * segmentation offload, `UDP_SEGMENT`, Linux 4.18+): one message per client carries every chunk
 * and a control message giving the chunk size, and the kernel sends exactly the datagrams that
 * one message per chunk would have sent, for much less work per datagram.
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
  EINVAL,
  EIO,
  EMSGSIZE,
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
  MSG_CONTROL,
  MSG_CONTROLLEN,
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
  SOL_UDP,
  UDP_MAX_SEGMENTS,
  UDP_SEGMENT,
  UDP_SEGMENT_CMSG_LEN,
  UDP_SEGMENT_CMSG_SPACE,
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
   * `SO_RCVBUF` request. The server reads every 10 ms, so the buffer must hold 10 ms of
   * datagrams: 1 MiB (the kernel doubles it) held a flood of 50 000 a second. Default 1 MiB.
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
  /**
   * Hand {@linkcode MmsgUdpSocket.sendDatagrams} series to the kernel as one segmented message
   * per destination (UDP GSO), when the kernel supports it (probed at open). Default true.
   */
  gso?: boolean;
  /**
   * Called once if the kernel refuses a segmented message (`EIO`, `EINVAL`, `EMSGSIZE`: a
   * device or route that cannot segment): its datagrams were resent one by one and GSO is off
   * for the rest of the socket's life. `reason` says what failed, for the log. It runs at the
   * end of a flush and must not use the socket.
   */
  onGsoDisabled?: (reason: string) => void;
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
// The largest segmented message: a UDP payload over IPv4, whichever family the socket has.
const MAX_SEGMENTED_BYTES = 65507;
// Probed at open; any valid size does, the option is reset to 0 right after.
const PROBE_SEGMENT_BYTES = 1200;
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
const CONTROLLEN_WORD = MSG_CONTROLLEN / 4;
// u16 index of a control slot's UDP_SEGMENT value, and slot stride in u16s.
const SEGMENT_VALUE_INDEX = 16 / 2;
const CONTROL_SLOT_HALVES = UDP_SEGMENT_CMSG_SPACE / 2;

interface Destination {
  readonly hostname: string;
  readonly port: number;
  /** The encoded sockaddr, or undefined when this socket cannot reach the address. */
  readonly sockaddr: Uint8Array | undefined;
}

/**
 * One preallocated `mmsghdr[]` with an `iovec`, a sockaddr slot and (for sending) a
 * `UDP_SEGMENT` control message slot per message.
 *
 * The kernel only sees these buffers' addresses, written into the headers as numbers: nothing
 * tells the garbage collector that they are in use. Every one of them is therefore a field of
 * this object, which the socket keeps for its whole life, so none can be freed while a system
 * call reads it. (ArrayBuffer backing stores never move, so the addresses stay valid.)
 */
class MessageVector {
  readonly headers: ArrayBuffer;
  readonly words: Uint32Array;
  readonly iovecs: ArrayBuffer;
  readonly iovecWords: Uint32Array;
  readonly names: Uint8Array;
  /** `UDP_SEGMENT_CMSG_SPACE` bytes per message, or empty without control messages. */
  readonly control: ArrayBuffer;
  readonly controlHalves: Uint16Array;
  readonly pointer: Deno.PointerObject;

  constructor(count: number, withControl = false) {
    this.headers = new ArrayBuffer(count * MMSGHDR_BYTES);
    this.words = new Uint32Array(this.headers);
    this.iovecs = new ArrayBuffer(count * IOVEC_BYTES);
    this.iovecWords = new Uint32Array(this.iovecs);
    this.names = new Uint8Array(new ArrayBuffer(count * NAME_STRIDE));
    this.control = new ArrayBuffer(withControl ? count * UDP_SEGMENT_CMSG_SPACE : 0);
    this.controlHalves = new Uint16Array(this.control);
    const pointer = Deno.UnsafePointer.of(this.headers);
    if (pointer === null) throw new MmsgUnavailableError("Cannot get the address of a buffer");
    this.pointer = pointer;
    const iovecsAt = addressOf(this.iovecs);
    const namesAt = addressOf(this.names.buffer as ArrayBuffer);
    const controlAt = withControl ? addressOf(this.control) : 0;
    const controlWords = new Uint32Array(this.control);
    for (let i = 0; i < count; i++) {
      const header = i * MMSGHDR_BYTES;
      writePointer(this.words, header + MSG_NAME, namesAt + i * NAME_STRIDE);
      writePointer(this.words, header + MSG_IOV, iovecsAt + i * IOVEC_BYTES);
      this.words[(header + MSG_IOVLEN) / 4] = 1;
      if (!withControl) continue;
      // The cmsghdr never changes; msg_controllen (0 or the slot's size) says whether it is sent.
      writePointer(this.words, header + MSG_CONTROL, controlAt + i * UDP_SEGMENT_CMSG_SPACE);
      const slot = i * UDP_SEGMENT_CMSG_SPACE / 4;
      controlWords[slot] = UDP_SEGMENT_CMSG_LEN; // cmsg_len, a size_t: high word stays 0
      controlWords[slot + 2] = SOL_UDP;
      controlWords[slot + 3] = UDP_SEGMENT;
    }
  }

  /** Points message `index`'s single iovec at `length` bytes at `address`. */
  setBuffer(index: number, address: number, length: number): void {
    writePointer(this.iovecWords, index * IOVEC_BYTES, address);
    this.iovecWords[index * IOVEC_WORDS + 2] = length;
    this.iovecWords[index * IOVEC_WORDS + 3] = 0;
  }

  /** The address message `index`'s iovec points at. */
  bufferAddress(index: number): number {
    const at = index * IOVEC_WORDS;
    return this.iovecWords[at] + this.iovecWords[at + 1] * 0x1_0000_0000;
  }

  /** The length of message `index`'s iovec. */
  bufferLength(index: number): number {
    return this.iovecWords[index * IOVEC_WORDS + 2];
  }

  /** Makes message `index` segmented into `segmentBytes` datagrams, or (0) plain again. */
  setSegment(index: number, segmentBytes: number): void {
    if (segmentBytes === 0) {
      this.words[index * HEADER_WORDS + CONTROLLEN_WORD] = 0;
      return;
    }
    this.controlHalves[index * CONTROL_SLOT_HALVES + SEGMENT_VALUE_INDEX] = segmentBytes;
    this.words[index * HEADER_WORDS + CONTROLLEN_WORD] = UDP_SEGMENT_CMSG_SPACE;
  }

  /** The segment size of message `index`, or 0 when it is a plain datagram. */
  segment(index: number): number {
    return this.words[index * HEADER_WORDS + CONTROLLEN_WORD] === 0
      ? 0
      : this.controlHalves[index * CONTROL_SLOT_HALVES + SEGMENT_VALUE_INDEX];
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

/**
 * Whether a send error ends the whole batch (the rest is dropped: the send buffer is full, or
 * the socket is gone) rather than only the message it names.
 */
function endsBatch(errno: number): boolean {
  return errno === EAGAIN || errno === ENOBUFS || errno === EBADF;
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
  /**
   * Whether the kernel accepted `UDP_SEGMENT` when the socket opened (false too when GSO was
   * not asked for). See {@linkcode MmsgUdpSocket.gso} for whether it is still in use.
   */
  readonly gsoSupported: boolean;

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
  // Datagrams each queued message makes: 1, or its segment count.
  readonly #segments = new Uint16Array(SEND_BATCH);
  // Resends a refused segmented message's datagrams one by one.
  readonly #fallback = new MessageVector(UDP_MAX_SEGMENTS);
  #gso: boolean;
  #gsoOffReason: string | undefined;
  readonly #onGsoDisabled: ((reason: string) => void) | undefined;
  readonly #sendArena: Uint8Array;
  readonly #sendArenaAddress: number;
  // The server keeps one NetAddr per client until its endpoint moves, so this encodes each
  // destination once; hostname and port are rechecked in case an object was reused.
  readonly #destinations = new WeakMap<Deno.NetAddr, Destination>();
  #queued = 0;
  #arenaUsed = 0;
  // A bulk update (or each of its split datagrams, or the array of them) goes to every client
  // as the same object: copied once per flush, pointed at many times. Payload → its offset in
  // the arena; an array of datagrams that cannot be segmented → -1.
  readonly #copies = new Map<Uint8Array | readonly Uint8Array[], number>();

  #received = 0;
  #truncated = 0;
  #receiveErrors = 0;
  #sent = 0;
  #messagesSent = 0;
  #segmentedMessagesSent = 0;
  #sendsDropped = 0;

  private constructor(
    libc: Libc,
    fd: number,
    family: AddressFamily,
    port: number,
    onDatagram: DatagramHandler,
    slotBytes: number,
    buffers: { receive: number; send: number },
    gso: { supported: boolean; offReason?: string; onDisabled?: (reason: string) => void },
  ) {
    this.#libc = libc;
    this.#fd = fd;
    this.#family = family;
    this.port = port;
    this.#onDatagram = onDatagram;
    this.#slotBytes = slotBytes;
    this.receiveBufferBytes = buffers.receive;
    this.sendBufferBytes = buffers.send;
    this.gsoSupported = gso.supported;
    this.#gso = gso.supported;
    this.#gsoOffReason = gso.offReason;
    this.#onGsoDisabled = gso.onDisabled;
    const errnoPointer = libc.symbols.__errno_location();
    if (errnoPointer === null) throw new MmsgUnavailableError("libc returned no errno location");
    this.#errno = new Deno.UnsafePointerView(errnoPointer);

    this.#receive = new MessageVector(RECEIVE_BATCH);
    this.#receiveArena = new ArrayBuffer(RECEIVE_BATCH * slotBytes);
    const arenaAt = addressOf(this.#receiveArena);
    for (let i = 0; i < RECEIVE_BATCH; i++) {
      this.#receive.setBuffer(i, arenaAt + i * slotBytes, slotBytes);
    }

    this.#send = new MessageVector(SEND_BATCH, true);
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
    if (options.gso !== undefined && typeof options.gso !== "boolean") {
      throw new TypeError(`gso must be true or false, got ${options.gso}`);
    }
    const onGsoDisabled = options.onGsoDisabled;
    if (onGsoDisabled !== undefined && typeof onGsoDisabled !== "function") {
      throw new TypeError("onGsoDisabled must be a function");
    }
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
      // Kernels before 4.18 ignore a UDP_SEGMENT control message and would send a whole
      // series as one oversized datagram: only a socket option the kernel accepts proves
      // support. The option itself is reset to 0 so that plain sends stay plain.
      let gso: { supported: boolean; offReason?: string; onDisabled?: (reason: string) => void };
      if (options.gso === false) {
        gso = { supported: false, offReason: "turned off by the configuration" };
      } else if (
        setInt(SOL_UDP, UDP_SEGMENT, PROBE_SEGMENT_BYTES) && setInt(SOL_UDP, UDP_SEGMENT, 0)
      ) {
        gso = { supported: true, onDisabled: onGsoDisabled };
      } else {
        gso = {
          supported: false,
          offReason: `the kernel refused UDP_SEGMENT (${errnoName(errno())}; Linux 4.18+ has it)`,
        };
        setInt(SOL_UDP, UDP_SEGMENT, 0);
      }
      return new MmsgUdpSocket(libc, fd, family, boundPort, onDatagram, slotBytes, buffers, gso);
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

  /**
   * Datagrams the kernel accepted for sending, each segment of a segmented message counted:
   * the datagrams that leave the machine.
   */
  get datagramsSent(): number {
    return this.#sent;
  }

  /** Messages the kernel accepted (a segmented message counts once). */
  get messagesSent(): number {
    return this.#messagesSent;
  }

  /** Segmented (UDP GSO) messages the kernel accepted. */
  get segmentedMessagesSent(): number {
    return this.#segmentedMessagesSent;
  }

  /** Whether {@linkcode MmsgUdpSocket.sendDatagrams} currently segments (UDP GSO). */
  get gso(): boolean {
    return this.#gso;
  }

  /** Why GSO is off (not asked for, not supported, or refused while sending), if it is. */
  get gsoOffReason(): string | undefined {
    return this.#gsoOffReason;
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
    this.#queue(sockaddr, this.#sendArenaAddress + offset, length, 0, 1);
  }

  /**
   * Queues `datagrams` for `to`: the receiver gets exactly these datagrams, in this order.
   * With GSO on and a series the kernel can cut (every datagram the size of the first but
   * the last, which may be shorter), they go as one segmented message per 64 datagrams and
   * 65 507 bytes; otherwise one message each. Like {@linkcode MmsgUdpSocket.send}, the bytes
   * are copied once per flush for the same array, which must not change before the flush.
   */
  sendDatagrams(datagrams: readonly Uint8Array[], to: Deno.NetAddr): void {
    const count = datagrams.length;
    if (count === 0 || this.#closed) return;
    const segmentBytes = datagrams[0].byteLength;
    const perMessage = Math.min(
      UDP_MAX_SEGMENTS,
      Math.floor(MAX_SEGMENTED_BYTES / Math.max(segmentBytes, 1)),
    );
    if (!this.#gso || count === 1 || perMessage < 2) return this.#sendEach(datagrams, to);
    const sockaddr = this.#destination(to);
    if (sockaddr === undefined) {
      this.#sendsDropped += count;
      return;
    }
    // Room for every message of this series, so that no flush comes between them.
    if (this.#queued + Math.ceil(count / perMessage) > SEND_BATCH) this.flush();
    const offset = this.#copies.get(datagrams) ?? this.#copySeries(datagrams, segmentBytes);
    if (offset < 0) return this.#sendEach(datagrams, to);
    const lastBytes = datagrams[count - 1].byteLength;
    let address = this.#sendArenaAddress + offset;
    for (let first = 0; first < count; first += perMessage) {
      const segments = Math.min(perMessage, count - first);
      // Segment size = the chunk size actually laid out, so the kernel cuts where we would.
      const length = first + segments === count
        ? (segments - 1) * segmentBytes + lastBytes
        : segments * segmentBytes;
      this.#queue(sockaddr, address, length, segments > 1 ? segmentBytes : 0, segments);
      address += length;
    }
  }

  #sendEach(datagrams: readonly Uint8Array[], to: Deno.NetAddr): void {
    for (let i = 0; i < datagrams.length; i++) this.send(datagrams[i], to);
  }

  /** Copies a segmentable series into the arena, back to back; -1 if it is not one. */
  #copySeries(datagrams: readonly Uint8Array[], segmentBytes: number): number {
    const count = datagrams.length;
    const lastBytes = datagrams[count - 1].byteLength;
    let segmentable = segmentBytes > 0 && lastBytes > 0 && lastBytes <= segmentBytes;
    for (let i = 1; i < count - 1 && segmentable; i++) {
      segmentable = datagrams[i].byteLength === segmentBytes;
    }
    const total = (count - 1) * segmentBytes + lastBytes;
    if (!segmentable || total > SEND_ARENA_BYTES) {
      this.#copies.set(datagrams, -1);
      return -1;
    }
    if (this.#arenaUsed + total > SEND_ARENA_BYTES) this.flush();
    const offset = this.#arenaUsed;
    let at = offset;
    for (let i = 0; i < count; i++) {
      this.#sendArena.set(datagrams[i], at);
      at += datagrams[i].byteLength;
    }
    this.#arenaUsed = at;
    this.#copies.set(datagrams, offset);
    return offset;
  }

  #queue(
    sockaddr: Uint8Array,
    address: number,
    length: number,
    segmentBytes: number,
    segments: number,
  ): void {
    const index = this.#queued++;
    const messages = this.#send;
    messages.setBuffer(index, address, length);
    messages.setSegment(index, segmentBytes);
    this.#segments[index] = segments;
    messages.names.set(sockaddr, index * NAME_STRIDE);
    messages.words[index * HEADER_WORDS + NAMELEN_WORD] = sockaddr.length;
  }

  /**
   * Sends everything queued with as few `sendmmsg` calls as the kernel allows. A message the
   * kernel refuses on its own is skipped; when the send buffer is full the rest of the batch
   * is dropped, since the next tick brings fresher data anyway. A segmented message refused
   * with `EIO`, `EINVAL` or `EMSGSIZE` is resent one datagram at a time, and GSO is turned off.
   */
  flush(): void {
    const queued = this.#queued;
    this.#queued = 0;
    // The arena's bytes stay where they are until the next send: nothing is queued meanwhile.
    this.#arenaUsed = 0;
    this.#copies.clear();
    if (queued === 0 || this.#closed) return;
    const messages = this.#send;
    let refused = 0;
    let next = 0;
    while (next < queued) {
      const sent = this.#sendFrom(messages.pointer, next, queued);
      if (sent > 0) {
        for (let i = next; i < next + sent; i++) {
          const segments = this.#segments[i];
          this.#sent += segments;
          if (segments > 1) this.#segmentedMessagesSent++;
        }
        this.#messagesSent += sent;
        next += sent;
        continue;
      }
      const errno = -sent;
      if (endsBatch(errno)) {
        for (let i = next; i < queued; i++) this.#sendsDropped += this.#segments[i];
        break;
      }
      // sendmmsg reports the error of the first unsent message: deal with just that one.
      if (
        messages.segment(next) !== 0 && (errno === EIO || errno === EINVAL || errno === EMSGSIZE)
      ) {
        if (refused === 0) refused = errno;
        this.#resendOneByOne(next);
      } else {
        this.#sendsDropped += this.#segments[next];
      }
      next++;
    }
    if (refused !== 0 && this.#gso) {
      this.#gso = false;
      this.#gsoOffReason = `the kernel refused a segmented message (${errnoName(refused)})`;
      // Called once the batch is done; the handler is meant to log, not to use this socket.
      this.#onGsoDisabled?.(this.#gsoOffReason);
    }
  }

  /** Sends the datagrams of queued segmented message `index` as messages of their own. */
  #resendOneByOne(index: number): void {
    const messages = this.#send;
    const fallback = this.#fallback;
    const segmentBytes = messages.segment(index);
    const segments = this.#segments[index];
    const nameLength = messages.words[index * HEADER_WORDS + NAMELEN_WORD];
    const name = messages.names.subarray(index * NAME_STRIDE, index * NAME_STRIDE + nameLength);
    let address = messages.bufferAddress(index);
    let remaining = messages.bufferLength(index);
    for (let i = 0; i < segments; i++) {
      const length = Math.min(segmentBytes, remaining);
      fallback.setBuffer(i, address, length);
      fallback.names.set(name, i * NAME_STRIDE);
      fallback.words[i * HEADER_WORDS + NAMELEN_WORD] = nameLength;
      address += length;
      remaining -= length;
    }
    let next = 0;
    while (next < segments) {
      const sent = this.#sendFrom(fallback.pointer, next, segments);
      if (sent > 0) {
        this.#sent += sent;
        this.#messagesSent += sent;
        next += sent;
        continue;
      }
      if (endsBatch(-sent)) {
        this.#sendsDropped += segments - next;
        return;
      }
      this.#sendsDropped++;
      next++;
    }
  }

  /**
   * One `sendmmsg` call for messages `next` to `count - 1` of the message array at `messages`,
   * repeated while a signal interrupts it: the number of messages sent (above 0), or else the
   * errno negated. Both send paths use it, so both treat EINTR alike.
   */
  #sendFrom(messages: Deno.PointerObject, next: number, count: number): number {
    const at = next === 0 ? messages : Deno.UnsafePointer.offset(messages, next * MMSGHDR_BYTES);
    for (;;) {
      const sent = this.#libc.symbols.sendmmsg(this.#fd, at, count - next, 0);
      if (sent > 0) return sent;
      const errno = this.#errno.getInt32(0);
      if (errno !== EINTR) return -errno;
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

/**
 * The few Linux libc socket calls the FFI UDP backend makes, with the constants and struct
 * layouts they need. Everything here is the generic little-endian LP64 Linux ABI (x86_64,
 * aarch64); the values were checked against glibc's headers on x86_64.
 *
 * @module
 */

/** glibc's soname; other libcs (musl) lay some structs out differently and are not supported. */
export const LIBC_PATH = "libc.so.6";

/** Symbols bound with `Deno.dlopen`; every call is synchronous on the calling thread. */
export const LIBC_SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  recvmmsg: { parameters: ["i32", "pointer", "u32", "i32", "pointer"], result: "i32" },
  sendmmsg: { parameters: ["i32", "pointer", "u32", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The bound library. */
export type Libc = Deno.DynamicLibrary<typeof LIBC_SYMBOLS>;

/** `SOCK_DGRAM`. */
export const SOCK_DGRAM = 2;
/** `SOCK_NONBLOCK` (= `O_NONBLOCK`): set at creation, so no `fcntl` call is needed. */
export const SOCK_NONBLOCK = 0x800;
/** `SOCK_CLOEXEC`: child processes must not inherit the server's port. */
export const SOCK_CLOEXEC = 0x80000;

/** `SOL_SOCKET`. */
export const SOL_SOCKET = 1;
/** `SO_SNDBUF`. */
export const SO_SNDBUF = 7;
/** `SO_RCVBUF`. */
export const SO_RCVBUF = 8;
/** `SO_SNDBUFFORCE`: exceeds `net.core.wmem_max`, but only with `CAP_NET_ADMIN`. */
export const SO_SNDBUFFORCE = 32;
/** `SO_RCVBUFFORCE`: exceeds `net.core.rmem_max`, but only with `CAP_NET_ADMIN`. */
export const SO_RCVBUFFORCE = 33;
/** `SOL_UDP` (= `IPPROTO_UDP`), the level of UDP's own options and control messages. */
export const SOL_UDP = 17;
/**
 * `UDP_SEGMENT` (Linux 4.18+): as a socket option or a per-message control message, the size
 * the kernel cuts one large send into, every datagram that size but the last (UDP GSO).
 */
export const UDP_SEGMENT = 103;
/**
 * `UDP_MAX_SEGMENTS` as Linux 4.18 defined it (later kernels may allow more): the most datagrams
 * one segmented send may make on every kernel that has `UDP_SEGMENT`.
 */
export const UDP_MAX_SEGMENTS = 64;
/** `IPPROTO_IPV6`. */
export const IPPROTO_IPV6 = 41;
/** `IPV6_V6ONLY`: cleared so that IPv4 peers reach an IPv6 socket as `::ffff:a.b.c.d`. */
export const IPV6_V6ONLY = 26;

/** `MSG_DONTWAIT`. */
export const MSG_DONTWAIT = 0x40;
/** `MSG_TRUNC`, reported in `msg_flags` when a datagram did not fit its buffer. */
export const MSG_TRUNC = 0x20;

/** `EPERM`. */
export const EPERM = 1;
/** `EIO`. */
export const EIO = 5;
/** `EINTR`. */
export const EINTR = 4;
/** `EBADF`. */
export const EBADF = 9;
/** `EAGAIN`, which is also `EWOULDBLOCK` on Linux. */
export const EAGAIN = 11;
/** `EACCES`. */
export const EACCES = 13;
/** `EINVAL`. */
export const EINVAL = 22;
/** `EMSGSIZE`. */
export const EMSGSIZE = 90;
/** `EADDRINUSE`. */
export const EADDRINUSE = 98;
/** `EADDRNOTAVAIL`. */
export const EADDRNOTAVAIL = 99;
/** `ENOBUFS`. */
export const ENOBUFS = 105;

const ERRNO_NAMES: Record<number, string> = {
  1: "EPERM",
  4: "EINTR",
  5: "EIO",
  9: "EBADF",
  11: "EAGAIN",
  12: "ENOMEM",
  13: "EACCES",
  14: "EFAULT",
  22: "EINVAL",
  24: "EMFILE",
  88: "ENOTSOCK",
  90: "EMSGSIZE",
  92: "ENOPROTOOPT",
  97: "EAFNOSUPPORT",
  98: "EADDRINUSE",
  99: "EADDRNOTAVAIL",
  100: "ENETDOWN",
  101: "ENETUNREACH",
  105: "ENOBUFS",
  111: "ECONNREFUSED",
  112: "EHOSTDOWN",
  113: "EHOSTUNREACH",
};

/** A readable name for an errno value, for error messages (`EADDRINUSE`, or `errno 42`). */
export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `errno ${errno}`;
}

/** `sizeof(struct mmsghdr)`: a 56-byte `msghdr` followed by `msg_len` and padding. */
export const MMSGHDR_BYTES = 64;
/** Offset of `msg_hdr.msg_name` (pointer). */
export const MSG_NAME = 0;
/** Offset of `msg_hdr.msg_namelen` (u32, in/out). */
export const MSG_NAMELEN = 8;
/** Offset of `msg_hdr.msg_iov` (pointer). */
export const MSG_IOV = 16;
/** Offset of `msg_hdr.msg_iovlen` (size_t). */
export const MSG_IOVLEN = 24;
/** Offset of `msg_hdr.msg_control` (pointer). */
export const MSG_CONTROL = 32;
/** Offset of `msg_hdr.msg_controllen` (size_t); 0 makes the kernel ignore `msg_control`. */
export const MSG_CONTROLLEN = 40;
/** Offset of `msg_hdr.msg_flags` (i32, out). */
export const MSG_FLAGS = 48;
/** Offset of `msg_len` (u32, out): bytes received or sent. */
export const MSG_LEN = 56;
/** `sizeof(struct iovec)`: `iov_base` pointer at 0, `iov_len` size_t at 8. */
export const IOVEC_BYTES = 16;
/** `sizeof(struct cmsghdr)`: `cmsg_len` size_t, `cmsg_level` i32, `cmsg_type` i32. */
export const CMSGHDR_BYTES = 16;
/** `CMSG_LEN(sizeof(u16))`: the exact `cmsg_len` the kernel requires of `UDP_SEGMENT`. */
export const UDP_SEGMENT_CMSG_LEN = CMSGHDR_BYTES + 2;
/** `CMSG_SPACE(sizeof(u16))`: the `msg_controllen` of a message carrying `UDP_SEGMENT`. */
export const UDP_SEGMENT_CMSG_SPACE = CMSGHDR_BYTES + 8;
/** The most messages one `sendmmsg`/`recvmmsg` call handles (`UIO_MAXIOV`). */
export const MMSG_MAX_BATCH = 1024;

/**
 * Writes a 64-bit pointer into a little-endian struct through its u32 view. `address` is a
 * plain number: user-space addresses on these platforms are below 2^48, so they are exact,
 * and no BigInt is allocated.
 */
export function writePointer(words: Uint32Array, byteOffset: number, address: number): void {
  const index = byteOffset >>> 2;
  words[index] = address % 0x1_0000_0000;
  words[index + 1] = Math.floor(address / 0x1_0000_0000);
}

/** The address of a buffer's first byte, as a number for {@linkcode writePointer}. */
export function addressOf(buffer: ArrayBuffer): number {
  return Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buffer)));
}

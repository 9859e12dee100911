/**
 * Linux `sockaddr_in`/`sockaddr_in6` bytes for the FFI UDP backend: encoding a destination and
 * formatting a source exactly as Deno's own sockets report it, so both backends hand the
 * session layer the same address text.
 *
 * @module
 */
import { isIpv4 } from "./address.ts";

/** `AF_INET` on Linux. */
export const AF_INET = 2;
/** `AF_INET6` on Linux. */
export const AF_INET6 = 10;
/** The address families a socket can have here. */
export type AddressFamily = typeof AF_INET | typeof AF_INET6;

/** `sizeof(struct sockaddr_in)`. */
export const SOCKADDR_IN_BYTES = 16;
/** `sizeof(struct sockaddr_in6)`, the most any source address needs. */
export const SOCKADDR_IN6_BYTES = 28;

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

function ipv4Groups(text: string): [number, number] | undefined {
  if (!isIpv4(text)) return undefined;
  const [a, b, c, d] = text.split(".").map(Number);
  return [(a << 8) | b, (c << 8) | d];
}

// A run of colon-separated hex groups; only the very last may be a dotted quad.
function parseGroups(text: string, ipv4TailAllowed: boolean): number[] | undefined {
  if (text === "") return [];
  const parts = text.split(":");
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (ipv4TailAllowed && i === parts.length - 1 && part.includes(".")) {
      const tail = ipv4Groups(part);
      if (!tail) return undefined;
      groups.push(...tail);
    } else if (HEX_GROUP.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}

/**
 * The eight 16-bit groups of an IPv6 literal, or undefined when `text` is not one. Zone ids
 * (`fe80::1%eth0`) are refused: the session layer never sees them, and a sockaddr without its
 * scope could not reach a link-local peer anyway.
 */
export function parseIpv6(text: string): number[] | undefined {
  const gap = text.indexOf("::");
  if (gap === -1) {
    const groups = parseGroups(text, true);
    return groups?.length === 8 ? groups : undefined;
  }
  if (text.indexOf("::", gap + 1) !== -1) return undefined;
  const head = parseGroups(text.slice(0, gap), false);
  const tail = parseGroups(text.slice(gap + 2), true);
  // "::" stands for at least one zero group.
  if (!head || !tail || head.length + tail.length > 7) return undefined;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

function isMappedIpv4(groups: number[]): boolean {
  return groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 &&
    groups[4] === 0 && groups[5] === 0xffff;
}

function writeIpv4Sockaddr(
  out: Uint8Array,
  offset: number,
  high: number,
  low: number,
  port: number,
): number {
  out.fill(0, offset, offset + SOCKADDR_IN_BYTES);
  out[offset] = AF_INET; // sa_family is a little-endian u16
  out[offset + 2] = port >> 8;
  out[offset + 3] = port & 0xff;
  out[offset + 4] = high >> 8;
  out[offset + 5] = high & 0xff;
  out[offset + 6] = low >> 8;
  out[offset + 7] = low & 0xff;
  return SOCKADDR_IN_BYTES;
}

function writeIpv6Sockaddr(
  out: Uint8Array,
  offset: number,
  groups: number[],
  port: number,
): number {
  out.fill(0, offset, offset + SOCKADDR_IN6_BYTES);
  out[offset] = AF_INET6;
  out[offset + 2] = port >> 8;
  out[offset + 3] = port & 0xff;
  for (let i = 0; i < 8; i++) {
    out[offset + 8 + 2 * i] = groups[i] >> 8;
    out[offset + 9 + 2 * i] = groups[i] & 0xff;
  }
  return SOCKADDR_IN6_BYTES;
}

/**
 * Writes the sockaddr a socket of `family` needs to reach `hostname:port` and returns its
 * length, or 0 when such a socket cannot reach it (an IPv6 peer from an IPv4 socket, a host
 * name rather than an IP literal). IPv4 text becomes `::ffff:a.b.c.d` for an IPv6 socket and
 * `::ffff:a.b.c.d` becomes plain IPv4 for an IPv4 one, because the TCP side reports peers in
 * whichever form its own socket uses.
 *
 * @throws {RangeError} when the port is not an integer from 0 to 65535 or `out` is too short
 */
export function encodeSockaddr(
  family: AddressFamily,
  hostname: string,
  port: number,
  out: Uint8Array,
  offset = 0,
): number {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`Port must be an integer from 0 to 65535, got ${port}`);
  }
  const needed = family === AF_INET ? SOCKADDR_IN_BYTES : SOCKADDR_IN6_BYTES;
  if (offset < 0 || out.length - offset < needed) {
    throw new RangeError(`A sockaddr needs ${needed} bytes at offset ${offset}`);
  }
  const v4 = ipv4Groups(hostname);
  if (v4) {
    if (family === AF_INET) return writeIpv4Sockaddr(out, offset, v4[0], v4[1], port);
    return writeIpv6Sockaddr(out, offset, [0, 0, 0, 0, 0, 0xffff, v4[0], v4[1]], port);
  }
  const v6 = parseIpv6(hostname);
  if (!v6) return 0;
  if (family === AF_INET6) return writeIpv6Sockaddr(out, offset, v6, port);
  return isMappedIpv4(v6) ? writeIpv4Sockaddr(out, offset, v6[6], v6[7], port) : 0;
}

/** The address family of the sockaddr at `offset` (`sa_family`, a little-endian u16). */
export function sockaddrFamily(bytes: Uint8Array, offset = 0): number {
  return bytes[offset] | (bytes[offset + 1] << 8);
}

/** The port of the `sockaddr_in`/`sockaddr_in6` at `offset` (both keep it at byte 2, big-endian). */
export function sockaddrPort(bytes: Uint8Array, offset = 0): number {
  return (bytes[offset + 2] << 8) | bytes[offset + 3];
}

/** Whether the `sockaddr_in6` at `offset` holds an IPv4-mapped address (`::ffff:a.b.c.d`). */
export function isMappedSockaddr(bytes: Uint8Array, offset = 0): boolean {
  for (let i = offset + 8; i < offset + 18; i++) if (bytes[i] !== 0) return false;
  return bytes[offset + 18] === 0xff && bytes[offset + 19] === 0xff;
}

function dottedQuad(bytes: Uint8Array, at: number): string {
  return `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
}

/**
 * The IPv6 text Rust's `Ipv6Addr` Display (and so Deno) produces: `::ffff:a.b.c.d` for mapped
 * addresses, otherwise lower-case hex with the first longest run of two or more zero groups
 * written as `::` (RFC 5952).
 */
export function formatIpv6(groups: ArrayLike<number>): string {
  if (
    groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 &&
    groups[4] === 0 && groups[5] === 0xffff
  ) {
    return `::ffff:${groups[6] >> 8}.${groups[6] & 0xff}.${groups[7] >> 8}.${groups[7] & 0xff}`;
  }
  let bestStart = 0;
  let bestLength = 0;
  let runStart = 0;
  let runLength = 0;
  for (let i = 0; i < 8; i++) {
    if (groups[i] !== 0) {
      runLength = 0;
      continue;
    }
    if (runLength === 0) runStart = i;
    runLength++;
    if (runLength > bestLength) {
      bestStart = runStart;
      bestLength = runLength;
    }
  }
  const hex = (from: number, to: number) => {
    const parts: string[] = [];
    for (let i = from; i < to; i++) parts.push(groups[i].toString(16));
    return parts.join(":");
  };
  if (bestLength < 2) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

/**
 * The host text of the `sockaddr_in`/`sockaddr_in6` at `offset`, formatted as
 * `Deno.listenDatagram` would report it.
 *
 * @throws {RangeError} for any other address family
 */
export function formatSockaddrHost(bytes: Uint8Array, offset = 0): string {
  const family = sockaddrFamily(bytes, offset);
  if (family === AF_INET) return dottedQuad(bytes, offset + 4);
  if (family !== AF_INET6) throw new RangeError(`Unsupported address family ${family}`);
  if (isMappedSockaddr(bytes, offset)) return `::ffff:${dottedQuad(bytes, offset + 20)}`;
  const groups = new Array<number>(8);
  for (let i = 0; i < 8; i++) {
    groups[i] = (bytes[offset + 8 + 2 * i] << 8) | bytes[offset + 9 + 2 * i];
  }
  return formatIpv6(groups);
}

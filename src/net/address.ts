/**
 * IP address text: normalisation and validation.
 *
 * @module
 */

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const MAPPED_PREFIX = "::ffff:";

/** Whether `text` is a dotted-quad IPv4 address. */
export function isIpv4(text: string): boolean {
  return IPV4.test(text);
}

/**
 * The canonical text of an IP address as sockets report it: an IPv4-mapped IPv6 address
 * (`::ffff:1.2.3.4`, what a dual-stack socket reports for IPv4 peers) becomes `1.2.3.4`, and
 * IPv6 text is lower-cased, so one peer always compares equal to itself.
 */
export function normalizeIp(hostname: string): string {
  // Called for every datagram: plain IPv4 text, by far the usual case, allocates nothing.
  if (!hostname.includes(":")) return hostname;
  if (
    hostname.length > MAPPED_PREFIX.length && hostname.slice(0, 7).toLowerCase() === MAPPED_PREFIX
  ) {
    const tail = hostname.slice(MAPPED_PREFIX.length);
    if (isIpv4(tail)) return tail;
  }
  return hostname.toLowerCase();
}

/**
 * Parses an IP literal typed by an operator (no host names: resolving them would block) and
 * returns its canonical text, or undefined when it is not an IPv4 or IPv6 literal.
 */
export function parseIp(text: string): string | undefined {
  const trimmed = normalizeIp(text.trim());
  if (isIpv4(trimmed)) return trimmed;
  if (!trimmed.includes(":")) return undefined;
  try {
    // URL parsing validates IPv6 and compresses it to one canonical form.
    const host = new URL(`http://[${trimmed}]/`).hostname.slice(1, -1);
    return normalizeIp(host);
  } catch {
    return undefined;
  }
}

/**
 * {@linkcode parseIp} for values an operator or plugin passes in.
 *
 * @throws {TypeError} when `text` is not an IPv4 or IPv6 literal
 */
export function requireIp(text: string): string {
  const ip = typeof text === "string" ? parseIp(text) : undefined;
  if (ip === undefined) throw new TypeError(`"${text}" is not an IPv4 or IPv6 address`);
  return ip;
}

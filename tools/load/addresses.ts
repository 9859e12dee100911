/**
 * One loopback source address per load client, so that the server's one-connection-per-IP
 * rule sees each client as a different player.
 *
 * @module
 */

// Last octets 0 and 255 are avoided: they look like network and broadcast addresses.
const HOSTS_PER_BLOCK = 254;

/** How many distinct addresses {@linkcode loopbackAddress} gives in one block. */
export const ADDRESSES_PER_BLOCK = HOSTS_PER_BLOCK * 256;

/** How many distinct addresses {@linkcode clientAddress} can give (127.1.0.1 … 127.1.255.254). */
export const MAX_CLIENTS = ADDRESSES_PER_BLOCK;

/**
 * Address `index` (0-based, wrapping after {@linkcode ADDRESSES_PER_BLOCK}) of the loopback
 * block 127.`block`.0.0/16: 127.`block`.0.1, … 127.`block`.0.254, 127.`block`.1.1, … The load
 * tools give each kind of peer its own block (players 1, newcomers 2, attackers 50).
 */
export function loopbackAddress(block: number, index: number): string {
  const i = index % ADDRESSES_PER_BLOCK;
  return `127.${block}.${Math.floor(i / HOSTS_PER_BLOCK)}.${(i % HOSTS_PER_BLOCK) + 1}`;
}

/**
 * The source address of client `index` (0-based): 127.1.0.1, 127.1.0.2, … 127.1.0.254,
 * 127.1.1.1, … Linux routes all of 127.0.0.0/8 to the loopback interface, so no setup is
 * needed; 127.0.0.x is left to the server and to other tools.
 *
 * @throws {RangeError} when `index` is outside 0 … {@linkcode MAX_CLIENTS} − 1
 */
export function clientAddress(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_CLIENTS) {
    throw new RangeError(`Client index must be an integer from 0 to ${MAX_CLIENTS - 1}`);
  }
  return loopbackAddress(1, index);
}

/** Whether `address` is an IPv4 loopback literal (127.0.0.0/8). */
export function isIpv4Loopback(address: string): boolean {
  const match = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  return match !== null && match.slice(1).every((octet) => Number(octet) <= 255);
}

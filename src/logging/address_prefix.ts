/**
 * The network a peer belongs to, as log summaries group peers: /16 for IPv4 (an attacker
 * rarely holds more than one), /48 for IPv6 (a site's allocation; one host often has a whole
 * /64).
 *
 * @module
 */

/**
 * The /16 (IPv4) or /48 (IPv6) prefix of a canonical IP address, e.g. `127.50.0.0/16` or
 * `2001:db8:1::/48`. Text that is no address is returned unchanged.
 */
export function addressPrefix(ip: string): string {
  if (!ip.includes(":")) {
    const parts = ip.split(".");
    return parts.length === 4 ? `${parts[0]}.${parts[1]}.0.0/16` : ip;
  }
  const [head, tail] = ip.split("::", 2) as [string, string | undefined];
  const groups = head === "" ? [] : head.split(":");
  if (tail !== undefined && groups.length < 3) {
    const tailGroups = tail === "" ? [] : tail.split(":");
    const missing = 8 - groups.length - tailGroups.length;
    for (let i = 0; i < missing; i++) groups.push("0");
    groups.push(...tailGroups);
  }
  if (groups.length < 3) return ip;
  const network = groups.slice(0, 3).map((group) => group.replace(/^0+(?=.)/, ""));
  while (network.length > 0 && network[network.length - 1] === "0") network.pop();
  return `${network.join(":")}::/48`;
}

/**
 * Who may connect: ban set, one connection per IP, accepting players/spectators, whitelist
 * (docs/protocol.md §4.2, steps 2, 5 and 6).
 *
 * @module
 */
import { requireIp } from "../net/address.ts";
import type { RefusalReason } from "./reasons.ts";

/** Folds case the way players expect names to match ("Alice" = "alice"). */
function foldName(name: string): string {
  return name.toLowerCase();
}

/**
 * A snapshot of the whitelist, as {@linkcode GhostServer.whitelist} returns it.
 *
 * @example
 * ```ts
 * import type { GhostServer, WhitelistEntries } from "@ghosting/server";
 *
 * function describeWhitelist({ enabled, names, ips }: WhitelistEntries): string {
 *   if (!enabled) return "whitelist off";
 *   return `whitelist on: ${[...names, ...ips].join(", ") || "nobody (everyone is refused)"}`;
 * }
 *
 * function report(server: GhostServer) {
 *   console.log(describeWhitelist(server.whitelist()));
 * }
 * ```
 */
export interface WhitelistEntries {
  /** Whether the whitelist is enforced on new connections. */
  enabled: boolean;
  /** Names allowed in, as added (matched case-insensitively). */
  names: string[];
  /** IP addresses allowed in, in canonical form. */
  ips: string[];
}

/**
 * Names (case-insensitive) and IPs allowed in while enabled. Names and IPs are kept apart, so
 * a name that looks like an IP never collides with an IP entry (docs/protocol.md §7.14). As in the
 * C++ server, an enabled whitelist with no entries lets nobody in.
 */
export class Whitelist {
  enabled = false;
  readonly #names = new Map<string, string>();
  readonly #ips = new Set<string>();

  /** Adds a name; false when it was already there (in any case). */
  addName(name: string): boolean {
    if (name.length === 0) throw new TypeError("A whitelisted name cannot be empty");
    const key = foldName(name);
    if (this.#names.has(key)) return false;
    this.#names.set(key, name);
    return true;
  }

  removeName(name: string): boolean {
    return this.#names.delete(foldName(name));
  }

  /**
   * Adds an IP literal; false when it was already there.
   *
   * @throws {TypeError} when `ip` is not an IP literal
   */
  addIp(ip: string): boolean {
    const canonical = requireIp(ip);
    if (this.#ips.has(canonical)) return false;
    this.#ips.add(canonical);
    return true;
  }

  /** @throws {TypeError} when `ip` is not an IP literal */
  removeIp(ip: string): boolean {
    return this.#ips.delete(requireIp(ip));
  }

  /** Whether a player with this name and IP is on the list (whether or not it is enabled). */
  includes(name: string, ip: string): boolean {
    return this.#names.has(foldName(name)) || this.#ips.has(ip);
  }

  /** Whether the whitelist lets this player in: always when disabled. */
  allows(name: string, ip: string): boolean {
    return !this.enabled || this.includes(name, ip);
  }

  entries(): WhitelistEntries {
    return { enabled: this.enabled, names: [...this.#names.values()], ips: [...this.#ips] };
  }
}

/** The acceptance rules and their state. */
export class AccessRules {
  /** Refuse a second connection from an IP that already has a client. */
  onePerIp: boolean;
  acceptingPlayers = true;
  acceptingSpectators = true;
  readonly whitelist = new Whitelist();
  readonly #bans = new Set<string>();

  constructor(onePerIp: boolean) {
    this.onePerIp = onePerIp;
  }

  /**
   * Bans an IP literal; false when it was already banned.
   *
   * @throws {TypeError} when `ip` is not an IP literal
   */
  ban(ip: string): boolean {
    const canonical = requireIp(ip);
    if (this.#bans.has(canonical)) return false;
    this.#bans.add(canonical);
    return true;
  }

  /** @throws {TypeError} when `ip` is not an IP literal */
  unban(ip: string): boolean {
    return this.#bans.delete(requireIp(ip));
  }

  bannedIps(): string[] {
    return [...this.#bans];
  }

  /** The checks that need only the peer's IP (step 2), or undefined to go on. */
  checkAddress(ip: string, ipConnected: boolean): RefusalReason | undefined {
    if (this.onePerIp && ipConnected) return "same_ip";
    if (this.#bans.has(ip)) return "banned";
    return undefined;
  }

  /** Every check, once CONNECT has been read (steps 2, 5 and 6), or undefined to accept. */
  check(
    ip: string,
    ipConnected: boolean,
    name: string,
    spectator: boolean,
  ): RefusalReason | undefined {
    const blocked = this.checkAddress(ip, ipConnected);
    if (blocked) return blocked;
    if (spectator ? !this.acceptingSpectators : !this.acceptingPlayers) {
      return spectator ? "refused_spectators" : "refused_players";
    }
    if (!this.whitelist.allows(name, ip)) return "not_whitelisted";
    return undefined;
  }
}

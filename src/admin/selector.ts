/**
 * Player selectors: how an operator names one player, or several, in a command.
 *
 * @module
 */
import { parseIp } from "../net/address.ts";
import type { ClientInfo } from "../server/client.ts";
import type { GhostServer } from "../server/server.ts";
import { CommandError } from "./command_error.ts";
import type { WordSource } from "./tokenize.ts";

/**
 * Which player(s) a command means. `explicit` is true for the `name|id|ip <value>` forms (and
 * JSON objects), false when the kind was inferred from one word.
 *
 * @example
 * ```ts
 * import { parsePlayerSelector, type PlayerSelector } from "@ghosting/server";
 *
 * const alice: PlayerSelector = parsePlayerSelector(["Alice"]); // { name: "Alice", explicit: false }
 * const three = parsePlayerSelector(["3"]); // { id: 3, explicit: false }
 * const local = parsePlayerSelector(["ip", "::1"]); // { ip: "::1", explicit: true }
 * console.log(alice, three, local);
 * ```
 */
export type PlayerSelector = ({ id: number } | { name: string } | { ip: string }) & {
  explicit: boolean;
};

const KINDS = ["name", "id", "ip"] as const;

function selectorOf(kind: string, value: string, explicit: boolean): PlayerSelector {
  switch (kind) {
    case "id": {
      if (!/^\d{1,10}$/.test(value)) {
        throw new CommandError(`Invalid player id '${value}': give the number 'list' shows`);
      }
      return { id: Number(value), explicit };
    }
    case "ip": {
      const ip = parseIp(value);
      if (ip === undefined) throw new CommandError(`Invalid IP address '${value}'`);
      return { ip, explicit };
    }
    default:
      if (value.length === 0) throw new CommandError("A player name cannot be empty");
      return { name: value, explicit };
  }
}

/** Infers the kind of one word: digits are an id, an IP literal an IP, anything else a name. */
function inferSelector(word: string): PlayerSelector {
  if (/^\d+$/.test(word)) return selectorOf("id", word, false);
  if (parseIp(word) !== undefined) return selectorOf("ip", word, false);
  return selectorOf("name", word, false);
}

/**
 * Reads a player selector from words: `name|id|ip <value>` (explicit), or one word whose kind
 * is inferred (`3` an id, `1.2.3.4` or `::1` an IP, anything else a name; quote a name with
 * spaces). Use the explicit form for a player named like a number or an IP.
 *
 * @example
 * ```ts
 * import { parsePlayerSelector } from "@ghosting/server";
 *
 * console.log(parsePlayerSelector(["Some Player"])); // { name: "Some Player", explicit: false }
 * console.log(parsePlayerSelector(["name", "42"])); // { name: "42", explicit: true }
 * ```
 *
 * @throws {CommandError} when the words are missing or malformed
 */
export function parsePlayerSelector(words: readonly string[] | WordSource): PlayerSelector {
  const source = Array.isArray(words) ? listSource(words) : words as WordSource;
  const first = source.next();
  if (first === undefined) {
    throw new CommandError("Missing player: give an id, a name, an IP, or name|id|ip <value>");
  }
  const kind = first.toLowerCase();
  if ((KINDS as readonly string[]).includes(kind) && source.peek() !== undefined) {
    return selectorOf(kind, source.next()!, true);
  }
  return inferSelector(first);
}

function listSource(words: readonly string[]): WordSource {
  let at = 0;
  return {
    peek: () => words[at],
    next: () => words[at++],
    rest: () => words.slice(at).join(" "),
    done: () => at >= words.length,
  };
}

/**
 * A player selector from JSON (an HTTP body): a number is an id, a string is inferred like a
 * console word, `{ "id": 3 }`, `{ "name": "…" }` or `{ "ip": "…" }` is explicit.
 *
 * @example
 * ```ts
 * import { playerSelectorFromJson } from "@ghosting/server";
 *
 * console.log(playerSelectorFromJson({ name: "Alice" })); // { name: "Alice", explicit: true }
 * console.log(playerSelectorFromJson(3)); // { id: 3, explicit: false }
 * ```
 *
 * @throws {CommandError} for any other value
 */
export function playerSelectorFromJson(value: unknown): PlayerSelector {
  if (typeof value === "number") return selectorOf("id", String(value), false);
  if (typeof value === "string") return inferSelector(value);
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const entries = Object.entries(value);
    if (entries.length === 1) {
      const [kind, inner] = entries[0];
      if ((KINDS as readonly string[]).includes(kind)) {
        if (kind === "id" && typeof inner === "number") {
          return selectorOf("id", String(inner), true);
        }
        if (typeof inner === "string") return selectorOf(kind, inner, true);
      }
    }
  }
  throw new CommandError(
    'A player is a number (id), a string, or one of {"id": n}, {"name": "…"}, {"ip": "…"}',
  );
}

/** Text naming a selector in messages: `id 3`, `name 'Alice'`, `IP 1.2.3.4`. */
export function describeSelector(selector: PlayerSelector): string {
  if ("id" in selector) return `id ${selector.id}`;
  if ("name" in selector) return `name '${selector.name}'`;
  return `IP ${selector.ip}`;
}

/**
 * The connected clients a selector means. A name matches exactly (case matters, as in the
 * C++ server); an inferred name that matches nobody exactly may match one player ignoring case.
 *
 * @param several `"all"` returns every match (the C++ `kick name`/`ban name` behaviour);
 *   `"one"` wants exactly one and names the candidates otherwise
 * @param field the argument the selector came from, named in the error for an API
 * @throws {CommandError} when nobody matches, or several do and `several` is `"one"`
 */
export function resolvePlayers(
  server: Pick<GhostServer, "clients">,
  selector: PlayerSelector,
  several: "one" | "all",
  field = "player",
): ClientInfo[] {
  const clients = server.clients();
  let matches: ClientInfo[];
  if ("id" in selector) {
    matches = clients.filter((client) => client.id === selector.id);
    if (matches.length === 0) {
      const hint = selector.explicit
        ? ""
        : ` (for a player named '${selector.id}', use: name ${selector.id})`;
      throw new CommandError(`No player with id ${selector.id}${hint}`, { field });
    }
  } else if ("ip" in selector) {
    matches = clients.filter((client) => client.ip === selector.ip);
    if (matches.length === 0) throw new CommandError(`No player with IP ${selector.ip}`, { field });
  } else {
    matches = clients.filter((client) => client.name === selector.name);
    if (matches.length === 0 && !selector.explicit) {
      const folded = selector.name.toLowerCase();
      matches = clients.filter((client) => client.name.toLowerCase() === folded);
    }
    if (matches.length === 0) {
      throw new CommandError(`No player named '${selector.name}'`, { field });
    }
  }
  if (several === "one" && matches.length > 1) {
    const ids = matches.map((client) => `${client.id} (${client.name})`).join(", ");
    throw new CommandError(
      `${matches.length} players match ${
        describeSelector(selector)
      }: ${ids}; choose one with: id <n>`,
      { field },
    );
  }
  return matches;
}

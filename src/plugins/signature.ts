/**
 * Command signatures of plugin commands: `dm <player> <message...>`, `countdown [seconds:int]`.
 * Pure: the `@command` decorator checks a signature when the class is defined.
 *
 * @module
 */

/**
 * What one parameter of a command signature takes.
 *
 * - `player`: a connected client, by id or exact name (`<player>` or `<target:player>`);
 * - `int`: a whole number (`<seconds:int>`);
 * - `string`: one word, or with `...` the rest of the line.
 *
 * @example
 * ```ts
 * import type { ParamKind } from "@ghosting/server/plugin";
 *
 * const kinds: ParamKind[] = ["string", "player", "int"];
 * console.log(kinds.length); // 3
 * ```
 */
export type ParamKind = "string" | "player" | "int";

/**
 * One parameter of a parsed signature.
 *
 * @example
 * ```ts
 * import { parseSignature, type SignatureParam } from "@ghosting/server/plugin";
 *
 * const message: SignatureParam = parseSignature("dm <player> <message...>").params[1];
 * console.log(message); // { name: "message", kind: "string", optional: false, rest: true }
 * ```
 */
export interface SignatureParam {
  /** The name between the brackets. */
  name: string;
  /** What it takes. */
  kind: ParamKind;
  /** Written `[x]`: may be left out. */
  optional: boolean;
  /** Written `x...`: takes the rest of the line; only the last parameter may. */
  rest: boolean;
}

/**
 * A parsed signature: the command's name and its parameters in order.
 *
 * @example
 * ```ts
 * import { parseSignature, type Signature } from "@ghosting/server/plugin";
 *
 * const signature: Signature = parseSignature("ping");
 * console.log(signature); // { name: "ping", params: [] }
 * ```
 */
export interface Signature {
  /** The command word: lower case letters, digits, `_` or `-`, starting with a letter. */
  name: string;
  /** Its parameters. */
  params: SignatureParam[];
}

const NAME = /^[a-z][a-z0-9_-]*$/;
const PARAM = /^(<|\[)([A-Za-z_][A-Za-z0-9_]*)(?::(string|player|int))?(\.\.\.|…)?(>|\])$/;

/**
 * Parses a command signature: a name, then `<required>`, `[optional]` and a last `<rest...>`
 * parameter. A parameter named `player` takes a player; `:player`, `:int` and `:string` name
 * a kind explicitly.
 *
 * @example
 * ```ts
 * import { parseSignature } from "@ghosting/server/plugin";
 *
 * const { name, params } = parseSignature("dm <player> <message...>");
 * console.log(name, params.map((p) => `${p.name}:${p.kind}`)); // dm [ "player:player", "message:string" ]
 * ```
 *
 * @throws {TypeError} for a malformed signature, naming the part that is wrong
 */
export function parseSignature(signature: string): Signature {
  if (typeof signature !== "string") throw new TypeError("A command signature must be a string");
  const [name, ...words] = signature.trim().split(/\s+/);
  if (!name || !NAME.test(name)) {
    throw new TypeError(
      `Command signature "${signature}" must start with a name of lower case letters, digits, _ or -`,
    );
  }
  const params: SignatureParam[] = [];
  const seen = new Set<string>();
  for (const word of words) {
    const match = PARAM.exec(word);
    if (!match || (match[1] === "<") !== (match[5] === ">")) {
      throw new TypeError(
        `Command signature "${signature}": "${word}" must be <name>, [name], <name...> or <name:kind>`,
      );
    }
    const [, open, paramName, explicit, dots] = match;
    if (seen.has(paramName)) {
      throw new TypeError(`Command signature "${signature}" names "${paramName}" twice`);
    }
    seen.add(paramName);
    const rest = dots !== undefined;
    const kind: ParamKind = (explicit as ParamKind | undefined) ??
      (paramName === "player" ? "player" : "string");
    if (rest && kind !== "string") {
      throw new TypeError(`Command signature "${signature}": only text can take the rest (...)`);
    }
    const optional = open === "[";
    const previous = params.at(-1);
    if (previous?.rest) {
      throw new TypeError(`Command signature "${signature}": "${previous.name}..." must be last`);
    }
    if (!optional && previous?.optional) {
      throw new TypeError(
        `Command signature "${signature}": required "${paramName}" follows an optional one`,
      );
    }
    params.push({ name: paramName, kind, optional, rest });
  }
  return { name, params };
}

/**
 * Tab completion for console lines: command names, sub-commands, choices and the names and
 * ids of connected players, all read from the command table and the server.
 *
 * @module
 */
import type { ArgSpec, Command } from "../admin/command.ts";
import type { CommandTable } from "../admin/table.ts";
import type { GhostServer } from "../server/server.ts";

/** Quotes a completion that contains spaces or quotes, as the tokenizer reads it back. */
function quote(word: string): string {
  return /[\s"'\\]/.test(word) ? `"${word.replace(/["\\]/g, (c) => `\\${c}`)}"` : word;
}

function playerWords(server: GhostServer, kind?: string): string[] {
  const clients = server.clients();
  if (kind === "id") return clients.map((c) => String(c.id));
  if (kind === "ip") return [...new Set(clients.map((c) => c.ip))];
  const names = clients.map((c) => quote(c.name));
  return kind === "name" ? names : [...names, "name", "id", "ip"];
}

function candidatesFor(
  spec: ArgSpec | undefined,
  server: GhostServer,
  previous?: string,
): string[] {
  if (!spec) return [];
  switch (spec.type) {
    case "choice":
      return [...spec.choices];
    case "player":
      return playerWords(server, previous);
    case "ip":
      return [...new Set(server.bannedIps())];
    default:
      return [];
  }
}

/**
 * Completions of the last word of `line` (readline's completer result: the candidates and
 * the word they complete).
 *
 * @example
 * ```ts
 * import { createCommandTable, GhostServer } from "../../mod.ts";
 * import { completeLine } from "./complete.ts";
 *
 * const [candidates] = completeLine(createCommandTable(), new GhostServer(), "countdown st");
 * console.log(candidates); // ["start"]
 * ```
 */
export function completeLine(
  table: CommandTable,
  server: GhostServer,
  line: string,
): [string[], string] {
  const words = line.trimStart().split(/\s+/);
  const current = words.pop() ?? "";
  const match = (candidates: Iterable<string>) => {
    // A quoted candidate ("Bob Smith") matches what was typed with or without its quote.
    const bare = (word: string) => word.replace(/^"/, "").toLowerCase();
    const typed = bare(current);
    const hits = [...new Set(candidates)].filter((c) => bare(c).startsWith(typed));
    return [hits.sort(), current] as [string[], string];
  };
  if (words.length === 0) return match(table.commands().map((c) => c.name));
  let command: Command | undefined = table.get(words[0]);
  let at = 1;
  while (command && at < words.length) {
    const sub: Command | undefined = command.subcommands?.find((s) =>
      s.name === words[at].toLowerCase()
    );
    if (!sub) break;
    command = sub;
    at++;
  }
  if (!command) return [[], current];
  const argWords = words.slice(at);
  const candidates: string[] = [];
  if (argWords.length === 0) candidates.push(...(command.subcommands ?? []).map((s) => s.name));
  const args = command.args ?? [];
  // Which argument the current word belongs to; a player may take two words (`name Alice`).
  let index = 0;
  let previous: string | undefined;
  for (let i = 0; i < argWords.length && index < args.length; i++) {
    const spec = args[index];
    if (spec.type === "string" && spec.rest) break; // it takes the rest of the line
    const keyword = argWords[i].toLowerCase();
    if (spec.type === "player" && ["name", "id", "ip"].includes(keyword)) {
      if (i === argWords.length - 1) {
        previous = keyword;
        break;
      }
      i++; // the keyword's value
    }
    index++;
  }
  candidates.push(...candidatesFor(args[index], server, previous));
  return match(candidates);
}

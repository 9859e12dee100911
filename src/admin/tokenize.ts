/**
 * Splitting a console line into words: whitespace separates, quotes group, backslashes escape.
 *
 * @module
 */
import { CommandError } from "./command_error.ts";

/** One word of a line, with where it starts in the line (so a command can take the raw rest). */
export interface Token {
  /** The word, quotes removed and escapes resolved. */
  text: string;
  /** Index of its first character in the line. */
  start: number;
}

/** Where an argument parser reads words from: a console line, or a list of words. */
export interface WordSource {
  /** The next word, without consuming it. */
  peek(): string | undefined;
  /** Consumes and returns the next word. */
  next(): string | undefined;
  /** Consumes everything left and returns it as typed (raw: quotes and spacing kept). */
  rest(): string;
  /** Whether no word is left; unlike `peek`, never reads (so never fails on) the next word. */
  done(): boolean;
}

const SPACE = /\s/;

/**
 * Reads words from a line lazily, so that a command taking "the rest of the line" gets it raw
 * (an unbalanced quote in a countdown command is then the command's text, not an error).
 */
export class LineLexer implements WordSource {
  readonly #line: string;
  #at = 0;
  #peeked: Token | undefined;

  constructor(line: string) {
    this.#line = line;
  }

  peek(): string | undefined {
    this.#peeked ??= this.#read();
    return this.#peeked?.text;
  }

  next(): string | undefined {
    const token = this.#peeked ?? this.#read();
    this.#peeked = undefined;
    return token?.text;
  }

  done(): boolean {
    if (this.#peeked) return false;
    return this.#line.slice(this.#at).trim().length === 0;
  }

  rest(): string {
    const start = this.#peeked?.start ?? this.#at;
    this.#peeked = undefined;
    this.#at = this.#line.length;
    return this.#line.slice(start).trim();
  }

  /** Reads one token: `"…"` (with `\"` and `\\`), `'…'` (literal), `\x` outside quotes. */
  #read(): Token | undefined {
    const line = this.#line;
    let i = this.#at;
    while (i < line.length && SPACE.test(line[i])) i++;
    if (i >= line.length) {
      this.#at = i;
      return undefined;
    }
    const start = i;
    let text = "";
    while (i < line.length && !SPACE.test(line[i])) {
      const c = line[i];
      if (c === '"' || c === "'") {
        const close = c;
        i++;
        let closed = false;
        while (i < line.length) {
          if (line[i] === close) {
            closed = true;
            i++;
            break;
          }
          if (close === '"' && line[i] === "\\" && i + 1 < line.length) i++;
          text += line[i++];
        }
        if (!closed) throw new CommandError(`Unterminated ${close} quote at column ${start + 1}`);
      } else if (c === "\\" && i + 1 < line.length) {
        text += line[i + 1];
        i += 2;
      } else {
        text += c;
        i++;
      }
    }
    this.#at = i;
    return { text, start };
  }
}

/** Words already split (an HTTP query, a plugin's call); the rest is the words joined by spaces. */
export class WordListSource implements WordSource {
  readonly #words: readonly string[];
  #at = 0;

  constructor(words: readonly string[]) {
    this.#words = words;
  }

  peek(): string | undefined {
    return this.#words[this.#at];
  }

  next(): string | undefined {
    return this.#words[this.#at++];
  }

  done(): boolean {
    return this.#at >= this.#words.length;
  }

  rest(): string {
    const rest = this.#words.slice(this.#at).join(" ");
    this.#at = this.#words.length;
    return rest.trim();
  }
}

/**
 * Splits a console line into words: whitespace separates; `"…"` groups (with `\"` and `\\`
 * inside), `'…'` groups literally, and a backslash outside quotes escapes the next character.
 *
 * @example
 * ```ts
 * import { tokenize } from "@ghosting/server";
 *
 * console.log(tokenize('kick name "Some Player"')); // ["kick", "name", "Some Player"]
 * console.log(tokenize("say it\\'s 'a b'")); // ["say", "it's", "a b"]
 * ```
 *
 * @throws {CommandError} for a quote that is never closed
 */
export function tokenize(line: string): string[] {
  const lexer = new LineLexer(line);
  const words: string[] = [];
  for (let word = lexer.next(); word !== undefined; word = lexer.next()) words.push(word);
  return words;
}

/**
 * SFML strings are bytes (docs/protocol.md §1): SAR sends whatever the game holds, normally UTF-8,
 * and the C++ server stores and forwards those bytes untouched. Decoding them as plain UTF-8
 * would replace invalid sequences with U+FFFD and change the bytes later clients receive, and
 * could make two different map names compare equal. So decoding is lossless: valid UTF-8 reads
 * as usual, and each byte of an invalid sequence becomes a lone surrogate U+DC80–U+DCFF (the
 * "surrogateescape" scheme), which encoding turns back into that byte.
 *
 * @module
 */

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const utf8 = new TextEncoder();

/** Code unit standing for byte `b` of an invalid sequence. */
const ESCAPE_BASE = 0xdc00;

/**
 * Decodes string bytes: UTF-8, with each byte of an invalid sequence escaped as U+DC80–U+DCFF
 * so that {@linkcode encodeText} restores it.
 *
 * @example
 * ```ts
 * import { decodeText, encodeText } from "@ghosting/server";
 *
 * const name = decodeText(new Uint8Array([0x5a, 0x6f, 0xeb])); // "Zo" + Latin-1 "ë": not UTF-8
 * console.log(name === "Zo\udceb"); // true
 * console.log(encodeText(name)); // Uint8Array(3) [ 90, 111, 235 ]
 * ```
 */
export function decodeText(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return decodeEscaping(bytes);
  }
}

/**
 * Encodes a string to its bytes: UTF-8, with the escaped bytes of {@linkcode decodeText}
 * restored.
 *
 * @example
 * ```ts
 * import { encodeText } from "@ghosting/server";
 *
 * console.log(encodeText("Zoë").length); // 4: bytes, not UTF-16 units
 * ```
 */
export function encodeText(text: string): Uint8Array {
  return hasEscapes(text) ? encodeEscaping(text) : utf8.encode(text);
}

/** Length of the valid UTF-8 sequence at `at`, or 0 when the byte there starts none. */
function sequenceLength(bytes: Uint8Array, at: number): number {
  const lead = bytes[at];
  if (lead < 0x80) return 1;
  let length: number;
  let min: number; // the smallest code point this length may encode (no overlong forms)
  if (lead >= 0xc2 && lead <= 0xdf) [length, min] = [2, 0x80];
  else if (lead >= 0xe0 && lead <= 0xef) [length, min] = [3, 0x800];
  else if (lead >= 0xf0 && lead <= 0xf4) [length, min] = [4, 0x10000];
  else return 0;
  if (at + length > bytes.length) return 0;
  let point = lead & (0x7f >> length);
  for (let i = 1; i < length; i++) {
    const next = bytes[at + i];
    if ((next & 0xc0) !== 0x80) return 0;
    point = (point << 6) | (next & 0x3f);
  }
  if (point < min || point > 0x10ffff || (point >= 0xd800 && point <= 0xdfff)) return 0;
  return length;
}

function decodeEscaping(bytes: Uint8Array): string {
  let text = "";
  let at = 0;
  while (at < bytes.length) {
    const length = sequenceLength(bytes, at);
    if (length === 0) {
      text += String.fromCharCode(ESCAPE_BASE + bytes[at]);
      at++;
    } else {
      text += strictUtf8.decode(bytes.subarray(at, at + length));
      at += length;
    }
  }
  return text;
}

function isEscape(text: string, index: number): boolean {
  const unit = text.charCodeAt(index);
  if (unit < ESCAPE_BASE + 0x80 || unit > ESCAPE_BASE + 0xff) return false;
  // Only a lone low surrogate is an escape; after a high surrogate it is half of a character.
  const previous = index > 0 ? text.charCodeAt(index - 1) : 0;
  return !(previous >= 0xd800 && previous <= 0xdbff);
}

function hasEscapes(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (isEscape(text, i)) return true;
  return false;
}

function encodeEscaping(text: string): Uint8Array {
  const parts: number[] = [];
  let start = 0;
  const flush = (end: number) => {
    if (end > start) parts.push(...utf8.encode(text.slice(start, end)));
  };
  for (let i = 0; i < text.length; i++) {
    if (!isEscape(text, i)) continue;
    flush(i);
    parts.push(text.charCodeAt(i) - ESCAPE_BASE);
    start = i + 1;
  }
  flush(text.length);
  return new Uint8Array(parts);
}

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
  // A well-formed string has no lone surrogate, hence no escape: one native call does it all.
  return text.isWellFormed() ? utf8.encode(text) : encodeEscaping(text);
}

/**
 * Length of the valid UTF-8 sequence at `at`, or 0 when the byte there starts none. Reads at
 * most four bytes, so scanning a whole string with it is linear.
 */
function sequenceLength(bytes: Uint8Array, at: number): number {
  const lead = bytes[at];
  if (lead < 0x80) return 1;
  let length: number;
  let min: number; // the smallest code point this length may encode (no overlong forms)
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
    min = 0x80;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    min = 0x800;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    min = 0x10000;
  } else {
    return 0;
  }
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

/** Valid runs at least this long are decoded natively; shorter ones are cheaper by hand. */
const NATIVE_RUN_BYTES = 64;
/** Code units passed to one `String.fromCharCode` call: bounds the stack it needs. */
const UNIT_CHUNK = 4096;

/**
 * The slow path, linear in the length and with constant stack. Each byte is looked at a bounded
 * number of times: long valid runs are decoded by one native call each (a view, not a copy);
 * short runs and escapes are written as UTF-16 code units by hand and turned into strings a
 * chunk at a time. (Retrying the strict decoder after each invalid byte, as an earlier version
 * did, is quadratic, and one native call per short run costs microseconds per byte.)
 */
function decodeEscaping(bytes: Uint8Array): string {
  const parts: string[] = [];
  const units = new Uint16Array(UNIT_CHUNK);
  let count = 0;
  const flushUnits = () => {
    if (count === 0) return;
    parts.push(String.fromCharCode.apply(null, units.subarray(0, count) as unknown as number[]));
    count = 0;
  };
  const pushUnit = (unit: number) => {
    if (count === UNIT_CHUNK) flushUnits();
    units[count++] = unit;
  };
  let at = 0;
  while (at < bytes.length) {
    const runStart = at;
    for (let length; at < bytes.length && (length = sequenceLength(bytes, at)) !== 0;) {
      at += length;
    }
    if (at - runStart >= NATIVE_RUN_BYTES) {
      flushUnits();
      parts.push(strictUtf8.decode(bytes.subarray(runStart, at)));
    } else {
      for (let i = runStart; i < at;) {
        const length = sequenceLength(bytes, i);
        let point = length === 1 ? bytes[i] : bytes[i] & (0x7f >> length);
        for (let k = 1; k < length; k++) point = (point << 6) | (bytes[i + k] & 0x3f);
        if (point >= 0x10000) {
          pushUnit(0xd800 + ((point - 0x10000) >> 10));
          pushUnit(0xdc00 + ((point - 0x10000) & 0x3ff));
        } else {
          pushUnit(point);
        }
        i += length;
      }
    }
    if (at < bytes.length) pushUnit(ESCAPE_BASE + bytes[at++]);
  }
  flushUnits();
  return parts.join("");
}

function isEscape(text: string, index: number): boolean {
  const unit = text.charCodeAt(index);
  if (unit < ESCAPE_BASE + 0x80 || unit > ESCAPE_BASE + 0xff) return false;
  // Only a lone low surrogate is an escape; after a high surrogate it is half of a character.
  const previous = index > 0 ? text.charCodeAt(index - 1) : 0;
  return !(previous >= 0xd800 && previous <= 0xdbff);
}

/**
 * The slow path, linear in the length and with constant stack: one pass writes every code
 * unit into a buffer sized for the worst case (three bytes per UTF-16 unit). Only strings
 * with lone surrogates get here: an escape writes its byte; any other lone surrogate writes
 * U+FFFD, as `TextEncoder` does.
 */
function encodeEscaping(text: string): Uint8Array {
  const buffer = new Uint8Array(text.length * 3);
  let written = 0;
  for (let i = 0; i < text.length; i++) {
    let point = text.charCodeAt(i);
    if (point < 0x80) {
      buffer[written++] = point;
      continue;
    }
    if (point >= 0xd800 && point <= 0xdfff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (point <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        point = 0x10000 + ((point - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else if (isEscape(text, i)) {
        buffer[written++] = point - ESCAPE_BASE;
        continue;
      } else {
        point = 0xfffd;
      }
    }
    if (point < 0x800) {
      buffer[written++] = 0xc0 | (point >> 6);
    } else if (point < 0x10000) {
      buffer[written++] = 0xe0 | (point >> 12);
      buffer[written++] = 0x80 | ((point >> 6) & 0x3f);
    } else {
      buffer[written++] = 0xf0 | (point >> 18);
      buffer[written++] = 0x80 | ((point >> 12) & 0x3f);
      buffer[written++] = 0x80 | ((point >> 6) & 0x3f);
    }
    buffer[written++] = 0x80 | (point & 0x3f);
  }
  return buffer.slice(0, written);
}

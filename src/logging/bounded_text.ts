/**
 * Player-supplied text as log lines show it: bounded in length, with its full size noted, and
 * with nothing in it that a terminal or a log reader would take for structure.
 *
 * @module
 */

/** Control characters (C0, DEL, C1) and lone surrogates (the invalid bytes of decodeText). */
// deno-lint-ignore no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f]|\p{Cs}/gu;
/** Code units below which nothing needs escaping, checked before running the regex. */
const SAFE_HINT = /^[\u0020-\u007e]*$/;

function escapeUnit(match: string): string {
  const unit = match.charCodeAt(0);
  if (unit === 0x0a) return "\\n";
  if (unit === 0x0d) return "\\r";
  if (unit === 0x09) return "\\t";
  // An escaped invalid byte (U+DC80–U+DCFF) shows as the byte it stands for.
  const value = unit >= 0xdc80 && unit <= 0xdcff ? unit - 0xdc00 : unit;
  return value <= 0xff
    ? `\\x${value.toString(16).padStart(2, "0")}`
    : `\\u${value.toString(16).padStart(4, "0")}`;
}

/**
 * Bytes `text` takes on the wire (UTF-8, an escaped invalid byte being one byte), computed
 * without encoding it.
 */
export function wireBytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else if (unit >= 0xdc80 && unit <= 0xdcff) bytes += 1;
    else bytes += 3;
  }
  return bytes;
}

/** Characters kept from the end of cut text: where `who` keeps the address of a long name. */
const KEPT_TAIL_CHARS = 32;

/**
 * `text` cut to about `maxChars` UTF-16 units, with control characters and invalid bytes
 * escaped (`\n`, `\x1b`, `\xff`) so that a name cannot start a fake log line or drive a
 * terminal. Cut text keeps its start and its last few characters (so `name @ address` still
 * shows the address) and notes its full size: `aaaa…aaaa (65000 bytes)`. The cost is linear in
 * `maxChars`, plus one pass over the text to count its bytes when it is cut.
 */
export function boundText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return escape(text);
  const tailChars = Math.min(KEPT_TAIL_CHARS, Math.floor(maxChars / 4));
  let head = text.slice(0, maxChars - tailChars);
  let tail = text.slice(text.length - tailChars);
  // Never leave half of a surrogate pair at either cut.
  if (/[\ud800-\udbff]$/.test(head)) head = head.slice(0, -1);
  if (/^[\udc00-\udfff]/.test(tail)) tail = tail.slice(1);
  return `${escape(head)}…${escape(tail)} (${wireBytes(text)} bytes)`;
}

function escape(text: string): string {
  return SAFE_HINT.test(text) ? text : text.replace(UNSAFE, escapeUnit);
}

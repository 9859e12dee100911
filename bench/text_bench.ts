/**
 * Decoding and encoding protocol strings, valid and not (docs/protocol.md §1): both must be
 * linear in the length, so that a 65 000-byte string with an invalid byte costs about what a
 * valid one does. Run with `deno task bench`.
 */
import { decodeText, encodeText } from "../src/protocol/mod.ts";

const LENGTH = 65_000;
const valid = new TextEncoder().encode("Zoë 👻 ".repeat(LENGTH)).subarray(0, LENGTH);
// Cut on a character boundary so that "valid" is valid.
while ((valid[valid.length - 1] & 0xc0) === 0x80 || valid[valid.length - 1] >= 0xc0) {
  valid[valid.length - 1] = 0x20;
}
/** One invalid byte in the middle: the case that once cost ~560× a valid string. */
const oneInvalid = valid.slice();
oneInvalid[LENGTH >> 1] = 0xff;
/** Every other byte invalid: the most escapes a string can hold between valid runs. */
const halfInvalid = new Uint8Array(LENGTH);
for (let i = 0; i < LENGTH; i++) halfInvalid[i] = i % 2 === 0 ? 0x61 : 0xff;

const cases = [
  ["valid UTF-8", valid],
  ["one invalid byte", oneInvalid],
  ["every other byte invalid", halfInvalid],
] as const;

for (const [label, bytes] of cases) {
  Deno.bench({
    name: `decodeText: ${LENGTH} bytes, ${label}`,
    group: `decode ${LENGTH}`,
    baseline: label === "valid UTF-8",
    fn: () => void decodeText(bytes),
  });
}
for (const [label, bytes] of cases) {
  const text = decodeText(bytes);
  Deno.bench({
    name: `encodeText: ${LENGTH} bytes, ${label}`,
    group: `encode ${LENGTH}`,
    baseline: label === "valid UTF-8",
    fn: () => void encodeText(text),
  });
}

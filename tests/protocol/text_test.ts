/** Strings are bytes: decoding and encoding round-trip any byte sequence (docs/protocol.md §1). */
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeText, encodeText } from "../../src/protocol/mod.ts";

Deno.test("property: any bytes decode to a string that encodes back to the same bytes", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      assert.deepStrictEqual(encodeText(decodeText(bytes)), bytes);
    }),
    { numRuns: 5000 },
  );
});

Deno.test("property: well-formed strings encode to UTF-8 and decode back", () => {
  fc.assert(fc.property(fc.string({ unit: "grapheme", maxLength: 40 }), (text) => {
    const bytes = encodeText(text);
    assert.deepStrictEqual(bytes, new TextEncoder().encode(text));
    assert.equal(decodeText(bytes), text);
  }));
});

Deno.test("valid UTF-8 decodes as usual, invalid bytes are escaped one by one", () => {
  assert.equal(decodeText(new TextEncoder().encode("Zoë 👻")), "Zoë 👻");
  assert.equal(decodeText(new Uint8Array([0x41, 0xff, 0x42])), "A\udcffB");
  // Overlong, surrogate and truncated sequences are not UTF-8 either.
  assert.equal(decodeText(new Uint8Array([0xc0, 0x80])), "\udcc0\udc80");
  assert.equal(decodeText(new Uint8Array([0xed, 0xa0, 0x80])), "\udced\udca0\udc80");
  assert.equal(decodeText(new Uint8Array([0xe2, 0x82])), "\udce2\udc82");
});

Deno.test("a low surrogate inside a character is not an escape", () => {
  const astral = "\ud800\udc80"; // U+10080: its second half is in the escape range
  assert.deepStrictEqual(encodeText(astral), new TextEncoder().encode(astral));
});

Deno.test("property: long byte strings round-trip, whatever mix of valid and invalid", () => {
  const chunk = fc.oneof(
    fc.uint8Array({ maxLength: 8 }),
    fc.string({ unit: "grapheme", maxLength: 80 }).map((text) => new TextEncoder().encode(text)),
  );
  fc.assert(
    fc.property(fc.array(chunk, { maxLength: 60 }), (chunks) => {
      const bytes = new Uint8Array(chunks.reduce((sum, part) => sum + part.length, 0));
      let at = 0;
      for (const part of chunks) {
        bytes.set(part, at);
        at += part.length;
      }
      assert.deepStrictEqual(encodeText(decodeText(bytes)), bytes);
    }),
    { numRuns: 500 },
  );
});

Deno.test("a lone surrogate that is no escape encodes as U+FFFD, as TextEncoder does", () => {
  for (const text of ["\ud800", "a\udbffb", "\udc00", "\udd00x", "\udcff\ud800"]) {
    const expected = new TextEncoder().encode(text.replace("\udcff", ""));
    const bytes = encodeText(text);
    assert.deepStrictEqual(bytes.subarray(bytes.length - expected.length), expected, text);
  }
});

Deno.test("a huge string with invalid bytes decodes and encodes without growing the stack", () => {
  // 4 MiB: an encoder that spreads its bytes into a call (as one once did) overflows the stack
  // from about 120 000 bytes, and one that decodes byte by byte takes minutes.
  const bytes = new Uint8Array(4 * 1024 * 1024);
  for (let i = 0; i < bytes.length; i++) bytes[i] = i % 3 === 0 ? 0xff : 0x61 + (i % 26);
  const text = decodeText(bytes);
  assert.equal(text.length, bytes.length);
  assert.deepStrictEqual(encodeText(text), bytes);
  const mostlyValid = new TextEncoder().encode("ë👻a".repeat(500_000));
  mostlyValid[mostlyValid.length >> 1] = 0x80;
  assert.deepStrictEqual(encodeText(decodeText(mostlyValid)), mostlyValid);
});

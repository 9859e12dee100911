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

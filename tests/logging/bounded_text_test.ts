/** Player text in log lines: bounded, size noted, nothing that fakes structure. */
import assert from "node:assert/strict";
import { addressPrefix } from "../../src/logging/address_prefix.ts";
import { boundText, wireBytes } from "../../src/logging/bounded_text.ts";
import { decodeText, encodeText } from "../../src/protocol/mod.ts";

Deno.test("short printable text is logged as it is", () => {
  assert.equal(boundText("Zoë 👻 sp_a1_intro1", 200), "Zoë 👻 sp_a1_intro1");
});

Deno.test("long text keeps its start and end, with its full size in bytes noted", () => {
  const text = "a".repeat(64_990) + "ë".repeat(5); // 65 000 bytes
  assert.equal(boundText(text, 8), "aaaaaa…ëë (65000 bytes)");
  assert.equal(boundText("x".repeat(9), 8), "xxxxxx…xx (9 bytes)");
  assert.equal(boundText("x".repeat(8), 8), "xxxxxxxx");
  // A long name in "name (player) @ address" still shows the address.
  assert.match(
    boundText(`${"n".repeat(60_000)} (player) @ 127.50.0.1`, 200),
    /…n+ \(player\) @ 127\.50\.0\.1 \(60022 bytes\)$/,
  );
  // The cuts never split a surrogate pair.
  assert.equal(boundText("abcde👻fghij", 8), "abcde…ij (14 bytes)");
  assert.equal(boundText("abcdefgh👻i", 8), "abcdef…i (13 bytes)");
});

Deno.test("control characters and invalid bytes are escaped, so no line can be faked", () => {
  assert.equal(
    boundText("me\n2026-01-01 [INF] Connection: admin\r\x1b[2J\t", 200),
    "me\\n2026-01-01 [INF] Connection: admin\\r\\x1b[2J\\t",
  );
  assert.equal(boundText(decodeText(new Uint8Array([0x5a, 0x6f, 0xeb])), 200), "Zo\\xeb");
  assert.equal(boundText("\u0085\u009f\ud800", 200), "\\x85\\x9f\\ud800");
});

Deno.test("wireBytes counts what encodeText would send", () => {
  for (
    const text of ["", "abc", "Zoë", "👻", decodeText(new Uint8Array([0xff, 0x41, 0xc3])), "\ud800"]
  ) {
    assert.equal(wireBytes(text), encodeText(text).length, JSON.stringify(text));
  }
});

Deno.test("addresses group by /16 for IPv4 and /48 for IPv6", () => {
  assert.equal(addressPrefix("127.50.3.4"), "127.50.0.0/16");
  assert.equal(addressPrefix("2001:db8:1:2::7"), "2001:db8:1::/48");
  assert.equal(addressPrefix("2001:db8::1"), "2001:db8::/48");
  assert.equal(addressPrefix("2001:0db8:0000:ffff::"), "2001:db8::/48");
  assert.equal(addressPrefix("::1"), "::/48");
  assert.equal(addressPrefix("fe80:0:0:0:1:2:3:4"), "fe80::/48");
  assert.equal(addressPrefix("not an address"), "not an address");
});

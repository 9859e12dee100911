/** sockaddr bytes for the FFI UDP backend: encoding destinations, formatting sources like Deno. */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  AF_INET,
  AF_INET6,
  encodeSockaddr,
  formatIpv6,
  formatSockaddrHost,
  parseIpv6,
  SOCKADDR_IN6_BYTES,
  sockaddrFamily,
  sockaddrPort,
} from "../../src/net/sockaddr.ts";

function encode(family: typeof AF_INET | typeof AF_INET6, hostname: string, port = 53000) {
  const out = new Uint8Array(SOCKADDR_IN6_BYTES);
  const length = encodeSockaddr(family, hostname, port, out);
  return out.subarray(0, length);
}

Deno.test("encodeSockaddr: IPv4 for an IPv4 socket is a sockaddr_in", () => {
  assert.deepEqual(
    [...encode(AF_INET, "192.168.1.20", 0x1234)],
    [2, 0, 0x12, 0x34, 192, 168, 1, 20, 0, 0, 0, 0, 0, 0, 0, 0],
  );
});

Deno.test("encodeSockaddr: IPv4 for an IPv6 socket is IPv4-mapped", () => {
  const bytes = encode(AF_INET6, "10.0.0.7", 27015);
  assert.equal(bytes.length, 28);
  assert.equal(sockaddrFamily(bytes), AF_INET6);
  assert.equal(sockaddrPort(bytes), 27015);
  assert.deepEqual([...bytes.subarray(8, 24)], [
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    255,
    255,
    10,
    0,
    0,
    7,
  ]);
  assert.deepEqual([...bytes.subarray(4, 8)], [0, 0, 0, 0], "flowinfo");
  assert.deepEqual([...bytes.subarray(24, 28)], [0, 0, 0, 0], "scope id");
  assert.equal(formatSockaddrHost(bytes), "::ffff:10.0.0.7");
});

Deno.test("encodeSockaddr: a mapped address reaches an IPv4 socket as plain IPv4", () => {
  assert.deepEqual([...encode(AF_INET, "::FFFF:127.0.0.2", 80)], [
    ...encode(AF_INET, "127.0.0.2", 80),
  ]);
  assert.deepEqual(
    [...encode(AF_INET, "::ffff:7f00:2", 80)],
    [...encode(AF_INET, "127.0.0.2", 80)],
  );
});

Deno.test("encodeSockaddr: what a socket cannot reach encodes to nothing", () => {
  assert.equal(encode(AF_INET, "::1").length, 0);
  assert.equal(encode(AF_INET, "2001:db8::1").length, 0);
  for (const family of [AF_INET, AF_INET6] as const) {
    for (
      const text of [
        "localhost",
        "",
        "1.2.3",
        "256.1.1.1",
        "01.2.3.4",
        "fe80::1%eth0",
        ":::",
        "1::2::3",
      ]
    ) {
      assert.equal(encode(family, text).length, 0, `${text} on family ${family}`);
    }
  }
});

Deno.test("encodeSockaddr: refuses a bad port or a short buffer", () => {
  for (const port of [-1, 65536, 1.5, NaN]) {
    assert.throws(() => encode(AF_INET, "127.0.0.1", port), RangeError);
  }
  assert.throws(() => encodeSockaddr(AF_INET6, "::1", 1, new Uint8Array(16)), RangeError);
});

Deno.test("parseIpv6: the literal forms, and what is not one", () => {
  assert.deepEqual(parseIpv6("::"), [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(parseIpv6("::1"), [0, 0, 0, 0, 0, 0, 0, 1]);
  assert.deepEqual(parseIpv6("1::"), [1, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(parseIpv6("2001:DB8::8:800:200C:417A"), [
    0x2001,
    0xdb8,
    0,
    0,
    0x8,
    0x800,
    0x200c,
    0x417a,
  ]);
  assert.deepEqual(parseIpv6("::ffff:1.2.3.4"), [0, 0, 0, 0, 0, 0xffff, 0x102, 0x304]);
  assert.deepEqual(parseIpv6("1:2:3:4:5:6:7:8"), [1, 2, 3, 4, 5, 6, 7, 8]);
  for (const text of ["1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1:2:3:4::5:6:7:8", "12345::", "::g"]) {
    assert.equal(parseIpv6(text), undefined, text);
  }
  assert.equal(parseIpv6("1.2.3.4::"), undefined, "a dotted quad only at the end");
});

Deno.test("formatSockaddrHost: text as Rust (Deno) formats it", () => {
  const cases: [string, string][] = [
    ["127.0.0.1", "::ffff:127.0.0.1"],
    ["::", "::"],
    ["::1", "::1"],
    ["1::", "1::"],
    ["2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"], // first longest run
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"], // one zero group stays
    ["2001:db8:0:0:1:0:0:0", "2001:db8:0:0:1::"], // the longer run wins
    ["::1.2.3.4", "::102:304"], // Rust dropped the IPv4-compatible form
    ["FE80::ABCD", "fe80::abcd"],
  ];
  for (const [input, expected] of cases) {
    assert.equal(formatSockaddrHost(encode(AF_INET6, input)), expected, input);
  }
  assert.equal(formatSockaddrHost(encode(AF_INET, "203.0.113.9")), "203.0.113.9");
  assert.throws(() => formatSockaddrHost(new Uint8Array(28)), RangeError);
});

Deno.test("formatIpv6 agrees with the WHATWG serializer and parses back", () => {
  // Zeros are likely, so compression choices get exercised.
  const group = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
  const notMapped = fc.array(group, { minLength: 8, maxLength: 8 }).filter((g) =>
    !(g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff)
  );
  fc.assert(
    fc.property(notMapped, (groups) => {
      const text = formatIpv6(groups);
      assert.equal(text, new URL(`http://[${text}]/`).hostname.slice(1, -1));
      const canonical = new URL(`http://[${groups.map((g) => g.toString(16)).join(":")}]/`);
      assert.equal(text, canonical.hostname.slice(1, -1));
      assert.deepEqual(parseIpv6(text), groups);
    }),
    { numRuns: 500 },
  );
});

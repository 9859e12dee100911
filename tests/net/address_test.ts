import assert from "node:assert/strict";
import { normalizeIp, parseIp } from "../../src/net/address.ts";

Deno.test("normalizeIp keeps IPv4 text, unmaps IPv4-mapped IPv6 and lower-cases IPv6", () => {
  assert.equal(normalizeIp("127.0.0.1"), "127.0.0.1");
  assert.equal(normalizeIp("::ffff:10.1.2.3"), "10.1.2.3");
  assert.equal(normalizeIp("::FFFF:10.1.2.3"), "10.1.2.3");
  assert.equal(normalizeIp("2001:DB8::1"), "2001:db8::1");
  assert.equal(normalizeIp("::ffff:not-an-ip"), "::ffff:not-an-ip");
});

Deno.test("parseIp accepts IP literals only, in canonical form", () => {
  assert.equal(parseIp(" 10.0.0.1 "), "10.0.0.1");
  assert.equal(parseIp("::ffff:1.2.3.4"), "1.2.3.4");
  assert.equal(parseIp("2001:DB8::0:1"), "2001:db8::1");
  assert.equal(parseIp("1.2.3.256"), undefined);
  assert.equal(parseIp("localhost"), undefined);
});

/**
 * Bad input from one client never harms anyone else (docs/protocol.md §7.4, §7.6, §7.7): partial and
 * huge frames, garbage, impersonation (a reader that stops reading: limits_test.ts).
 */
import assert from "node:assert/strict";
import { encodeClientPacket, encodeFrame, Header, zeroDataGhost } from "../../src/protocol/mod.ts";
import { connectPayload, withServer } from "../helpers/harness.ts";
import type { SarClient } from "../../src/client/sar_client.ts";

/** Ten ticks in a row reach `client` while something else misbehaves. */
async function bulkUpdatesKeepFlowing(
  t: { clock: { advance(ms: number): void } },
  client: SarClient,
) {
  for (let tick = 0; tick < 10; tick++) {
    t.clock.advance(50);
    await client.nextOf(Header.UPDATE, "udp");
  }
}

Deno.test("a client holding half a frame delays nobody's bulk updates or chat", async () => {
  await withServer({}, async (t) => {
    const alice = await t.connect("Alice");
    const bob = await t.connect("Bob");
    const mallory = await t.connect("Mallory", { tcpOnly: true });
    const message = encodeFrame(
      encodeClientPacket({ header: Header.MESSAGE, id: mallory.id, text: "half" }),
    );
    mallory.sendRawTcp(message.subarray(0, 2)); // half of the length prefix
    await bulkUpdatesKeepFlowing(t, alice);
    mallory.sendRawTcp(message.subarray(2, 9)); // prefix and part of the payload
    bob.sendMessage("flowing");
    assert.equal((await alice.nextOf(Header.MESSAGE, "tcp")).packet.text, "flowing");
    await bulkUpdatesKeepFlowing(t, alice);
    mallory.sendRawTcp(message.subarray(9)); // the rest: delivered intact
    assert.equal((await alice.nextOf(Header.MESSAGE, "tcp")).packet.text, "half");
  });
});

Deno.test("a 0xFFFFFFFF length closes that client only; the others go on", async () => {
  await withServer({}, async (t) => {
    const alice = await t.connect("Alice");
    const mallory = await t.connect("Mallory");
    const gone = t.event("disconnect");
    mallory.sendRawTcp(new Uint8Array([0xff, 0xff, 0xff, 0xff, 7]));
    const event = await gone;
    assert.equal(event.reason, "frame_too_large");
    assert.equal((await alice.nextOf(Header.DISCONNECT, "tcp")).packet.id, mallory.id);
    await mallory.closed;
    await bulkUpdatesKeepFlowing(t, alice);
  });
});

Deno.test("a frame one byte over max_frame_bytes closes the connection; one at the limit does not", async () => {
  await withServer({ maxFrameBytes: 1000 }, async (t) => {
    const alice = await t.connect("Alice");
    const mallory = await t.connect("Mallory");
    const text = (n: number) => "x".repeat(n - 9); // MESSAGE = header 1 + id 4 + length 4 + text
    mallory.sendMessage(text(1000));
    assert.equal((await alice.nextOf(Header.MESSAGE, "tcp")).packet.text.length, 991);
    const gone = t.event("disconnect");
    mallory.sendMessage(text(1001));
    assert.equal((await gone).reason, "frame_too_large");
    await mallory.closed;
  });
});

Deno.test("coalesced and split frames after the handshake are handled in order", async () => {
  await withServer({}, async (t) => {
    const alice = await t.connect("Alice");
    const bob = await t.connect("Bob");
    const frames = ["one", "two", "three"].map((text) =>
      encodeFrame(encodeClientPacket({ header: Header.MESSAGE, id: bob.id, text }))
    );
    const stream = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
    let at = 0;
    for (const frame of frames) {
      stream.set(frame, at);
      at += frame.length;
    }
    bob.sendRawTcp(stream); // three frames in one write
    for (const byte of stream) bob.sendRawTcp(new Uint8Array([byte])); // and one byte at a time
    const texts: string[] = [];
    for (let i = 0; i < 6; i++) texts.push((await alice.nextOf(Header.MESSAGE, "tcp")).packet.text);
    assert.deepEqual(texts, ["one", "two", "three", "one", "two", "three"]);
  });
});

Deno.test("TCP impersonation: a packet carrying another client's id is dropped", async () => {
  await withServer({}, async (t) => {
    const alice = await t.connect("Alice");
    const mallory = await t.connect("Mallory");
    await alice.nextOf(Header.CONNECT, "tcp");
    const spoofed = t.event("drop", (e) => e.reason === "spoofed_id");
    mallory.send({ header: Header.MESSAGE, id: alice.id, text: "I am Alice" });
    mallory.send({ header: Header.DISCONNECT, id: alice.id });
    const event = await spoofed;
    assert.equal(event.via, "tcp");
    assert.equal(event.clientId, mallory.id);
    mallory.sendMessage("sentinel");
    const next = await alice.next((r) => r.via === "tcp");
    assert.equal(next.packet.header, Header.MESSAGE);
    assert.equal((next.packet as { text: string }).text, "sentinel");
    assert.equal(t.server.clients().length, 2);
  });
});

Deno.test("truncated and empty packets are dropped; the sender stays connected", async () => {
  await withServer({}, async (t) => {
    const alice = await t.connect("Alice");
    const bob = await t.connect("Bob");
    const reasons: string[] = [];
    t.server.on("drop", (e) => reasons.push(e.reason));
    bob.sendTcpPayload(new Uint8Array());
    bob.sendTcpPayload(new Uint8Array([Header.MESSAGE, 0, 0]));
    bob.sendTcpPayload(
      encodeClientPacket({ header: Header.MESSAGE, id: bob.id, text: "cut" }).subarray(0, 11),
    );
    bob.sendTcpPayload(
      encodeClientPacket({
        header: Header.UPDATE,
        id: bob.id,
        data: zeroDataGhost(),
      }).subarray(0, 20),
    );
    bob.sendTcpPayload(connectPayload("again"));
    bob.sendMessage("sentinel");
    assert.equal((await alice.nextOf(Header.MESSAGE, "tcp")).packet.text, "sentinel");
    assert.deepEqual(reasons, [
      "truncated_packet",
      "truncated_packet",
      "truncated_packet",
      "truncated_packet",
      "unexpected_connect",
    ]);
  });
});

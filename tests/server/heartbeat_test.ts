/** TCP heartbeat every 5 s with the two-miss rule (docs/protocol.md §5.1). */
import assert from "node:assert/strict";
import { encodeClientPacket, Header, zeroDataGhost } from "../../src/protocol/mod.ts";
import { HEARTBEAT_INTERVAL_MS } from "../../src/server/loops.ts";
import { eventually, withServer } from "../helpers/harness.ts";

Deno.test("heartbeats carry the recipient's id and a fresh random token each round", async () => {
  await withServer({}, async (t) => {
    const alice = await t.connect("Alice");
    const tokens: number[] = [];
    for (let round = 0; round < 3; round++) {
      t.clock.advance(HEARTBEAT_INTERVAL_MS);
      const beat = await alice.nextOf(Header.HEART_BEAT, "tcp");
      await alice.ping(); // the automatic answer went out before this PING: it has been handled
      assert.equal(beat.packet.id, alice.id);
      tokens.push(beat.packet.token);
    }
    assert.equal(new Set(tokens).size, 3);
    assert.ok(tokens.every((token) => token !== 0));
    assert.equal(alice.connected, true);
  });
});

Deno.test("a client that leaves two heartbeats unanswered is dropped at the third round", async () => {
  await withServer({}, async (t) => {
    const alice = await t.connect("Alice", { answerHeartbeats: false });
    const bob = await t.connect("Bob");
    const gone = t.event("disconnect");
    t.clock.advance(HEARTBEAT_INTERVAL_MS); // first unanswered
    await alice.nextOf(Header.HEART_BEAT, "tcp");
    await bob.nextOf(Header.HEART_BEAT, "tcp");
    await bob.ping();
    t.clock.advance(HEARTBEAT_INTERVAL_MS); // second unanswered
    await alice.nextOf(Header.HEART_BEAT, "tcp");
    await bob.nextOf(Header.HEART_BEAT, "tcp");
    await bob.ping();
    assert.equal(t.server.clients().length, 2);
    t.clock.advance(HEARTBEAT_INTERVAL_MS); // dropped
    const event = await gone;
    assert.equal(event.reason, "heartbeat_timeout");
    assert.equal(event.client.id, alice.id);
    const notice = await bob.nextOf(Header.DISCONNECT, "tcp");
    assert.equal(notice.packet.id, alice.id);
    // explain_refusals: the dropped client reads why, then the connection closes.
    const why = await alice.nextOf(Header.MESSAGE, "tcp");
    assert.equal(why.packet.id, 0);
    assert.match(why.packet.text, /heartbeat/);
    await alice.closed;
    assert.deepEqual(t.server.clients().map((c) => c.name), ["Bob"]);
  });
});

Deno.test("one missed heartbeat is forgiven when the next one is answered", async () => {
  await withServer({}, async (t) => {
    const alice = await t.connect("Alice", { answerHeartbeats: false });
    t.clock.advance(HEARTBEAT_INTERVAL_MS);
    await alice.nextOf(Header.HEART_BEAT, "tcp");
    alice.answerHeartbeats = true;
    t.clock.advance(HEARTBEAT_INTERVAL_MS);
    await alice.nextOf(Header.HEART_BEAT, "tcp");
    await alice.ping();
    for (let round = 0; round < 3; round++) {
      t.clock.advance(HEARTBEAT_INTERVAL_MS);
      await alice.nextOf(Header.HEART_BEAT, "tcp");
      await alice.ping();
    }
    assert.equal(t.server.clients().length, 1);
  });
});

Deno.test("only the latest token counts: answering an older one does not keep a client", async () => {
  await withServer({}, async (t) => {
    const alice = await t.connect("Alice", { answerHeartbeats: false });
    t.clock.advance(HEARTBEAT_INTERVAL_MS);
    const first = await alice.nextOf(Header.HEART_BEAT, "tcp");
    t.clock.advance(HEARTBEAT_INTERVAL_MS);
    await alice.nextOf(Header.HEART_BEAT, "tcp");
    alice.send({ header: Header.HEART_BEAT, id: alice.id, token: first.packet.token });
    await alice.ping();
    const gone = t.event("disconnect");
    t.clock.advance(HEARTBEAT_INTERVAL_MS);
    assert.equal((await gone).reason, "heartbeat_timeout");
  });
});

Deno.test("UDP heartbeat replies (token 0) never count as alive", async () => {
  await withServer({}, async (t) => {
    const alice = await t.connect("Alice", { answerHeartbeats: false });
    const gone = t.event("disconnect");
    for (let second = 1; second < 15; second++) {
      t.clock.advance(1000);
      await alice.nextOf(Header.HEART_BEAT, "udp");
      const reply = encodeClientPacket({ header: Header.HEART_BEAT, id: alice.id, token: 0 });
      await alice.sendUdpPayload(reply);
      // Datagrams from one socket are handled in order: once this pose is stored, so is the reply.
      await alice.sendUpdate({ ...zeroDataGhost(), position: { x: second, y: 0, z: 0 } });
      await eventually(() => t.server.client(alice.id)?.data.position.x === second);
    }
    t.clock.advance(1000);
    assert.equal((await gone).reason, "heartbeat_timeout");
  });
});

Deno.test("a TCP heartbeat answered over UDP counts, as in the C++ server", async () => {
  await withServer({}, async (t) => {
    const alice = await t.connect("Alice", { answerHeartbeats: false });
    for (let round = 1; round <= 4; round++) {
      t.clock.advance(HEARTBEAT_INTERVAL_MS);
      const beat = await alice.nextOf(Header.HEART_BEAT, "tcp");
      await alice.sendUdpPayload(
        encodeClientPacket({ header: Header.HEART_BEAT, id: alice.id, token: beat.packet.token }),
      );
      // Datagrams from one socket are handled in order: once this pose is stored, so is the reply.
      await alice.sendUpdate({ ...zeroDataGhost(), position: { x: round, y: 0, z: 0 } });
      await eventually(() => t.server.client(alice.id)?.data.position.x === round);
    }
    assert.equal(t.server.clients().length, 1);
  });
});

/**
 * `[limits]` over real sockets: byte caps on what players send, per-player rates, the flood
 * rule, and fairness toward recipients whose queue is full.
 */
import assert from "node:assert/strict";
import net from "node:net";
import {
  type ClientPacket,
  encodeClientPacket,
  encodeFrame,
  Header,
  VOICE_MESSAGE_TYPE,
} from "../../src/protocol/mod.ts";
import { ConnectionRefusedError, type SarClient } from "../../src/client/sar_client.ts";
import type { DropReason } from "../../src/server/reasons.ts";
import { connectPayload, withServer } from "../helpers/harness.ts";

/** Packets the server originates, which {@linkcode nextRelayed} passes over. */
const NOT_RELAYED = new Set<number>([Header.HEART_BEAT, Header.UPDATE, Header.CONNECT]);

/** The next packet `client` gets over TCP that another client sent. */
function nextRelayed(client: SarClient) {
  return client.next((r) => r.via === "tcp" && !NOT_RELAYED.has(r.packet.header));
}

/**
 * A relayed packet of another rate than the one under test (a finish, or a chat line when
 * finishes are tested): what `from` sends last, so `to` can tell nothing came before.
 */
async function sentinel(from: SarClient, to: SarClient, tested?: number): Promise<void> {
  const packet: ClientPacket = tested === Header.SPEEDRUN_FINISH
    ? { header: Header.MESSAGE, id: from.id, text: "sentinel" }
    : { header: Header.SPEEDRUN_FINISH, id: from.id, time: "sentinel" };
  from.send(packet);
  const next = await nextRelayed(to);
  assert.equal(next.packet.header, packet.header, `got ${next.packet.header} first`);
}

function voice(id: number, dataBytes: number): ClientPacket {
  return {
    header: Header.VOICE,
    id,
    messageType: VOICE_MESSAGE_TYPE,
    steamId: new Uint8Array(8),
    data: new Uint8Array(dataBytes),
  };
}

Deno.test("a CONNECT whose name, model or map is over its cap is refused, and the player reads why", async () => {
  const limits = { name_max_bytes: 32, model_max_bytes: 64, map_max_bytes: 64 };
  await withServer({ limits }, async (t) => {
    const cases = [
      { options: { name: "n".repeat(33) }, reason: "name_too_long", says: /name.*32 bytes/ },
      {
        options: { name: "Model", model: "m".repeat(65) },
        reason: "model_too_long",
        says: /model.*64 bytes/,
      },
      { options: { name: "Map", map: "p".repeat(65) }, reason: "map_too_long", says: /map.*64/ },
    ];
    for (const { options, reason, says } of cases) {
      const refused = t.event("refuse");
      await assert.rejects(t.connect(options.name, options), (error) => {
        assert.ok(error instanceof ConnectionRefusedError);
        assert.match(error.explanation ?? "", says);
        return true;
      });
      assert.equal((await refused).reason, reason);
    }
    // Exactly at the caps, and multi-byte characters counted in bytes: accepted.
    const alice = await t.connect("é".repeat(16), { model: "m".repeat(64), map: "p".repeat(64) });
    assert.equal(t.server.client(alice.id)?.name, "é".repeat(16));
    const refused = t.event("refuse");
    await assert.rejects(t.connect("é".repeat(16) + "x"), ConnectionRefusedError);
    assert.equal((await refused).reason, "name_too_long");
  });
});

Deno.test("without explain_refusals an oversized CONNECT is closed silently, reason still logged", async () => {
  await withServer({ explainRefusals: false, limits: { name_max_bytes: 32 } }, async (t) => {
    const raw = await t.raw();
    const refused = t.event("refuse");
    await raw.write(encodeFrame(connectPayload("n".repeat(33))));
    assert.equal((await refused).reason, "name_too_long");
    await raw.closed;
    assert.equal(raw.bytes().length, 0);
  });
});

Deno.test("a banned address is refused before its CONNECT is decoded", async () => {
  await withServer({}, async (t) => {
    const address = t.nextAddress();
    t.server.ban({ ip: address });
    const raw = await t.raw(address);
    const refused = t.event("refuse");
    // A CONNECT header and a name length running far past the frame: decoding would refuse it
    // as truncated_packet; the address check answers first.
    await raw.write(encodeFrame(new Uint8Array([Header.CONNECT, 0, 9, 0xff, 0xff, 0xff, 0xff])));
    assert.equal((await refused).reason, "banned");
    await raw.closed;
  });
});

Deno.test("a chat line over chat_max_bytes is dropped and only its sender is told", async () => {
  await withServer({ limits: { chat_max_bytes: 100 } }, async (t) => {
    const alice = await t.connect("Alice");
    const bob = await t.connect("Bob");
    const dropped = t.event("drop", (e) => e.reason === "string_too_long");
    bob.sendMessage("x".repeat(101));
    const event = await dropped;
    assert.equal(event.clientId, bob.id);
    assert.equal(event.header, Header.MESSAGE);
    const notice = await bob.nextOf(Header.MESSAGE, "tcp");
    assert.equal(notice.packet.id, 0);
    assert.match(notice.packet.text, /not sent.*100 bytes/);
    bob.sendMessage("é".repeat(50)); // 100 bytes: at the cap
    const relayed = await nextRelayed(alice);
    assert.equal(relayed.packet.header, Header.MESSAGE);
    assert.equal((relayed.packet as { text: string }).text, "é".repeat(50));
  });
});

Deno.test("model, map, finish time and taunt over their caps are dropped, not stored or relayed", async () => {
  const limits = { model_max_bytes: 64, map_max_bytes: 64, finish_time_max_bytes: 16 };
  await withServer({ limits: { ...limits, taunt_max_bytes: 16 } }, async (t) => {
    const alice = await t.connect("Alice");
    const bob = await t.connect("Bob");
    const reasons: DropReason[] = [];
    t.server.on("drop", (e) => reasons.push(e.reason));
    bob.send({ header: Header.MODEL_CHANGE, id: bob.id, model: "m".repeat(65) });
    bob.changeMap("p".repeat(65));
    bob.send({ header: Header.SPEEDRUN_FINISH, id: bob.id, time: "1".repeat(17) });
    bob.send({ header: Header.TAUNT, id: bob.id, animation: "w".repeat(17) });
    await sentinel(bob, alice);
    assert.deepEqual(reasons, Array(4).fill("string_too_long"));
    const stored = t.server.client(bob.id)!;
    assert.notEqual(stored.model, "m".repeat(65));
    assert.equal(stored.map, "");
  });
});

const RATES = [
  {
    kind: "chat",
    keys: { chat_rate: 2, chat_burst: 3 },
    packet: (id: number): ClientPacket => ({ header: Header.MESSAGE, id, text: "hi" }),
  },
  {
    kind: "model",
    keys: { model_rate: 2, model_burst: 3 },
    packet: (id: number): ClientPacket => ({ header: Header.MODEL_CHANGE, id, model: "m.mdl" }),
  },
  {
    kind: "colour",
    keys: { color_rate: 2, color_burst: 3 },
    packet: (id: number): ClientPacket => ({
      header: Header.COLOR_CHANGE,
      id,
      color: { r: 1, g: 2, b: 3 },
    }),
  },
  {
    kind: "map",
    keys: { map_rate: 2, map_burst: 3 },
    packet: (id: number): ClientPacket => ({ header: Header.MAP_CHANGE, id, map: "" }),
  },
  {
    kind: "taunt",
    keys: { taunt_rate: 2, taunt_burst: 3 },
    packet: (id: number): ClientPacket => ({ header: Header.TAUNT, id, animation: "wave" }),
  },
  {
    kind: "speedrun finish",
    keys: { finish_rate: 2, finish_burst: 3 },
    packet: (id: number): ClientPacket => ({ header: Header.SPEEDRUN_FINISH, id, time: "1.0" }),
  },
  {
    // 3 × 1021-byte packets fill a 3063-byte burst; 2042 bytes a second refill 2 of them.
    kind: "voice",
    keys: { voice_bytes_rate: 2042, voice_bytes_burst: 3063 },
    packet: (id: number): ClientPacket => voice(id, 1000),
  },
];

for (const { kind, keys, packet } of RATES) {
  Deno.test(`${kind}: the burst passes, the excess is dropped as rate_limited, the rate refills`, async () => {
    await withServer({ limits: keys }, async (t) => {
      const alice = await t.connect("Alice");
      const bob = await t.connect("Bob");
      const drops: DropReason[] = [];
      t.server.on("drop", (e) => {
        if (e.clientId === bob.id) drops.push(e.reason);
      });
      const header = packet(bob.id).header;
      for (let i = 0; i < 4; i++) bob.send(packet(bob.id));
      for (let i = 0; i < 3; i++) assert.equal((await nextRelayed(alice)).packet.header, header);
      await sentinel(bob, alice, header);
      assert.deepEqual(drops, ["rate_limited"]);
      t.clock.advance(499); // not quite one packet's worth at 2 a second
      bob.send(packet(bob.id));
      await sentinel(bob, alice, header);
      assert.deepEqual(drops, ["rate_limited", "rate_limited"]);
      t.clock.advance(2);
      bob.send(packet(bob.id));
      assert.equal((await nextRelayed(alice)).packet.header, header);
      assert.equal(t.server.clients().length, 2);
    });
  });
}

Deno.test("voice over UDP counts against the same byte rate", async () => {
  await withServer({ limits: { voice_bytes_rate: 1024, voice_bytes_burst: 2048 } }, async (t) => {
    const alice = await t.connect("Alice");
    const bob = await t.connect("Bob");
    const limited = t.event("drop", (e) => e.reason === "rate_limited");
    await bob.sendUdpPayload(encodeClientPacket(voice(bob.id, 1000)));
    await bob.sendUdpPayload(encodeClientPacket(voice(bob.id, 1000)));
    await bob.sendUdpPayload(encodeClientPacket(voice(bob.id, 1000)));
    assert.equal((await limited).via, "udp");
    assert.equal((await nextRelayed(alice)).packet.header, Header.VOICE);
    assert.equal((await nextRelayed(alice)).packet.header, Header.VOICE);
    await sentinel(bob, alice);
  });
});

Deno.test("a rate-limited chat sender is told at most once a second", async () => {
  await withServer({ limits: { chat_rate: 1, chat_burst: 1 } }, async (t) => {
    const bob = await t.connect("Bob");
    let notices = 0;
    bob.onPacket = ({ packet }) => {
      if (packet.header === Header.MESSAGE && packet.id === 0) notices++;
    };
    for (let i = 0; i < 5; i++) bob.sendMessage("spam");
    await bob.ping();
    assert.equal(notices, 1);
    t.clock.advance(999);
    for (let i = 0; i < 2; i++) bob.sendMessage("spam"); // dropped: 0.999 of a line refilled
    await bob.ping();
    assert.equal(notices, 1);
    t.clock.advance(2);
    for (let i = 0; i < 3; i++) bob.sendMessage("spam"); // one passes, two are dropped
    await bob.ping();
    assert.equal(notices, 2);
  });
});

Deno.test("sustained flooding kicks the flooder with reason flood; everyone else is unaffected", async () => {
  const limits = { chat_rate: 1, chat_burst: 1, flood_drops: 10, flood_window_ms: 1000 };
  await withServer({ limits }, async (t) => {
    const alice = await t.connect("Alice");
    const mallory = await t.connect("Mallory");
    const drops: DropReason[] = [];
    t.server.on("drop", (e) => drops.push(e.reason));
    // Ten drops are tolerated (and a tenth of them forgiven every 100 ms)…
    for (let i = 0; i < 11; i++) mallory.sendMessage("spam");
    await mallory.ping();
    assert.equal(drops.length, 10);
    assert.equal(t.server.clients().length, 2);
    t.clock.advance(100);
    mallory.sendMessage("spam");
    await mallory.ping();
    assert.equal(t.server.clients().length, 2);
    // …one more within the window is a flood.
    const gone = t.event("disconnect");
    mallory.sendMessage("spam");
    const event = await gone;
    assert.equal(event.reason, "flood");
    assert.equal(event.client.id, mallory.id);
    assert.equal((await alice.nextOf(Header.DISCONNECT, "tcp")).packet.id, mallory.id);
    const explanation = await mallory.nextOf(Header.MESSAGE, "tcp");
    assert.match(explanation.packet.text, /too much, too fast/);
    await mallory.closed;
    t.clock.advance(50);
    await alice.nextOf(Header.UPDATE, "udp");
    assert.deepEqual(t.server.clients().map((c) => c.name), ["Alice"]);
  });
});

Deno.test("relayed chat never pushes a stalled reader over its limit; the server's own packets still do", async () => {
  const limits = { chat_max_bytes: 16384, chat_rate: 1000, chat_burst: 10000, flood_drops: 1000 };
  await withServer({ maxWriteQueueBytes: 65536, limits }, async (t) => {
    const alice = await t.connect("Alice");
    const bob = await t.connect("Bob");
    // A reader that never reads: a raw socket with the handshake done by hand and paused.
    const stuck = net.connect({ host: "127.0.0.1", port: t.port, localAddress: t.nextAddress() });
    stuck.on("error", () => {});
    const stuckClosed = new Promise<void>((resolve) => stuck.once("close", () => resolve()));
    try {
      const connected = t.event("connect");
      stuck.write(encodeFrame(connectPayload("Stuck")));
      const stuckId = (await connected).client.id;
      stuck.pause();
      let backlogged = false;
      t.server.on("drop", (e) => {
        if (e.reason === "recipient_backlog" && e.recipientId === stuckId) backlogged = true;
      });
      const disconnects: string[] = [];
      t.server.on("disconnect", (e) => disconnects.push(`${e.client.name}: ${e.reason}`));
      // Chat floods until the kernel buffers fill and the relays' share of the queue is used.
      const big = "y".repeat(16000);
      for (let sent = 0; !backlogged && sent < 2000; sent++) {
        bob.sendMessage(big);
        if (sent % 20 === 19) await bob.ping();
      }
      await bob.ping();
      assert.ok(backlogged, "the stalled reader never filled its relay share");
      assert.deepEqual(disconnects, []);
      assert.equal(t.server.clients().length, 3);
      // What the server itself sends keeps priority: the stalled reader now goes.
      // Server messages pile up in the stalled reader's queue while Alice reads hers.
      await alice.ping();
      const gone = t.event("disconnect");
      for (let i = 0; i < 10 && t.server.clients().length === 3; i++) {
        t.server.sendMessage("z".repeat(40000));
        await alice.ping();
      }
      const event = await gone;
      assert.equal(event.reason, "write_backlog");
      assert.equal(event.client.id, stuckId);
      assert.deepEqual(t.server.clients().map((c) => c.name), ["Alice", "Bob"]);
      await alice.ping();
    } finally {
      stuck.destroy();
      await stuckClosed;
    }
  });
});

Deno.test("the connect reply is never refused for its size", async () => {
  // Five 16 000-byte names make a reply of about 80 KB, over a 64 KiB write queue.
  const limits = { name_max_bytes: 16384 };
  await withServer({ maxWriteQueueBytes: 65536, limits }, async (t) => {
    for (const letter of "abcde") await t.connect(letter.repeat(16000));
    const newcomer = await t.connect("Newcomer");
    assert.equal(newcomer.ghosts.length, 5);
    assert.equal(newcomer.ghosts[4].name, "e".repeat(16000));
    await newcomer.ping();
    assert.equal(t.server.clients().length, 6);
  });
});

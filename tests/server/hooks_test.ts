/**
 * Interception points of the server API: acceptance policies and chat filters, over real
 * sockets, including the failure modes (throw, reject, hang) and the chat ordering rules.
 */
import assert from "node:assert/strict";
import { ConnectionRefusedError } from "../../src/client/sar_client.ts";
import { encodeClientPacket, encodeFrame, Header } from "../../src/protocol/mod.ts";
import { MAX_PENDING_CHAT_LINES } from "../../src/server/hooks.ts";
import { eventually, withServer } from "../helpers/harness.ts";

/** Lets pending promise callbacks and timers of 0 ms run. */
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("an acceptance policy refuses a player, who reads its reason", async () => {
  await withServer({}, async (t) => {
    t.server.addAcceptancePolicy(
      async ({ name }) => {
        await tick();
        return name === "Mallory" ? { refuse: "Mallory may not race here" } : undefined;
      },
      { name: "no-mallory" },
    );
    const refused = t.event("refuse");
    const error = await t.connect("Mallory").then(
      () => assert.fail("Mallory was admitted"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ConnectionRefusedError);
    assert.equal(error.explanation, "Mallory may not race here");
    const event = await refused;
    assert.equal(event.reason, "refused_by_policy");
    assert.equal(event.policy, "no-mallory");
    assert.equal(event.message, "Mallory may not race here");
    const alice = await t.connect("Alice");
    assert.equal(alice.id, 1);
  });
});

Deno.test("a throwing, rejecting or hanging policy lets the default decision stand", async () => {
  await withServer({}, async (t) => {
    t.server.addAcceptancePolicy(() => {
      throw new Error("boom");
    }, { name: "throws" });
    t.server.addAcceptancePolicy(() => Promise.reject(new Error("nope")), { name: "rejects" });
    let asked = 0;
    t.server.addAcceptancePolicy(() => {
      asked++;
      return new Promise(() => {}); // never settles
    }, { name: "hangs", timeoutMs: 500 });
    const connecting = t.connect("Alice");
    await eventually(() => asked === 1);
    assert.equal(t.server.clients().length, 0, "admitted before the hanging policy timed out");
    t.clock.advance(500);
    const alice = await connecting;
    assert.equal(alice.id, 1);
    await alice.ping();
  });
});

Deno.test("a ban issued while policies run is honoured", async () => {
  await withServer({}, async (t) => {
    let release!: () => void;
    t.server.addAcceptancePolicy(() => new Promise<undefined>((r) => release = () => r(undefined)));
    const connecting = t.connect("Alice");
    await eventually(() => release !== undefined);
    t.server.ban({ ip: "127.0.0.2" }); // the first address t.connect uses
    release();
    await assert.rejects(connecting, ConnectionRefusedError);
  });
});

Deno.test("stop refuses a connection waiting for its policies", async () => {
  await withServer({}, async (t) => {
    let asked = false;
    t.server.addAcceptancePolicy(() => {
      asked = true;
      return new Promise(() => {});
    });
    const connecting = t.connect("Alice").catch((e: unknown) => e);
    await eventually(() => asked);
    const refused = t.event("refuse");
    await t.server.stop();
    assert.equal((await refused).reason, "server_stopping");
    assert.ok(await connecting instanceof ConnectionRefusedError);
  });
});

Deno.test("a chat filter drops and rewrites lines before they are relayed", async () => {
  await withServer({}, async (t) => {
    t.server.addChatFilter(({ text }) => text.startsWith("!") ? { drop: true } : undefined);
    t.server.addChatFilter(async ({ text }) => {
      await tick();
      return { text: text.replaceAll("darn", "d***") };
    }, { name: "censor" });
    const alice = await t.connect("Alice");
    const bob = await t.connect("Bob");
    const relayed: string[] = [];
    t.server.on("message", ({ text }) => void relayed.push(text));
    alice.sendMessage("!secret");
    alice.sendMessage("oh darn");
    const { packet } = await bob.nextOf(Header.MESSAGE);
    assert.equal(packet.id, alice.id);
    assert.equal(packet.text, "oh d***");
    assert.deepEqual(relayed, ["oh d***"]);
  });
});

Deno.test("a slow filter keeps each sender's order and does not hold up other players", async () => {
  await withServer({}, async (t) => {
    const releases: (() => void)[] = [];
    t.server.addChatFilter(async ({ client, text }) => {
      if (client.name === "Slow") await new Promise<void>((r) => releases.push(r));
      return { text: `${text}.` };
    });
    const slow = await t.connect("Slow");
    const fast = await t.connect("Fast");
    const reader = await t.connect("Reader");
    slow.sendMessage("one");
    slow.sendMessage("two");
    await eventually(() => releases.length === 1);
    fast.sendMessage("hi");
    const first = await reader.nextOf(Header.MESSAGE);
    assert.equal(first.packet.text, "hi.");
    releases[0]();
    await eventually(() => releases.length === 2);
    releases[1]();
    assert.equal((await reader.nextOf(Header.MESSAGE)).packet.text, "one.");
    assert.equal((await reader.nextOf(Header.MESSAGE)).packet.text, "two.");
  });
});

Deno.test("a hanging filter times out, the line passes, and a flood is bounded", async () => {
  await withServer({}, async (t) => {
    let calls = 0;
    t.server.addChatFilter(() => {
      calls++;
      return new Promise(() => {});
    }, { name: "hangs", timeoutMs: 1000 });
    const alice = await t.connect("Alice");
    const bob = await t.connect("Bob");
    const backlog: number[] = [];
    t.server.on("drop", ({ reason }) => void (reason === "chat_backlog" && backlog.push(1)));
    for (let i = 0; i < MAX_PENDING_CHAT_LINES + 4; i++) alice.sendMessage(`line ${i}`);
    await alice.ping();
    assert.equal(backlog.length, 4);
    for (let i = 0; i < MAX_PENDING_CHAT_LINES; i++) {
      await eventually(() => calls === i + 1);
      t.clock.advance(1000);
      const { packet } = await bob.nextOf(Header.MESSAGE);
      assert.equal(packet.text, `line ${i}`);
    }
  });
});

Deno.test("removing hooks restores the direct paths", async () => {
  await withServer({}, async (t) => {
    const removePolicy = t.server.addAcceptancePolicy(() => ({ refuse: "closed" }));
    const removeFilter = t.server.addChatFilter(() => ({ drop: true }));
    await assert.rejects(t.connect("Alice"), ConnectionRefusedError);
    removePolicy();
    removeFilter();
    const bob = await t.connect("Bob");
    const carol = await t.connect("Carol");
    bob.sendMessage("hello");
    assert.equal((await carol.nextOf(Header.MESSAGE)).packet.text, "hello");
  });
});

Deno.test("hook options are checked", () => {
  return withServer({}, (t) => {
    assert.throws(() => t.server.addChatFilter(() => {}, { timeoutMs: 0 }), RangeError);
    assert.throws(
      () => t.server.addAcceptancePolicy("no" as unknown as () => undefined),
      TypeError,
    );
    return Promise.resolve();
  });
});

Deno.test("synchronous filters keep chat in order with the sender's other packets", async () => {
  await withServer({}, async (t) => {
    let seen = 0;
    t.server.addChatFilter(({ text }) => {
      seen++;
      return text === "drop me" ? { drop: true } : undefined;
    });
    const alice = await t.connect("Alice");
    const bob = await t.connect("Bob");
    // One write, so the server reads both frames in one chunk.
    const frames = [
      encodeClientPacket({ header: Header.MESSAGE, id: alice.id, text: "drop me" }),
      encodeClientPacket({ header: Header.MESSAGE, id: alice.id, text: "first" }),
      encodeClientPacket({ header: Header.MAP_CHANGE, id: alice.id, map: "sp_a2_laser_intro" }),
    ].map((payload) => encodeFrame(payload));
    alice.sendRawTcp(new Uint8Array(frames.flatMap((frame) => [...frame])));
    const first = await bob.next((r) =>
      r.packet.header === Header.MESSAGE || r.packet.header === Header.MAP_CHANGE
    );
    assert.equal(first.packet.header, Header.MESSAGE);
    assert.equal((first.packet as { text: string }).text, "first");
    await bob.nextOf(Header.MAP_CHANGE);
    assert.equal(seen, 2);
  });
});

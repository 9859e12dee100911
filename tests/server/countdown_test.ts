/** The countdown flow (docs/protocol.md §3.9, §5.5). */
import assert from "node:assert/strict";
import { encodeFrame, Header } from "../../src/protocol/mod.ts";
import { ConnectionRefusedError } from "../../src/client/sar_client.ts";
import { bytesToHex, vector } from "../helpers/vectors.ts";
import { withServer } from "../helpers/harness.ts";

Deno.test('countdown: setup to everyone, "go" to each who confirms, then players are refused', async () => {
  await withServer({}, async (t) => {
    const alice = await t.connect("Alice");
    const carol = await t.connect("Carol", { spectator: true, tcpOnly: true });
    const started = t.event("countdown");
    t.server.startCountdown({ delay: 3, preCommands: "sv_cheats 0", postCommands: "say go" });
    assert.deepEqual(await started, {
      delay: 3,
      preCommands: "sv_cheats 0",
      postCommands: "say go",
      actor: "server",
    });
    for (const client of [alice, carol]) {
      const setup = await client.nextOf(Header.COUNTDOWN, "tcp");
      assert.equal(bytesToHex(encodeFrame(setup.bytes)), bytesToHex(vector("V6").frame));
    }
    // SAR confirms with step 1 (V7a); only the confirming client gets "go" (V7b).
    const confirmed = t.event("countdownConfirm");
    alice.send({ header: Header.COUNTDOWN, id: alice.id, step: 1 });
    const go = await alice.nextOf(Header.COUNTDOWN, "tcp");
    assert.equal(bytesToHex(encodeFrame(go.bytes)), bytesToHex(vector("V7b").frame));
    assert.equal((await confirmed).client.id, alice.id);
    await carol.ping();
    assert.equal(carol.inbox.some((r) => r.packet.header === Header.COUNTDOWN), false);
    // As in the C++ server, a race in progress takes no new players; spectators still join.
    assert.deepEqual(t.server.accepting(), { players: false, spectators: true });
    await assert.rejects(t.connect("Late"), ConnectionRefusedError);
    await t.connect("Watcher", { spectator: true });
    t.server.setAccepting({ players: true });
    await t.connect("Next race");
  });
});

Deno.test("countdown defaults come from the [countdown] options; line endings are stripped", async () => {
  await withServer(
    { countdown: { delay: 5, preCommands: "restart_level", postCommands: "" } },
    async (t) => {
      const alice = await t.connect("Alice");
      t.server.startCountdown({ postCommands: "say go\r\n" });
      const setup = await alice.nextOf(Header.COUNTDOWN, "tcp");
      assert.deepEqual(setup.packet, {
        header: Header.COUNTDOWN,
        id: 0,
        step: 0,
        duration: 5,
        preCommands: "restart_level",
        postCommands: "say go",
      });
    },
  );
});

Deno.test("a countdown delay outside 0…60 is refused before anything is sent", async () => {
  await withServer({}, async (t) => {
    const alice = await t.connect("Alice");
    for (const delay of [-1, 61, 2.5, NaN]) {
      assert.throws(() => t.server.startCountdown({ delay }), RangeError);
    }
    assert.deepEqual(t.server.accepting(), { players: true, spectators: true });
    t.server.startCountdown({ delay: 0 });
    const setup = await alice.nextOf(Header.COUNTDOWN, "tcp");
    assert.equal((setup.packet as { duration: number }).duration, 0);
  });
});

Deno.test("an option given as undefined takes its default", async () => {
  await withServer({ countdown: { delay: 4, preCommands: "pre" } }, async (t) => {
    const alice = await t.connect("Alice");
    t.server.startCountdown({ delay: undefined, preCommands: undefined, postCommands: "post" });
    const setup = await alice.nextOf(Header.COUNTDOWN, "tcp");
    assert.deepEqual(
      [
        (setup.packet as { duration: number }).duration,
        (setup.packet as { preCommands: string }).preCommands,
      ],
      [4, "pre"],
    );
  });
});

/** Listeners can never break the emitter or the process: throws and rejections are reported. */
import assert from "node:assert/strict";
import { Emitter } from "../../src/server/emitter.ts";
import { Header } from "../../src/protocol/mod.ts";
import { withServer } from "../helpers/harness.ts";

Deno.test("a listener that throws or rejects is reported, and the others still run", async () => {
  const failures: [unknown, string][] = [];
  const events = new Emitter<{ tick: { n: number } }>((error, type) =>
    failures.push([error, type])
  );
  const seen: number[] = [];
  events.on("tick", () => {
    throw new Error("sync");
  });
  events.on("tick", async () => {
    await Promise.resolve();
    throw new Error("async");
  });
  events.on("tick", ({ n }) => void seen.push(n));
  events.emit("tick", { n: 1 });
  assert.deepEqual(seen, [1]);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(failures.map(([error, type]) => [(error as Error).message, type]), [
    ["sync", "tick"],
    ["async", "tick"],
  ]);
});

Deno.test("an async server listener that rejects does not end the process or the server", async () => {
  // Unhandled, the rejection would fail this test (and end `deno task start`).
  await withServer({}, async (t) => {
    const alice = await t.connect("Alice");
    t.server.on("serverMessage", async () => {
      await Promise.resolve();
      throw new Error("a broken async plugin");
    });
    t.server.sendMessage("one");
    await new Promise((resolve) => setTimeout(resolve, 10));
    t.server.sendMessage("two");
    assert.equal((await alice.nextOf(Header.MESSAGE, "tcp")).packet.text, "one");
    assert.equal((await alice.nextOf(Header.MESSAGE, "tcp")).packet.text, "two");
    assert.equal(t.server.running, true);
  });
});

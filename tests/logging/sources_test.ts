/**
 * The gate tells the server's lines apart by their templates: this runs a real server and
 * checks that each line players cause lands in its own budget, so a change of wording in the
 * server cannot silently move chat into the budget of start-up and admin lines.
 */
import assert from "node:assert/strict";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { type LogSource, sourceOf } from "../../src/logging/log_gate.ts";
import { encodeClientPacket, encodeFrame, Header } from "../../src/protocol/mod.ts";
import { eventually, withServer } from "../helpers/harness.ts";

Deno.test("the server's own lines are classified into their sources", async () => {
  const seen = new Map<string, LogSource>();
  await configure({
    reset: true,
    sinks: {
      capture: (r: LogRecord) => void seen.set(String(r.rawMessage), sourceOf(r)),
    },
    loggers: [
      { category: ["ghosting"], sinks: ["capture"], lowestLevel: "debug" },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "fatal" },
    ],
  });
  try {
    await withServer({}, async (t) => {
      const player = await t.connect("Racer", { map: "sp_a1_intro1" });
      const said = t.event("message");
      player.sendMessage("hello");
      await said;
      const moved = t.event("mapChange");
      player.changeMap("sp_a1_intro2");
      await moved;
      const raw = await t.raw();
      await raw.write(encodeFrame(encodeClientPacket({ header: Header.PING, id: 0 })));
      await raw.closed;
      t.server.ban({ ip: "127.99.0.1" });
      await player.disconnect();
      await eventually(() => [...seen.values()].filter((s) => s === "connection").length >= 2);
    });
  } finally {
    await reset();
  }
  const sourceOfTemplate = (start: string) =>
    [...seen].find(([template]) => template.startsWith(start))?.[1];
  assert.equal(sourceOfTemplate("[message]"), "chat");
  assert.equal(sourceOfTemplate("{name} is now on"), "player");
  assert.equal(sourceOfTemplate("Connection:"), "connection");
  assert.equal(sourceOfTemplate("Disconnected:"), "connection");
  assert.equal(sourceOfTemplate("Refused connection"), "refusal");
  assert.equal(sourceOfTemplate("Banned IP"), "server");
  assert.equal(sourceOfTemplate("Server listening"), "server");
});

/** Refusals and drops summed up per network and reason, from a real server over real sockets. */
import assert from "node:assert/strict";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { RefusalSummary } from "../../src/logging/refusal_summary.ts";
import { encodeClientPacket, encodeFrame, Header } from "../../src/protocol/mod.ts";
import { eventually, withServer } from "../helpers/harness.ts";

async function capturing(body: (lines: string[]) => Promise<void>): Promise<void> {
  const lines: string[] = [];
  await configure({
    reset: true,
    sinks: { capture: (r: LogRecord) => void lines.push(r.message.map(String).join("")) },
    loggers: [
      { category: ["ghosting", "summary"], sinks: ["capture"], lowestLevel: "info" },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "fatal" },
    ],
  });
  try {
    await body(lines);
  } finally {
    await reset();
  }
}

Deno.test("refusals and drops are summed up per network and reason at the end of the window", async () => {
  await capturing(async (lines) => {
    await withServer({}, async (t) => {
      const summary = new RefusalSummary({ intervalMs: 10_000, clock: t.clock });
      summary.watch(t.server);
      let refused = 0;
      t.server.on("refuse", () => refused++);
      const ping = encodeFrame(encodeClientPacket({ header: Header.PING, id: 0 }));
      for (let i = 0; i < 5; i++) {
        const raw = await t.raw(`127.0.0.${10 + i}`);
        await raw.write(ping); // not a CONNECT: refused as not_connect_first
        await raw.closed;
      }
      await eventually(() => refused === 5);
      // One refusal from another network: already logged as it is, not summed up.
      const lone = await t.raw("127.77.0.1");
      await lone.write(ping);
      await lone.closed;
      await eventually(() => refused === 6);
      // PING is not a UDP packet: each datagram is a drop.
      const udp = Deno.listenDatagram({ transport: "udp", hostname: "127.60.0.1", port: 0 });
      let dropped = 0;
      t.server.on("drop", () => dropped++);
      const update = encodeClientPacket({ header: Header.PING, id: 42 });
      for (let i = 0; i < 3; i++) {
        await udp.send(update, { transport: "udp", hostname: "127.0.0.1", port: t.port });
      }
      await eventually(() => dropped === 3);
      udp.close();
      assert.deepEqual(lines, []);
      t.clock.advance(10_000);
      assert.deepEqual(lines.sort(), [
        "3 packets from 127.60.0.0/16 dropped (udp_header_not_allowed) in the last 10 s",
        "5 connections from 127.0.0.0/16 refused (not_connect_first) in the last 10 s",
      ]);
      // A new window starts with the next event; nothing is pending in between.
      t.clock.advance(60_000);
      assert.equal(lines.length, 2);
      summary.close();
    });
  });
});

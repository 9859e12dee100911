/** The accept loop, over real sockets on 127.0.0.1. */
import assert from "node:assert/strict";
import { ACCEPT_BATCH, acceptConnections } from "../../src/net/listen.ts";
import type { TcpConnection } from "../../src/net/tcp_connection.ts";
import { systemClock } from "../../src/clock.ts";
import { eventually } from "../helpers/harness.ts";

Deno.test("accept loop: a full backlog is accepted in batches, with timers running in between", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0, transport: "tcp" });
  const { port } = listener.addr as Deno.NetAddr;
  const waiting = ACCEPT_BATCH * 3 + 5;
  // The kernel completes these handshakes by itself: they wait in the backlog, all ready.
  const clients = await Promise.all(
    Array.from({ length: waiting }, () => Deno.connect({ hostname: "127.0.0.1", port })),
  );
  const accepted: TcpConnection[] = [];
  const acceptedWhenTimerRan: number[] = [];
  // Scheduled before the loop starts: it runs in the first turn of the event loop that the
  // accept loop lets through. Without batches, that is after the whole backlog.
  setTimeout(() => acceptedWhenTimerRan.push(accepted.length), 0);
  const loop = acceptConnections(
    listener,
    { maxFrameBytes: 1024, maxWriteQueueBytes: 65536, clock: systemClock },
    (connection) => accepted.push(connection),
    (error) => assert.fail(`accept failed: ${error}`),
  );
  try {
    await eventually(() => accepted.length === waiting);
    assert.equal(acceptedWhenTimerRan.length, 1);
    assert.ok(
      acceptedWhenTimerRan[0] <= ACCEPT_BATCH,
      `the timer waited for ${acceptedWhenTimerRan[0]} accepts (batch: ${ACCEPT_BATCH})`,
    );
  } finally {
    listener.close();
    await loop;
    for (const connection of accepted) connection.close();
    for (const client of clients) client.close();
  }
});

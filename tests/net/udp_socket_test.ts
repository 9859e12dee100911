/** The portable UDP backend, over real sockets on 127.0.0.1. */
import assert from "node:assert/strict";
import { DenoUdpSocket } from "../../src/net/udp_socket.ts";

Deno.test("portable backend: sends beyond the in-flight cap are dropped and counted, not queued", async () => {
  const receiver = Deno.listenDatagram({ hostname: "127.0.0.9", port: 0, transport: "udp" });
  const socket = DenoUdpSocket.open("127.0.0.1", 0, () => {}, { maxSendsInFlight: 3 });
  try {
    const to = receiver.addr as Deno.NetAddr;
    for (let i = 0; i < 10; i++) socket.send(new Uint8Array([i]), to);
    assert.equal(socket.sendsDropped, 7);
    const buffer = new Uint8Array(16);
    const received: number[] = [];
    for (let i = 0; i < 3; i++) received.push((await receiver.receive(buffer))[0][0]);
    // Concurrent sends may leave in any order (Deno even reverses them), so compare as a set.
    assert.deepEqual(received.sort(), [0, 1, 2]);
    // Once those sends have completed there is room again.
    await new Promise((resolve) => setTimeout(resolve, 10));
    socket.send(new Uint8Array([42]), to);
    assert.equal((await receiver.receive(buffer))[0][0], 42);
    assert.equal(socket.sendsDropped, 7);
  } finally {
    receiver.close();
    await socket.close();
  }
});

Deno.test("portable backend: datagrams reach the handler with their source", async () => {
  const got: string[] = [];
  let resolve!: () => void;
  const arrived = new Promise<void>((r) => resolve = r);
  const socket = DenoUdpSocket.open("127.0.0.1", 0, (data, from) => {
    got.push(`${data[0]} from ${from.hostname}`);
    resolve();
  });
  const sender = Deno.listenDatagram({ hostname: "127.0.0.8", port: 0, transport: "udp" });
  try {
    await sender.send(new Uint8Array([7]), {
      transport: "udp",
      hostname: "127.0.0.1",
      port: socket.port,
    });
    await arrived;
    assert.deepEqual(got, ["7 from 127.0.0.8"]);
  } finally {
    sender.close();
    await socket.close();
  }
});

/**
 * The Linux recvmmsg/sendmmsg UDP backend, on real loopback sockets. Needs --allow-ffi (the
 * socket tests are ignored without it) and --allow-net for the Deno peers.
 */
import assert from "node:assert/strict";
import {
  MmsgUdpSocket,
  type MmsgUdpSocketOptions,
  MmsgUnavailableError,
} from "../../src/net/mmsg_udp_socket.ts";
import { ffi, ipv6 } from "../helpers/platform.ts";

const canRun = Deno.permissions.querySync({ name: "run", command: Deno.execPath() }).state ===
  "granted";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const WAIT_MS = 2000;

interface Received {
  text: string;
  from: Deno.NetAddr;
}

/** An mmsg socket whose handler records every datagram (copied: views are reused). */
function open(
  hostname = "127.0.0.1",
  port = 0,
  options?: MmsgUdpSocketOptions,
): { socket: MmsgUdpSocket; received: Received[] } {
  const received: Received[] = [];
  const socket = MmsgUdpSocket.open(hostname, port, (data, from) => {
    received.push({ text: decoder.decode(data), from });
  }, options);
  return { socket, received };
}

function peer(hostname: string): Deno.DatagramConn {
  return Deno.listenDatagram({ hostname, port: 0, transport: "udp" });
}

function addr(conn: Deno.DatagramConn): Deno.NetAddr {
  return conn.addr as Deno.NetAddr;
}

function to(hostname: string, port: number): Deno.NetAddr {
  return { transport: "udp", hostname, port };
}

/** Drains until `count` datagrams arrived; loopback is immediate, the deadline only bounds a failure. */
async function drainUntil(socket: MmsgUdpSocket, received: unknown[], count: number) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    socket.drain();
    if (received.length >= count) return;
    if (Date.now() > deadline) {
      throw new Error(`Only ${received.length} of ${count} datagrams within ${WAIT_MS} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** One datagram from a Deno socket, or an error after a bounded wait. */
async function receive(conn: Deno.DatagramConn): Promise<Received> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`No datagram within ${WAIT_MS} ms`)), WAIT_MS);
  });
  try {
    const [data, from] = await Promise.race([conn.receive(), timeout]);
    return { text: decoder.decode(data), from: from as Deno.NetAddr };
  } finally {
    clearTimeout(timer);
  }
}

async function sendAll(conn: Deno.DatagramConn, texts: string[], target: Deno.NetAddr) {
  for (const text of texts) await conn.send(encoder.encode(text), target);
}

Deno.test({
  name: "mmsg: drain delivers queued datagrams in order, with the sender's address",
  ignore: !ffi,
  async fn() {
    const { socket, received } = open();
    const sender = peer("127.0.0.9");
    try {
      socket.drain(); // nothing yet: returns at once
      assert.equal(received.length, 0);
      // More than one recvmmsg batch (64), lengths 2..4 so view reuse per slot is exercised.
      const texts = Array.from({ length: 150 }, (_, i) => `m${i}`);
      await sendAll(sender, texts, to("127.0.0.1", socket.port));
      await drainUntil(socket, received, texts.length);
      assert.deepEqual(received.map((r) => r.text), texts);
      const from = received[0].from;
      assert.equal(from.transport, "udp");
      assert.equal(from.hostname, "127.0.0.9");
      assert.equal(from.port, addr(sender).port);
      assert.ok(received.every((r) => r.from === from), "one cached address object per peer");
      assert.ok(Object.isFrozen(from));
      // A second round reuses the cached views and addresses and still sees fresh bytes.
      const again = Array.from({ length: 70 }, (_, i) => `n${i}`);
      await sendAll(sender, again, to("127.0.0.1", socket.port));
      await drainUntil(socket, received, texts.length + again.length);
      assert.deepEqual(received.slice(texts.length).map((r) => r.text), again);
      assert.equal(socket.datagramsReceived, texts.length + again.length);
      assert.equal(socket.receiveErrors, 0);
    } finally {
      sender.close();
      await socket.close();
    }
  },
});

Deno.test({
  name: "mmsg: a dual-stack socket reports IPv4 peers as Deno does and answers them",
  ignore: !ffi,
  async fn() {
    // Bound to the mapped loopback address, so nothing listens beyond 127.0.0.1.
    const { socket, received } = open("::ffff:127.0.0.1");
    const reference = Deno.listenDatagram({
      hostname: "::ffff:127.0.0.1",
      port: 0,
      transport: "udp",
    });
    const sender = peer("127.0.0.9");
    try {
      await sender.send(encoder.encode("hi"), to("127.0.0.1", socket.port));
      await sender.send(encoder.encode("hi"), to("127.0.0.1", addr(reference).port));
      await drainUntil(socket, received, 1);
      const denoSays = await receive(reference);
      assert.equal(received[0].from.hostname, "::ffff:127.0.0.9");
      assert.equal(received[0].from.hostname, denoSays.from.hostname);
      assert.equal(received[0].from.port, denoSays.from.port);
      // Answers go to the mapped address as received and to plain IPv4 text alike.
      socket.send(encoder.encode("a"), received[0].from);
      socket.send(encoder.encode("b"), to("127.0.0.9", addr(sender).port));
      socket.flush();
      assert.equal((await receive(sender)).text, "a");
      const second = await receive(sender);
      assert.equal(second.text, "b");
      assert.equal(second.from.hostname, "127.0.0.1");
      assert.equal(second.from.port, socket.port);
    } finally {
      sender.close();
      reference.close();
      await socket.close();
    }
  },
});

Deno.test({
  name: "mmsg: IPv6 peers are formatted as Deno formats them",
  ignore: !ipv6,
  async fn() {
    const sender = peer("::1");
    const { socket, received } = open("::1");
    const reference = Deno.listenDatagram({ hostname: "::1", port: 0, transport: "udp" });
    try {
      await sender.send(encoder.encode("x"), to("::1", socket.port));
      await sender.send(encoder.encode("x"), to("::1", addr(reference).port));
      await drainUntil(socket, received, 1);
      const denoSays = await receive(reference);
      assert.equal(received[0].from.hostname, "::1");
      assert.equal(received[0].from.hostname, denoSays.from.hostname);
      assert.equal(received[0].from.port, addr(sender).port);
      socket.send(encoder.encode("y"), received[0].from);
      socket.flush();
      assert.equal((await receive(sender)).text, "y");
    } finally {
      sender.close();
      reference.close();
      await socket.close();
    }
  },
});

Deno.test({
  name: "mmsg: send queues until flush, then reaches every receiver",
  ignore: !ffi,
  async fn() {
    const { socket } = open();
    const alice = peer("127.0.0.2");
    const bob = peer("127.0.0.3");
    const marker = peer("127.0.0.4");
    try {
      const shared = encoder.encode("bulk");
      const own = encoder.encode("keepalive");
      socket.send(shared, addr(alice));
      socket.send(shared, addr(bob));
      socket.send(own, addr(alice));
      own.set(encoder.encode("CHANGED"), 0); // copied at send: later changes do not leak out
      assert.equal(socket.queued, 3);
      assert.equal(socket.datagramsSent, 0);
      // Loopback delivers during the send call, so a marker sent now is first in line unless
      // the queued datagrams already left.
      await marker.send(encoder.encode("marker"), addr(alice));
      socket.flush();
      assert.equal(socket.queued, 0);
      assert.equal(socket.datagramsSent, 3);
      assert.equal(socket.sendsDropped, 0);
      assert.equal((await receive(alice)).text, "marker");
      const first = await receive(alice);
      assert.equal(first.text, "bulk");
      assert.equal(first.from.hostname, "127.0.0.1");
      assert.equal(first.from.port, socket.port);
      assert.equal((await receive(alice)).text, "keepalive");
      assert.equal((await receive(bob)).text, "bulk");
      socket.flush(); // nothing queued: no-op
      assert.equal(socket.datagramsSent, 3);
    } finally {
      alice.close();
      bob.close();
      marker.close();
      await socket.close();
    }
  },
});

Deno.test({
  name: "mmsg: a full batch or a full payload arena flushes on its own",
  ignore: !ffi,
  async fn() {
    const { socket } = open();
    const sink = open("127.0.0.5", 0, { maxDatagramBytes: 20000 });
    try {
      const target = to("127.0.0.5", sink.socket.port);
      const texts = Array.from({ length: 1100 }, (_, i) => `d${i}`);
      for (const text of texts) socket.send(encoder.encode(text), target);
      assert.equal(socket.datagramsSent, 1024);
      assert.equal(socket.queued, 76);
      socket.flush();
      await drainUntil(sink.socket, sink.received, texts.length);
      assert.deepEqual(sink.received.map((r) => r.text), texts);

      // 256 KiB of distinct payloads: the 14th 20000-byte datagram no longer fits.
      const big = Array.from({ length: 15 }, (_, i) => String.fromCharCode(65 + i).repeat(20000));
      for (const text of big) socket.send(encoder.encode(text), target);
      assert.equal(socket.datagramsSent, 1100 + 13);
      socket.flush();
      await drainUntil(sink.socket, sink.received, texts.length + big.length);
      assert.deepEqual(sink.received.slice(texts.length).map((r) => r.text), big);

      // One object sent to many is copied once, so it never fills the arena.
      const shared = encoder.encode("S".repeat(20000));
      for (let i = 0; i < 20; i++) socket.send(shared, target);
      assert.equal(socket.datagramsSent, 1100 + 15);
      socket.flush();
      const total = texts.length + big.length + 20;
      await drainUntil(sink.socket, sink.received, total);
      assert.ok(sink.received.slice(-20).every((r) => r.text === "S".repeat(20000)));
      assert.equal(sink.received.length, total);
      assert.equal(socket.sendsDropped, 0);
    } finally {
      await socket.close();
      await sink.socket.close();
    }
  },
});

Deno.test({
  name: "mmsg: a send to a closed port does not disturb later drains and sends",
  ignore: !ffi,
  async fn() {
    const { socket, received } = open();
    const gone = peer("127.0.0.6");
    const closedPort = addr(gone).port;
    gone.close();
    const live = peer("127.0.0.7");
    try {
      for (let round = 0; round < 3; round++) {
        socket.send(encoder.encode("lost"), to("127.0.0.6", closedPort));
        socket.send(encoder.encode(`out${round}`), addr(live));
        socket.flush();
        assert.equal((await receive(live)).text, `out${round}`);
        await live.send(encoder.encode(`in${round}`), to("127.0.0.1", socket.port));
        await drainUntil(socket, received, round + 1);
        assert.equal(received[round].text, `in${round}`);
      }
      // Unconnected UDP on Linux ignores the ICMP port-unreachable; either way nothing stuck.
      assert.equal(socket.datagramsSent + socket.sendsDropped, 6);
    } finally {
      live.close();
      await socket.close();
    }
  },
});

Deno.test({
  name: "mmsg: split datagrams sent to every client are copied once each, not once per client",
  ignore: !ffi,
  async fn() {
    const { socket } = open();
    try {
      // As a tick sends a split bulk update: d0…d9 to client 1, then d0…d9 to client 2, …
      const parts = Array.from({ length: 10 }, (_, i) => new Uint8Array(1200).fill(i));
      for (let client = 0; client < 100; client++) {
        for (const part of parts) socket.send(part, to("127.0.0.2", 20000 + client));
      }
      // 1000 messages, 12 KB of distinct payload: nothing forced an early flush.
      assert.equal(socket.queued, 1000);
      assert.equal(socket.datagramsSent, 0);
      socket.flush();
      assert.equal(socket.datagramsSent + socket.sendsDropped, 1000);
    } finally {
      await socket.close();
    }
  },
});

Deno.test({
  name: "mmsg: destinations the socket cannot reach count as failures and queue nothing",
  ignore: !ffi,
  async fn() {
    const { socket } = open();
    const alice = peer("127.0.0.2");
    try {
      const data = encoder.encode("x");
      socket.send(data, to("::1", 4000)); // IPv6 from an IPv4 socket
      socket.send(data, to("localhost", 4000)); // not an IP literal
      socket.send(data, to("127.0.0.2", 70000)); // no such port
      socket.send(new Uint8Array(70000), addr(alice)); // larger than any UDP datagram
      assert.equal(socket.sendsDropped, 4);
      assert.equal(socket.queued, 0);
      // The kernel refuses this one on its own (too big for IPv4); the next one still goes.
      socket.send(new Uint8Array(65520), addr(alice));
      socket.send(encoder.encode("ok"), to("::ffff:127.0.0.2", addr(alice).port));
      socket.flush();
      assert.equal(socket.sendsDropped, 5);
      assert.equal(socket.datagramsSent, 1);
      assert.equal((await receive(alice)).text, "ok");
    } finally {
      alice.close();
      await socket.close();
    }
  },
});

Deno.test({
  name: "mmsg: datagrams longer than maxDatagramBytes are dropped and counted",
  ignore: !ffi,
  async fn() {
    const { socket, received } = open("127.0.0.1", 0, { maxDatagramBytes: 64 });
    const sender = peer("127.0.0.9");
    try {
      await sender.send(new Uint8Array(100), to("127.0.0.1", socket.port));
      await sender.send(encoder.encode("z".repeat(64)), to("127.0.0.1", socket.port));
      await drainUntil(socket, received, 1);
      assert.deepEqual(received.map((r) => r.text), ["z".repeat(64)]);
      assert.equal(socket.truncatedDatagrams, 1);
      assert.equal(socket.datagramsReceived, 1);
    } finally {
      sender.close();
      await socket.close();
    }
  },
});

Deno.test({
  name: "mmsg: a second socket on a taken port fails with AddrInUse naming the port",
  ignore: !ffi,
  async fn() {
    const { socket } = open();
    const deno = peer("127.0.0.1");
    try {
      const isInUse = (port: number) => (error: unknown) => {
        assert.ok(error instanceof Deno.errors.AddrInUse, String(error));
        assert.match(
          error.message,
          new RegExp(`^UDP port ${port} is already in use on 127\\.0\\.0\\.1$`),
        );
        return true;
      };
      assert.throws(() => open("127.0.0.1", socket.port), isInUse(socket.port));
      assert.throws(() => open("127.0.0.1", addr(deno).port), isInUse(addr(deno).port));
      assert.throws(
        () => Deno.listenDatagram({ hostname: "127.0.0.1", port: socket.port, transport: "udp" }),
        Deno.errors.AddrInUse,
      );
    } finally {
      deno.close();
      await socket.close();
    }
  },
});

Deno.test({
  name: "mmsg: close is idempotent, releases the port and silences the socket",
  ignore: !ffi,
  async fn() {
    const { socket, received } = open("127.0.0.1", 0);
    const sender = peer("127.0.0.9");
    const port = socket.port;
    try {
      socket.send(encoder.encode("last words"), addr(sender));
      await socket.close(); // sends what is still queued
      assert.equal((await receive(sender)).text, "last words");
      await socket.close();
      assert.ok(socket.closed);
      socket.send(encoder.encode("after"), addr(sender));
      socket.flush();
      socket.drain();
      assert.equal(socket.queued, 0);
      assert.equal(received.length, 0);
      // The port is free again.
      const again = Deno.listenDatagram({ hostname: "127.0.0.1", port, transport: "udp" });
      again.close();
    } finally {
      sender.close();
      await socket.close();
    }
  },
});

Deno.test({
  name: "mmsg: a handler that closes the socket stops the drain",
  ignore: !ffi,
  async fn() {
    const texts: string[] = [];
    const socket = MmsgUdpSocket.open("127.0.0.1", 0, (data) => {
      texts.push(decoder.decode(data));
      void socket.close();
    });
    const sender = peer("127.0.0.9");
    try {
      await sendAll(sender, ["a", "b", "c"], to("127.0.0.1", socket.port));
      const deadline = Date.now() + WAIT_MS;
      while (texts.length === 0 && Date.now() < deadline) {
        socket.drain();
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      assert.deepEqual(texts, ["a"]);
      assert.equal(socket.datagramsReceived, 1);
    } finally {
      sender.close();
      await socket.close();
    }
  },
});

Deno.test({
  name: "mmsg: a drain from inside the handler is ignored",
  ignore: !ffi,
  async fn() {
    const texts: string[] = [];
    const socket = MmsgUdpSocket.open("127.0.0.1", 0, (data) => {
      texts.push(decoder.decode(data));
      socket.drain();
    });
    const sender = peer("127.0.0.9");
    try {
      await sendAll(sender, ["a", "b", "c"], to("127.0.0.1", socket.port));
      await drainUntil(socket, texts, 3);
      assert.deepEqual(texts, ["a", "b", "c"]);
    } finally {
      sender.close();
      await socket.close();
    }
  },
});

Deno.test("mmsg: bad arguments are refused before anything is opened", () => {
  const noop = () => {};
  assert.throws(() => MmsgUdpSocket.open("localhost", 0, noop), TypeError);
  assert.throws(() => MmsgUdpSocket.open("[::1]", 0, noop), TypeError);
  assert.throws(() => MmsgUdpSocket.open("127.0.0.1", 65536, noop), RangeError);
  assert.throws(() => MmsgUdpSocket.open("127.0.0.1", -1, noop), RangeError);
  assert.throws(
    () => MmsgUdpSocket.open("127.0.0.1", 0, "handler" as unknown as () => void),
    TypeError,
  );
  assert.throws(
    () => MmsgUdpSocket.open("127.0.0.1", 0, noop, { maxDatagramBytes: 0 }),
    /^RangeError: maxDatagramBytes must be an integer from 1 to 65535, got 0$/,
  );
  assert.throws(
    () => MmsgUdpSocket.open("127.0.0.1", 0, noop, { receiveBufferBytes: 1.5 }),
    RangeError,
  );
});

Deno.test({
  name: "mmsg: without --allow-ffi it throws MmsgUnavailableError instead of prompting",
  ignore: !canRun,
  async fn() {
    const module = new URL("../../src/net/mmsg_udp_socket.ts", import.meta.url).href;
    const script = `
      import { MmsgUdpSocket, MmsgUnavailableError } from ${JSON.stringify(module)};
      try {
        MmsgUdpSocket.open("127.0.0.1", 0, () => {});
        console.log("opened");
      } catch (error) {
        console.log(error instanceof MmsgUnavailableError ? error.name + ": " + error.message : String(error));
      }
    `;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", "--no-config", "-"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(encoder.encode(script));
    await writer.close();
    const { code, stdout, stderr } = await child.output();
    assert.equal(code, 0, decoder.decode(stderr));
    const line = "MmsgUnavailableError: FFI is not allowed; run Deno with --allow-ffi";
    assert.deepEqual(decoder.decode(stdout).trim().split("\n"), [line]);
    assert.ok(new MmsgUnavailableError("x") instanceof Error);
  },
});

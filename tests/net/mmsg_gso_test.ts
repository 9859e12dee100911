/**
 * UDP GSO in the mmsg backend, on real loopback sockets: receivers get exactly the datagrams
 * they get without it, and a segmented message the kernel refuses is resent datagram by
 * datagram. Needs --allow-ffi (ignored without it).
 */
import assert from "node:assert/strict";
import { MmsgUdpSocket } from "../../src/net/mmsg_udp_socket.ts";
import { BulkUpdateEncoder, DATA_GHOST_BYTES } from "../../src/protocol/mod.ts";
import { ffi, ipv6 } from "../helpers/platform.ts";

const WAIT_MS = 5000;
// Receivers per sender: enough to show that every destination gets its own series.
const RECEIVERS = 3;

/** A tick's bulk update for `count` clients, every pose byte distinct enough to catch a shift. */
function bulkDatagrams(count: number): Uint8Array[] {
  const clients = Array.from({ length: count }, (_, i) => {
    const pose = new Uint8Array(DATA_GHOST_BYTES);
    for (let b = 0; b < pose.length; b++) pose[b] = (i * 31 + b * 7) & 0xff;
    return { id: i + 1, pose };
  });
  return new BulkUpdateEncoder(1200).encode(clients, count).datagrams;
}

/** A Deno socket on its own loopback address that records copies of what it receives. */
class Receiver {
  readonly datagrams: Uint8Array[] = [];
  readonly conn: Deno.DatagramConn;
  readonly #loop: Promise<void>;

  constructor(hostname: string) {
    this.conn = Deno.listenDatagram({ hostname, port: 0, transport: "udp" });
    this.#loop = this.#receive();
  }

  get address(): Deno.NetAddr {
    return this.conn.addr as Deno.NetAddr;
  }

  async #receive(): Promise<void> {
    const buffer = new Uint8Array(65536);
    for (;;) {
      try {
        const [data] = await this.conn.receive(buffer);
        this.datagrams.push(data.slice());
      } catch {
        return;
      }
    }
  }

  /** Waits for `count` datagrams; loopback is immediate, the deadline only bounds a failure. */
  async waitFor(count: number): Promise<void> {
    const deadline = performance.now() + WAIT_MS;
    while (this.datagrams.length < count && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // A little longer, so that a datagram too many would be seen.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }

  async close(): Promise<void> {
    this.conn.close();
    await this.#loop;
  }
}

/** Sends `datagrams` to RECEIVERS fresh receivers in one flush and returns what each got. */
async function deliver(
  socket: MmsgUdpSocket,
  datagrams: Uint8Array[],
  firstHost: number,
): Promise<Uint8Array[][]> {
  const receivers = Array.from(
    { length: RECEIVERS },
    (_, i) => new Receiver(`127.0.${firstHost}.${i + 1}`),
  );
  try {
    for (const receiver of receivers) socket.sendDatagrams(datagrams, receiver.address);
    socket.flush();
    for (const receiver of receivers) await receiver.waitFor(datagrams.length);
    return receivers.map((receiver) => receiver.datagrams);
  } finally {
    await Promise.all(receivers.map((receiver) => receiver.close()));
  }
}

function openSender(gso: boolean, onGsoDisabled?: (reason: string) => void): MmsgUdpSocket {
  return MmsgUdpSocket.open("127.0.0.1", 0, () => {}, { gso, onGsoDisabled });
}

for (const [index, clients] of [1, 41, 42, 400, 2300].entries()) {
  Deno.test({
    name: `mmsg GSO: ${clients} clients' update reaches receivers as exactly the same datagrams`,
    ignore: !ffi,
    async fn() {
      const datagrams = bulkDatagrams(clients);
      const segmented = openSender(true);
      const plain = openSender(false);
      try {
        assert.equal(segmented.gsoSupported, true, "this kernel should support UDP_SEGMENT");
        assert.equal(plain.gso, false);
        const withGso = await deliver(segmented, datagrams, 10 + 2 * index);
        const without = await deliver(plain, datagrams, 11 + 2 * index);
        for (let r = 0; r < RECEIVERS; r++) {
          // Sizes, boundaries and bytes: the same list, in the same order, both ways.
          assert.deepEqual(withGso[r], datagrams);
          assert.deepEqual(without[r], datagrams);
        }
        const total = RECEIVERS * datagrams.length;
        assert.equal(segmented.datagramsSent, total);
        assert.equal(plain.datagramsSent, total);
        assert.equal(plain.messagesSent, total);
        assert.equal(segmented.sendsDropped + plain.sendsDropped, 0);
        // 1198-byte segments: at most 54 per message (65 507 bytes).
        const groups: number[] = [];
        for (let left = datagrams.length; left > 0; left -= 54) groups.push(Math.min(54, left));
        assert.equal(segmented.messagesSent, RECEIVERS * groups.length);
        assert.equal(
          segmented.segmentedMessagesSent,
          RECEIVERS * groups.filter((size) => size > 1).length,
        );
      } finally {
        await segmented.close();
        await plain.close();
      }
    },
  });
}

Deno.test({
  name: "mmsg GSO: the segment is the chunk size laid out, not max_datagram_bytes",
  ignore: !ffi,
  async fn() {
    // 1200 bytes hold 41 entries: 1198-byte datagrams; 96 bytes hold 3: 96-byte ones.
    const clients = Array.from({ length: 7 }, (_, i) => ({
      id: i + 1,
      pose: new Uint8Array(DATA_GHOST_BYTES).fill(i),
    }));
    const datagrams = new BulkUpdateEncoder(100).encode(clients, clients.length).datagrams;
    assert.deepEqual(datagrams.map((d) => d.length), [96, 96, 38]);
    const socket = openSender(true);
    try {
      const [received] = await deliver(socket, datagrams, 40);
      assert.deepEqual(received, datagrams);
      assert.equal(socket.segmentedMessagesSent, RECEIVERS);
    } finally {
      await socket.close();
    }
  },
});

Deno.test({
  name: "mmsg GSO: a series that is not uniform goes datagram by datagram, unchanged",
  ignore: !ffi,
  async fn() {
    const datagrams = [new Uint8Array(50).fill(1), new Uint8Array(60).fill(2), new Uint8Array(10)];
    const socket = openSender(true);
    try {
      const received = await deliver(socket, datagrams, 41);
      for (const got of received) assert.deepEqual(got, datagrams);
      assert.equal(socket.segmentedMessagesSent, 0);
      assert.equal(socket.messagesSent, RECEIVERS * 3);
    } finally {
      await socket.close();
    }
  },
});

/**
 * Makes the kernel refuse segmented sends on `socket` the way a device without checksum
 * offload does: with `SO_NO_CHECK` set, Linux answers a `UDP_SEGMENT` send with EINVAL
 * (udp_send_skb). The socket's descriptor is found from outside, by its type and port.
 */
function refuseSegmentation(socket: MmsgUdpSocket): void {
  const libc = Deno.dlopen("libc.so.6", {
    getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
    getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
    setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  });
  const SOL_SOCKET = 1, SO_TYPE = 3, SO_NO_CHECK = 11, SOCK_DGRAM = 2;
  try {
    const value = new Int32Array(1);
    const name = new Uint8Array(28);
    for (let fd = 3; fd < 4096; fd++) {
      if (libc.symbols.getsockopt(fd, SOL_SOCKET, SO_TYPE, value, new Uint32Array([4])) !== 0) {
        continue;
      }
      if (value[0] !== SOCK_DGRAM) continue;
      if (libc.symbols.getsockname(fd, name, new Uint32Array([28])) !== 0) continue;
      if (((name[2] << 8) | name[3]) !== socket.port) continue;
      value[0] = 1;
      assert.equal(libc.symbols.setsockopt(fd, SOL_SOCKET, SO_NO_CHECK, value, 4), 0);
      return;
    }
    throw new Error(`No UDP descriptor on port ${socket.port}`);
  } finally {
    libc.close();
  }
}

Deno.test({
  name: "mmsg GSO: a refused segmented message is resent datagram by datagram, then GSO is off",
  ignore: !ffi,
  async fn() {
    const datagrams = bulkDatagrams(400);
    const reasons: string[] = [];
    const socket = openSender(true, (reason) => reasons.push(reason));
    try {
      assert.equal(socket.gso, true);
      refuseSegmentation(socket);
      const first = await deliver(socket, datagrams, 50);
      for (const got of first) assert.deepEqual(got, datagrams);
      assert.equal(socket.gso, false);
      assert.match(socket.gsoOffReason ?? "", /refused a segmented message \(EINVAL\)/);
      assert.equal(socket.segmentedMessagesSent, 0);
      assert.equal(socket.datagramsSent, RECEIVERS * datagrams.length);
      assert.equal(socket.sendsDropped, 0);
      // Later ticks go datagram by datagram at once, and nothing is reported twice.
      const second = await deliver(socket, datagrams, 51);
      for (const got of second) assert.deepEqual(got, datagrams);
      assert.equal(socket.datagramsSent, 2 * RECEIVERS * datagrams.length);
      assert.deepEqual(reasons, ["the kernel refused a segmented message (EINVAL)"]);
    } finally {
      await socket.close();
    }
  },
});

Deno.test({
  name: "mmsg GSO: gso = false never segments, and says why",
  ignore: !ffi,
  fn() {
    const socket = openSender(false);
    try {
      assert.equal(socket.gsoSupported, false);
      assert.equal(socket.gso, false);
      assert.equal(socket.gsoOffReason, "turned off by the configuration");
    } finally {
      socket.close();
    }
  },
});

Deno.test({
  name: "mmsg GSO: a dual-stack socket segments to IPv4-mapped and IPv6 peers alike",
  ignore: !ipv6,
  async fn() {
    const datagrams = bulkDatagrams(100);
    const socket = MmsgUdpSocket.open("::", 0, () => {});
    const v4 = new Receiver("127.0.60.1");
    const v6 = new Receiver("::1");
    try {
      assert.equal(socket.gso, true);
      socket.sendDatagrams(datagrams, { ...v4.address, hostname: `::ffff:127.0.60.1` });
      socket.sendDatagrams(datagrams, v6.address);
      socket.flush();
      await v4.waitFor(datagrams.length);
      await v6.waitFor(datagrams.length);
      assert.deepEqual(v4.datagrams, datagrams);
      assert.deepEqual(v6.datagrams, datagrams);
      assert.equal(socket.segmentedMessagesSent, 2);
    } finally {
      await socket.close();
      await v4.close();
      await v6.close();
    }
  },
});

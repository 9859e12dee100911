/**
 * Bulk delivery per transport, the UDP endpoint rule (docs/protocol.md §2.3, hardened) and UDP
 * impersonation.
 */
import assert from "node:assert/strict";
import {
  encodeClientPacket,
  encodeFrame,
  Header,
  VOICE_MESSAGE_TYPE,
} from "../../src/protocol/mod.ts";
import { UDP_TAKEOVER_SILENCE_MS } from "../../src/server/udp_endpoint.ts";
import { bytesToHex, vector } from "../helpers/vectors.ts";
import { eventually, withServer } from "../helpers/harness.ts";

const pose = {
  position: { x: 1.5, y: -2, z: 3 },
  viewAngle: { x: 0, y: 90, z: 0 },
  viewOffset: 64,
  grounded: true,
};

function update(id: number, x = 1.5): Uint8Array {
  return encodeClientPacket({
    header: Header.UPDATE,
    id,
    data: { ...pose, position: { ...pose.position, x } },
  });
}

/** A UDP socket on `hostname`, for datagrams from ports other than a client's own. */
function udpSocket(hostname: string) {
  const socket = Deno.listenDatagram({ hostname, port: 0, transport: "udp" });
  const buffer = new Uint8Array(65507);
  return {
    socket,
    port: (socket.addr as Deno.NetAddr).port,
    send: (payload: Uint8Array, port: number) =>
      socket.send(payload, { transport: "udp", hostname: "127.0.0.1", port }),
    /** The next bulk UPDATE received. */
    async nextBulk(): Promise<Uint8Array> {
      for (;;) {
        const [data] = await socket.receive(buffer);
        if (data[0] === Header.UPDATE) return data.slice();
      }
    },
  };
}

Deno.test("bulk UPDATE: the same bytes over UDP and, framed, over TCP to TCP-only clients", async () => {
  await withServer({}, async (t) => {
    const bob = await t.connect("Bob");
    const carol = await t.connect("Carol", { tcpOnly: true, spectator: true });
    const alice = await t.connect("Alice");
    await alice.sendUpdate(pose);
    await eventually(() => t.server.client(alice.id)?.data.viewAngle.y === 90);
    t.clock.advance(50);
    const viaUdp = await bob.nextOf(Header.UPDATE, "udp");
    const viaTcp = await carol.nextOf(Header.UPDATE, "tcp");
    const ownUdp = await alice.nextOf(Header.UPDATE, "udp");
    assert.equal(bytesToHex(viaUdp.bytes), bytesToHex(viaTcp.bytes));
    assert.equal(bytesToHex(ownUdp.bytes), bytesToHex(viaUdp.bytes));
    assert.deepEqual(viaUdp.packet.entries.map((e) => e.id), [1, 2, 3]);
    // Nothing went to Carol over UDP, nothing to Bob over TCP.
    await bob.ping();
    await carol.ping();
    assert.equal(
      bob.inbox.some((r) => r.via === "tcp" && r.packet.header === Header.UPDATE),
      false,
    );
    assert.equal(carol.inbox.some((r) => r.via === "udp"), false);
  });
});

Deno.test("bulk UPDATE matches vector V4a/V4b byte for byte for the §10 lobby", async () => {
  await withServer({}, async (t) => {
    const bob = await t.connect("Bob", { map: "sp_a1_intro1" });
    const carol = await t.connect("Carol", {
      tcpOnly: true,
      spectator: true,
      color: { r: 0, g: 255, b: 255 },
    });
    const alice = await t.connect("Alice", { map: "sp_a1_intro1" });
    const bobPose = encodeClientPacket({
      header: Header.UPDATE,
      id: bob.id,
      data: {
        position: { x: 10, y: 20, z: 30 },
        viewAngle: { x: 5, y: -45, z: 0 },
        viewOffset: 28,
        grounded: false,
      },
    });
    await bob.sendUdpPayload(bobPose);
    await alice.sendUdpPayload(vector("V5a").payload);
    await eventually(() =>
      t.server.client(bob.id)?.data.position.x === 10 &&
      t.server.client(alice.id)?.data.position.x === 1.5
    );
    t.clock.advance(50);
    assert.equal(
      bytesToHex((await alice.nextOf(Header.UPDATE, "udp")).bytes),
      bytesToHex(vector("V4a").payload),
    );
    assert.equal(
      bytesToHex(encodeFrame((await carol.nextOf(Header.UPDATE, "tcp")).bytes)),
      bytesToHex(vector("V4b").frame),
    );
  });
});

Deno.test("no bulk UPDATE is sent while nobody is connected, and one every 50 ms after", async () => {
  await withServer({}, async (t) => {
    t.clock.advance(500);
    const alice = await t.connect("Alice");
    await alice.ping();
    assert.equal(alice.inbox.length, 0);
    for (let tick = 0; tick < 5; tick++) {
      t.clock.advance(49);
      await alice.ping();
      assert.equal(
        alice.inbox.some((r) => r.packet.header === Header.UPDATE),
        false,
        `early at tick ${tick}`,
      );
      t.clock.advance(1);
      await alice.nextOf(Header.UPDATE, "udp");
    }
  });
});

Deno.test("UDP keep-alive every second, token 0, only to clients that are not TCP-only", async () => {
  await withServer({}, async (t) => {
    const alice = await t.connect("Alice");
    const carol = await t.connect("Carol", { tcpOnly: true });
    t.clock.advance(1000);
    const keepAlive = await alice.nextOf(Header.HEART_BEAT, "udp");
    assert.equal(bytesToHex(keepAlive.bytes), "060000000100000000");
    await carol.ping();
    assert.equal(
      carol.inbox.some((r) => r.via === "udp" || r.packet.header === Header.HEART_BEAT),
      false,
    );
  });
});

Deno.test("the port announced in CONNECT is where UDP goes before the client sends any", async () => {
  await withServer({}, async (t) => {
    const address = t.nextAddress();
    const announced = udpSocket(address);
    try {
      const alice = await t.connect("Alice", {
        localAddress: address,
        announcedUdpPort: announced.port,
      });
      assert.equal(t.server.client(alice.id)?.udpPort, announced.port);
      t.clock.advance(50);
      const bulk = await announced.nextBulk();
      assert.equal(bulk[8], 1);
    } finally {
      announced.socket.close();
    }
  });
});

Deno.test("behind NAT another port takes over once the announced one has been silent for 3 s", async () => {
  await withServer({}, async (t) => {
    const address = t.nextAddress();
    const nat1 = udpSocket(address);
    const nat2 = udpSocket(address);
    try {
      // SAR announces its local port, which the NAT does not keep: nothing listens there.
      const alice = await t.connect("Alice", { localAddress: address, announcedUdpPort: 9 });
      // The announced port is preferred: within 3 s of the connect another port only waits.
      t.clock.advance(UDP_TAKEOVER_SILENCE_MS - 1);
      const waiting = t.event("drop", (e) => e.reason === "udp_endpoint_mismatch");
      await nat1.send(update(alice.id, 7), t.port);
      assert.equal((await waiting).clientId, alice.id);
      assert.equal(t.server.client(alice.id)?.udpPort, 9);
      assert.equal(t.server.client(alice.id)?.data.position.x, 0);
      t.clock.advance(1);
      await nat1.send(update(alice.id), t.port);
      await eventually(() => t.server.client(alice.id)?.udpPort === nat1.port);
      assert.equal(t.server.client(alice.id)?.data.position.x, 1.5);
      t.clock.advance(50);
      await nat1.nextBulk();

      // While the endpoint is alive, another port of the same IP is a conflict: dropped.
      t.clock.advance(UDP_TAKEOVER_SILENCE_MS - 100);
      const conflict = t.event("drop", (e) => e.reason === "udp_endpoint_conflict");
      await nat2.send(update(alice.id, 99), t.port);
      assert.equal((await conflict).clientId, alice.id);
      assert.equal(t.server.client(alice.id)?.data.position.x, 1.5);
      assert.equal(t.server.client(alice.id)?.udpPort, nat1.port);

      // Silent for 3 s: the NAT rebound, the new port takes over.
      t.clock.advance(100);
      await nat2.send(update(alice.id, 42), t.port);
      await eventually(() => t.server.client(alice.id)?.udpPort === nat2.port);
      assert.equal(t.server.client(alice.id)?.data.position.x, 42);
      t.clock.advance(50);
      await nat2.nextBulk();

      // The old port coming back while the new one is alive is a conflict too.
      const back = t.event("drop", (e) => e.reason === "udp_endpoint_conflict");
      await nat1.send(update(alice.id, 5), t.port);
      await back;
      assert.equal(t.server.client(alice.id)?.udpPort, nat2.port);
    } finally {
      nat1.socket.close();
      nat2.socket.close();
    }
  });
});

Deno.test("before a player's first datagram another port of its IP cannot take the endpoint", async () => {
  await withServer({ oneConnectionPerIp: false }, async (t) => {
    const address = t.nextAddress();
    const alice = await t.connect("Alice", { localAddress: address });
    const mallory = udpSocket(address);
    try {
      const waiting = t.event("drop", (e) => e.reason === "udp_endpoint_mismatch");
      await mallory.send(update(alice.id, 666), t.port);
      await waiting;
      assert.equal(t.server.client(alice.id)?.udpPort, alice.udpPort);
      // SAR answers every keep-alive from its announced port, so the port never falls silent.
      for (let second = 1; second <= 4; second++) {
        t.clock.advance(1000);
        await alice.nextOf(Header.HEART_BEAT, "udp"); // answered by the client on its own
        await alice.sendUpdate({ ...pose, position: { ...pose.position, x: second } });
        await eventually(() => t.server.client(alice.id)?.data.position.x === second);
      }
      const conflict = t.event("drop", (e) => e.reason === "udp_endpoint_conflict");
      await mallory.send(update(alice.id, 666), t.port);
      await conflict;
      assert.equal(t.server.client(alice.id)?.udpPort, alice.udpPort);
      assert.equal(t.server.client(alice.id)?.data.position.x, 4);
    } finally {
      mallory.socket.close();
    }
  });
});

Deno.test("no UDP at all is accepted for a TCP-only player, even from its announced port", async () => {
  await withServer({}, async (t) => {
    const carol = await t.connect("Carol", { tcpOnly: true });
    const bob = await t.connect("Bob");
    let voices = 0;
    bob.onPacket = ({ packet }) => void (packet.header === Header.VOICE && voices++);
    const refused = t.event("drop", (e) => e.reason === "udp_tcp_only");
    await carol.sendUdpPayload(update(carol.id, 666));
    assert.equal((await refused).clientId, carol.id);
    const voice = t.event("drop", (e) => e.reason === "udp_tcp_only");
    await carol.sendUdpPayload(encodeClientPacket({
      header: Header.VOICE,
      id: carol.id,
      messageType: VOICE_MESSAGE_TYPE,
      steamId: new Uint8Array(8),
      data: new Uint8Array(4),
    }));
    await voice;
    assert.equal(t.server.client(carol.id)?.data.position.x, 0);
    await bob.ping();
    assert.equal(voices, 0);
    // Over TCP everything still works.
    await carol.sendUpdate(pose);
    await eventually(() => t.server.client(carol.id)?.data.position.x === 1.5);
  });
});

Deno.test("UDP impersonation: another client's id, or another IP, is refused", async () => {
  await withServer({}, async (t) => {
    const alice = await t.connect("Alice");
    const mallory = await t.connect("Mallory");
    await alice.sendUpdate(pose);
    await eventually(() => t.server.client(alice.id)?.data.position.x === 1.5);
    const spoofed = t.event("drop", (e) => e.reason === "spoofed_id");
    await mallory.sendUdpPayload(update(alice.id, 666));
    const event = await spoofed;
    assert.equal(event.clientId, alice.id);
    assert.equal(event.via, "udp");
    assert.equal(t.server.client(alice.id)?.data.position.x, 1.5);
  });
});

Deno.test("UDP hijack from the same IP is a conflict while the owner is active", async () => {
  await withServer({ oneConnectionPerIp: false }, async (t) => {
    const address = t.nextAddress();
    const alice = await t.connect("Alice", { localAddress: address });
    const mallory = await t.connect("Mallory", { localAddress: address });
    await alice.sendUpdate(pose);
    await eventually(() => t.server.client(alice.id)?.data.position.x === 1.5);
    const refused = t.event("drop", (e) => e.reason === "udp_endpoint_conflict");
    await mallory.sendUdpPayload(update(alice.id, 666));
    await refused;
    assert.equal(t.server.client(alice.id)?.data.position.x, 1.5);
    assert.equal(t.server.client(alice.id)?.udpPort, alice.udpPort);
  });
});

Deno.test("over UDP only UPDATE, HEART_BEAT and VOICE are accepted", async () => {
  await withServer({}, async (t) => {
    const alice = await t.connect("Alice");
    const bob = await t.connect("Bob");
    const refused = t.event("drop", (e) => e.reason === "udp_header_not_allowed");
    await alice.sendUdpPayload(
      encodeClientPacket({ header: Header.MESSAGE, id: alice.id, text: "via udp" }),
    );
    assert.equal((await refused).header, Header.MESSAGE);
    alice.sendMessage("via tcp");
    const first = await bob.next((r) => r.packet.header === Header.MESSAGE);
    assert.equal((first.packet as { text: string }).text, "via tcp");
  });
});

Deno.test("a datagram for an unknown id or too short to hold an id is dropped", async () => {
  await withServer({}, async (t) => {
    const alice = await t.connect("Alice");
    const unknown = t.event("drop", (e) => e.reason === "unknown_client");
    await alice.sendUdpPayload(update(77));
    await unknown;
    const short = t.event("drop", (e) => e.reason === "truncated_packet");
    await alice.sendUdpPayload(new Uint8Array([9, 0, 0]));
    await short;
    const truncated = t.event("drop", (e) => e.reason === "truncated_packet");
    await alice.sendUdpPayload(update(alice.id).subarray(0, 20));
    await truncated;
  });
});

Deno.test("two other ports contending for a silent endpoint is a conflict; neither takes over", async () => {
  await withServer({}, async (t) => {
    const address = t.nextAddress();
    const natA = udpSocket(address);
    const natB = udpSocket(address);
    try {
      const alice = await t.connect("Alice", { localAddress: address, announcedUdpPort: 9 });
      t.clock.advance(1000);
      const waiting = t.event("drop", (e) => e.reason === "udp_endpoint_mismatch");
      await natA.send(update(alice.id, 1), t.port);
      await waiting;
      t.clock.advance(500);
      const contested = t.event("drop", (e) => e.reason === "udp_endpoint_conflict");
      await natB.send(update(alice.id, 2), t.port);
      await contested;
      // The announced port has been silent for 3 s, but two ports spoke within the window.
      t.clock.advance(1500);
      const still = t.event("drop", (e) => e.reason === "udp_endpoint_conflict");
      await natA.send(update(alice.id, 3), t.port);
      await still;
      assert.equal(t.server.client(alice.id)?.udpPort, 9);
      assert.equal(t.server.client(alice.id)?.data.position.x, 0);
      // Once only one of them has spoken for a whole window, it takes over.
      t.clock.advance(UDP_TAKEOVER_SILENCE_MS);
      await natA.send(update(alice.id, 4), t.port);
      await eventually(() => t.server.client(alice.id)?.udpPort === natA.port);
      assert.equal(t.server.client(alice.id)?.data.position.x, 4);
    } finally {
      natA.socket.close();
      natB.socket.close();
    }
  });
});

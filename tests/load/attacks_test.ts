/**
 * The attack mode's plumbing: each scenario, run briefly with small counts against a real
 * server on loopback, does what it says, stays within its bounds and leaves nothing behind.
 */
import assert from "node:assert/strict";
import {
  ATTACK_DEFAULTS,
  attackerAddress,
  type AttackName,
  type AttackReport,
  ATTACKS,
  invalidText,
  runAttack,
} from "../../tools/load/attacks.ts";
import { parseAttackArgs } from "../../tools/load/attack.ts";
import { encodeText } from "../../src/protocol/mod.ts";
import type { GhostServerEvents } from "../../src/server/mod.ts";
import { eventually, type TestServer, withServer } from "../helpers/harness.ts";

/** Runs `name` until `until` settles, then stops it and checks its report with `check`. */
async function briefly(
  t: TestServer,
  name: AttackName,
  extra: { connections?: number; rate?: number; victims?: string[] },
  until: Promise<unknown>,
  check: (report: AttackReport) => boolean,
): Promise<AttackReport> {
  const controller = new AbortController();
  const running = runAttack(
    { name, host: "127.0.0.1", port: t.port, maxId: 8, ...extra },
    controller.signal,
  );
  try {
    await until;
  } finally {
    controller.abort();
  }
  const report = await running;
  assert.ok(check(report), `${name}: ${JSON.stringify(report)}`);
  assert.equal(t.server.running, true);
  return report;
}

/**
 * Resolves once the server relayed a chat line `relayed` accepts, or dropped a TCP packet from
 * an attacker (as string and rate limits do): either way it read and handled the flood.
 */
function handled(
  t: TestServer,
  relayed: (event: GhostServerEvents["message"]) => boolean,
): Promise<void> {
  let count = 0;
  t.server.on("message", (event) => void (relayed(event) && count++));
  t.server.on("drop", ({ ip, via }) => void (via === "tcp" && ip.startsWith("127.50.") && count++));
  return eventually(() => count > 0, 5000);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("attackers come from 127.50.0.0/16, one address each", () => {
  assert.equal(attackerAddress(0), "127.50.0.1");
  assert.equal(attackerAddress(253), "127.50.0.254");
  assert.equal(attackerAddress(254), "127.50.1.1");
  assert.equal(new Set(Array.from({ length: 1000 }, (_, i) => attackerAddress(i))).size, 1000);
});

Deno.test("invalid text encodes to the length asked, one byte invalid", () => {
  const bytes = encodeText(invalidText(1000));
  assert.equal(bytes.length, 1000);
  assert.equal(bytes.filter((b) => b === 0xff).length, 1);
});

Deno.test("every scenario has defaults and the command line checks its flags", () => {
  for (const name of ATTACKS) assert.ok(ATTACK_DEFAULTS[name].rate > 0, name);
  const options = parseAttackArgs(["--attack", "churn", "--port", "53001", "--seconds", "2"]);
  assert.deepEqual(
    { name: options?.name, port: options?.port, seconds: options?.seconds },
    { name: "churn", port: 53001, seconds: 2 },
  );
  assert.throws(() => parseAttackArgs(["--attack", "nuke", "--port", "1"]), /must be one of/);
  assert.throws(() => parseAttackArgs(["--attack", "churn"]), /--port is required/);
  assert.throws(
    () => parseAttackArgs(["--attack", "churn", "--port", "1", "--rate", "1e9"]),
    /--rate must be a number from 0 to 200000/,
  );
});

Deno.test("attacks refuse to leave loopback and to exceed their bounds", async () => {
  const signal = AbortSignal.abort();
  await assert.rejects(
    runAttack({ name: "churn", host: "10.0.0.1", port: 1 }, signal),
    /loopback only/,
  );
  await assert.rejects(
    runAttack({ name: "conn-flood", host: "127.0.0.1", port: 1, connections: 1e6 }, signal),
    RangeError,
  );
});

Deno.test("conn-flood opens silent connections up to its count", async () => {
  await withServer({}, async (t) => {
    const report = await briefly(
      t,
      "conn-flood",
      { connections: 20, rate: 2000 },
      sleep(300),
      // Closed ones are reopened (at once, when the server caps handshakes per address).
      (r) => r.opened >= 20 && r.opened - r.closedByServer <= 20 && r.sent === 0,
    );
    assert.equal(report.errors, 0);
  });
});

Deno.test("slow-handshake sends CONNECT bytes one at a time", async () => {
  await withServer({}, async (t) => {
    const controller = new AbortController();
    const running = runAttack(
      { name: "slow-handshake", host: "127.0.0.1", port: t.port, connections: 3, rate: 100 },
      controller.signal,
    );
    await new Promise((resolve) => setTimeout(resolve, 1200));
    controller.abort();
    const report = await running;
    assert.ok(report.opened >= 1 && report.opened <= 3, JSON.stringify(report));
    // About one byte per connection per second: never the whole CONNECT at once.
    assert.ok(
      report.sentBytes >= 1 && report.sentBytes <= 2 * report.opened,
      JSON.stringify(report),
    );
  });
});

Deno.test("chat-flood joins and floods chat", async () => {
  await withServer({}, async (t) => {
    const listener = await t.connect("Listener");
    const said = handled(t, ({ text }) => text.length === 60_000);
    await briefly(t, "chat-flood", { rate: 100 }, said, (r) => r.joined === 1 && r.sent >= 1);
    assert.ok(listener.connected);
  });
});

Deno.test("big-strings joins players with big strings", async () => {
  await withServer({}, async (t) => {
    // Accepted, or refused where string limits apply.
    let seen = 0;
    const big = (text: string) => text.length > 20_000;
    t.server.on("connect", ({ client }) => {
      if (big(client.name) && big(client.model) && big(client.map)) seen++;
    });
    t.server.on("refuse", ({ ip }) => void (ip.startsWith("127.50.") && seen++));
    await briefly(
      t,
      "big-strings",
      { connections: 1 },
      eventually(() => seen > 0, 5000),
      (r) => r.opened >= 1,
    );
  });
});

Deno.test("invalid-utf8 sends invalid names and chat", async () => {
  await withServer({}, async (t) => {
    const said = handled(t, ({ text }) => encodeText(text).includes(0xff));
    // The CONNECTs with an invalid name: accepted or refused, depending on the limits.
    const invalid = (name = "") => name.length > 50_000 && encodeText(name).includes(0xff);
    let named = 0;
    t.server.on("connect", ({ client }) => void (invalid(client.name) && named++));
    // Refused before the name is even decoded, where the name limit applies.
    t.server.on("refuse", ({ ip }) => void (ip.startsWith("127.50.") && named++));
    const both = Promise.all([said, eventually(() => named > 0, 5000)]);
    await briefly(t, "invalid-utf8", { rate: 20 }, both, (r) => r.opened >= 2);
  });
});

Deno.test("udp-flood sends random datagrams and guessed UPDATEs", async () => {
  await withServer({}, async (t) => {
    const dropped = t.event("drop", ({ via }) => via === "udp");
    await briefly(t, "udp-flood", { connections: 2, rate: 1000 }, dropped, (r) => r.sent > 0);
  });
});

Deno.test("udp-spoof sends from the victims' own addresses", async () => {
  await withServer({}, async (t) => {
    const victim = await t.connect("Victim");
    const from = t.event("drop", ({ ip, via }) => via === "udp" && ip === "127.0.0.2");
    await briefly(t, "udp-spoof", { rate: 200, victims: ["127.0.0.2"] }, from, (r) => r.sent > 0);
    assert.ok(victim.connected);
  });
});

Deno.test("churn connects and disconnects", async () => {
  await withServer({}, async (t) => {
    const left = t.event("disconnect", ({ client }) => client.name.startsWith("churn"));
    await briefly(t, "churn", { rate: 50 }, left, (r) => r.joined >= 1);
  });
});

Deno.test("stopped-reader joins and stops reading", async () => {
  await withServer({}, async (t) => {
    let joined = 0;
    t.server.on("connect", () => joined++);
    await briefly(
      t,
      "stopped-reader",
      { connections: 2, rate: 2 },
      eventually(() => joined === 2),
      (r) => r.opened === 2 && r.joined === 2,
    );
  });
});

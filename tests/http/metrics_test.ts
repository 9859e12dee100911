import assert from "node:assert/strict";
import { Header } from "../../src/protocol/mod.ts";
import { ADMIN, READ, withHttp } from "./helpers.ts";

/** The value of one sample line, e.g. `ghosting_clients{kind="player"}`. */
function sample(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? NaN : Number(line.slice(series.length + 1));
}

Deno.test("metrics: counters move with real traffic", async () => {
  await withHttp({}, async (t) => {
    const before = (await t.request("GET", "/metrics", { token: READ })).text;
    assert.equal(sample(before, 'ghosting_clients{kind="player"}'), 0);
    assert.match(before, /^# TYPE ghosting_tick_duration_seconds histogram$/m);
    const alice = await t.connect("Alice");
    const bob = await t.connect("Bob", { spectator: true });
    alice.sendMessage("hi");
    await bob.next((r) => r.packet.header === Header.MESSAGE);
    await alice.sendUpdate({
      position: { x: 1, y: 2, z: 3 },
      viewAngle: { x: 0, y: 0, z: 0 },
      viewOffset: 0,
      grounded: false,
    });
    await waitFor(() => (t.server.traffic().received.UPDATE?.packets ?? 0) > 0);
    t.clock.advance(50); // one bulk tick
    await t.request("GET", "/api/v1/nope", { token: READ });
    t.server.setWhitelistEnabled(true);
    await assert.rejects(t.connect("Carol"));
    await waitFor(() => t.server.status().players + t.server.status().spectators === 2);
    const after = (await t.request("GET", "/metrics", { token: ADMIN })).text;
    assert.equal(sample(after, 'ghosting_clients{kind="player"}'), 1);
    assert.equal(sample(after, 'ghosting_clients{kind="spectator"}'), 1);
    assert.equal(sample(after, 'ghosting_packets_received_total{header="MESSAGE"}'), 1);
    assert.equal(sample(after, 'ghosting_packets_received_total{header="UPDATE"}'), 1);
    assert.equal(sample(after, 'ghosting_bytes_received_total{header="UPDATE"}'), 30);
    assert.ok(sample(after, 'ghosting_packets_sent_total{header="MESSAGE"}') >= 1);
    assert.ok(sample(after, 'ghosting_packets_sent_total{header="UPDATE"}') >= 1);
    // Connect replies carry no header byte (NONE); Alice was told of Bob with a CONNECT.
    assert.ok(sample(after, 'ghosting_packets_sent_total{header="NONE"}') >= 2);
    assert.equal(sample(after, 'ghosting_packets_sent_total{header="CONNECT"}'), 1);
    assert.equal(sample(after, "ghosting_tick_duration_seconds_count"), 1);
    assert.equal(sample(after, 'ghosting_tick_duration_seconds_bucket{le="+Inf"}'), 1);
    assert.equal(sample(after, 'ghosting_refusals_total{reason="not_whitelisted"}'), 1);
    assert.equal(
      sample(after, 'ghosting_http_requests_total{route="(unknown)",method="GET",status="404"}'),
      1,
    );
    assert.equal(
      sample(after, 'ghosting_http_requests_total{route="/metrics",method="GET",status="200"}'),
      1,
    );
    assert.equal(sample(after, "ghosting_up"), 1);
  });
});

Deno.test("metrics: a plugin handler that throws is counted", async () => {
  await withHttp({}, async (t) => {
    t.server.on("connect", () => {
      throw new Error("plugin bug");
    });
    await t.connect("Alice");
    const text = (await t.request("GET", "/metrics", { token: READ })).text;
    assert.equal(sample(text, "ghosting_listener_errors_total"), 1);
  });
});

async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error("Condition not met");
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

Deno.test("metrics: the README lists every metric family the server exports", async () => {
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  await withHttp({}, async (t) => {
    const text = (await t.request("GET", "/metrics", { token: READ })).text;
    const families = [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);
    assert.ok(families.length >= 15);
    for (const family of families) assert.ok(readme.includes(`\`${family}\``), family);
  });
});

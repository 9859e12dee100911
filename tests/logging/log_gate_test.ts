/** The log gate: one kind of line or one network cannot flood the logs or starve the others. */
import assert from "node:assert/strict";
import type { LogRecord } from "@logtape/logtape";
import { ManualClock } from "../../src/clock.ts";
import { LogGate, networkOf, sourceOf, summaryRecord } from "../../src/logging/log_gate.ts";

/** A server line as logtape hands it over, built the way the gate builds its summary records. */
function record(template: string, properties: Record<string, unknown>): LogRecord {
  return { ...summaryRecord(template, properties), category: ["ghosting", "server"], timestamp: 0 };
}

const chat = (name: string, text: string) => record("[message] {name}: {text}", { name, text });
const connection = (name: string, ip: string) =>
  record("Connection: {name} ({kind}) @ {ip}:{port} as {id}", {
    name,
    kind: "player",
    ip,
    port: 1,
    id: 1,
  });
const text = (r: LogRecord) => r.message.map(String).join("");

function makeGate(options: { linesPerSecond?: number; maxTextChars?: number } = {}) {
  const clock = new ManualClock();
  const lines: LogRecord[] = [];
  const gate = new LogGate({
    sinks: [(r) => lines.push(r)],
    linesPerSecond: options.linesPerSecond ?? 2,
    maxTextChars: options.maxTextChars ?? 200,
    summaryIntervalMs: 10_000,
    clock,
  });
  return { clock, lines, gate };
}

Deno.test("the server's lines are classified by their template", () => {
  assert.equal(sourceOf(chat("a", "b")), "chat");
  assert.equal(sourceOf(connection("a", "127.0.0.2")), "connection");
  assert.equal(sourceOf(record("Disconnected: {name} ({id}) @ {ip}: {reason}", {})), "connection");
  assert.equal(
    sourceOf(record("Refused connection from {who}: {reason} ({detail})", {})),
    "refusal",
  );
  assert.equal(sourceOf(record("{name} is now on {map}", {})), "player");
  assert.equal(sourceOf(record("Server listening on {hostname}:{port}", {})), "server");
  assert.equal(sourceOf(record("Banned IP {ip}", {})), "server");
  assert.equal(sourceOf(record("UDP conflict for {name} ({id}) @ {ip}: …", {})), "drop");
  assert.equal(
    networkOf(record("Refused connection from {who}", { who: "x @ y (p) @ 10.1.2.3" })),
    "10.1.0.0/16",
  );
  assert.equal(networkOf(chat("Zoë", "hi")), "name Zoë");
});

Deno.test("a chat flood is held back after its burst, summed up, and starves nothing else", () => {
  const { clock, lines, gate } = makeGate();
  for (let i = 0; i < 10_000; i++) gate.sink(chat("Flooder", `line ${i}`));
  assert.equal(lines.length, 20); // 2 lines/s, bursts of 10 s
  // Another player's chat, connections and the server's own lines still get through.
  gate.sink(chat("Racer", "gg"));
  gate.sink(connection("Newcomer", "127.9.0.1"));
  gate.sink(record("Banned IP {ip}", { ip: "127.50.0.1" }));
  assert.deepEqual(lines.slice(-3).map(text), [
    "[message] Racer: gg",
    "Connection: Newcomer (player) @ 127.9.0.1:1 as 1",
    "Banned IP 127.50.0.1",
  ]);
  assert.deepEqual(gate.held, { chat: 9980 });
  clock.advance(10_000);
  assert.equal(
    text(lines.at(-1)!),
    "Log rate limit: not logged in the last 10 s: 9980 chat lines (9980 from name Flooder)",
  );
  assert.equal(lines.at(-1)!.level, "warning");
  assert.deepEqual(gate.held, {});
  // Ten seconds later the flooder has earned its burst again, and no more.
  for (let i = 0; i < 100; i++) gate.sink(chat("Flooder", "again"));
  assert.equal(lines.filter((r) => text(r) === "[message] Flooder: again").length, 20);
  gate.close();
});

Deno.test("many networks together get three times one network's budget", () => {
  const { lines, gate } = makeGate({ linesPerSecond: 1 });
  for (let i = 0; i < 1000; i++) gate.sink(connection("churn", `127.${i % 250}.0.1`));
  assert.equal(lines.length, 30);
  gate.sink(record("Server stopping", {}));
  assert.equal(text(lines.at(-1)!), "Server stopping");
  gate.close();
  assert.match(text(lines.at(-1)!), /970 connection lines \(\d+ from 127\.\d+\.0\.0\/16\)/);
});

Deno.test("beyond the networks it tracks, the rest share one budget", () => {
  const clock = new ManualClock();
  const lines: LogRecord[] = [];
  const gate = new LogGate({
    sinks: [(r) => lines.push(r)],
    linesPerSecond: 1,
    maxTextChars: 100,
    summaryIntervalMs: 1000,
    maxNetworks: 1,
    clock,
  });
  // Seven buckets (seven sources' worth of one network each) fill the map: seven networks
  // get a line each, and all later ones share the burst (10) of "other networks".
  for (let i = 0; i < 200; i++) gate.sink(connection("n", `10.${i}.0.1`));
  assert.equal(lines.length, 17);
  gate.close();
  assert.match(
    lines.at(-1)!.message.map(String).join(""),
    /183 connection lines \(182 from other networks\)/,
  );
});

Deno.test("player text in a line let through is cut and its size noted", () => {
  const { lines, gate } = makeGate({ maxTextChars: 16 });
  gate.sink(chat("Big\nName", "x".repeat(60_000)));
  assert.equal(text(lines[0]), "[message] Big\\nName: xxxxxxxxxxxx…xxxx (60000 bytes)");
  assert.equal(lines[0].properties.text, "xxxxxxxxxxxx…xxxx (60000 bytes)");
  gate.close();
});

Deno.test("a failing sink neither throws into the logger nor stops the other sinks", () => {
  const clock = new ManualClock();
  const lines: LogRecord[] = [];
  const gate = new LogGate({
    sinks: [() => {
      throw new Error("disk full");
    }, (r) => lines.push(r)],
    linesPerSecond: 1,
    maxTextChars: 100,
    summaryIntervalMs: 1000,
    clock,
  });
  gate.sink(record("Server stopping", {}));
  assert.equal(lines.length, 1);
  gate.close();
});

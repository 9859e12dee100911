// The dashboard's pure modules (plain browser ES modules), tested without a browser: formatting,
// the map plot's geometry, the live channel's reconnect logic, and the state kept from the
// live channel's messages.
import assert from "node:assert/strict";
import { clock, cssColor, duration, finishSeconds, mapName } from "../../src/http/web/format.js";
import { fitView, project } from "../../src/http/web/plot.js";
import {
  backoffDelay,
  BASE_DELAY_MS,
  LiveChannel,
  type LiveState,
  MAX_DELAY_MS,
  SILENCE_MS,
} from "../../src/http/web/live.js";
import {
  applyEvent,
  applyPositions,
  applySnapshot,
  CHAT_LIMIT,
  createState,
  eventOf,
  loadRace,
  mergeConnectedAt,
  rankFinishes,
  setBans,
} from "../../src/http/web/store.js";
import { collectPage, describe, HISTORY_TYPES } from "../../src/http/web/views/history.js";
import { HISTORY_EVENT_TYPES } from "../../src/http/history.ts";

Deno.test("format: durations, colours, times, maps", () => {
  assert.equal(duration(0), "0 s");
  assert.equal(duration(59_999), "59 s");
  assert.equal(duration(187_000), "3 min 07 s");
  assert.equal(duration(3_720_000), "1 h 02 min");
  assert.equal(duration(-5), "0 s");
  assert.equal(cssColor({ r: 255, g: 0, b: 16 }), "#ff0010");
  assert.equal(cssColor({ r: 300, g: -1, b: 1.6 }), "#ff0002");
  assert.equal(cssColor(null), "#808080");
  assert.equal(cssColor({ r: "x", g: 0, b: 0 }), "#800000");
  assert.equal(clock("not a date"), "–");
  assert.equal(mapName(""), "menu");
  assert.equal(mapName("sp_a1_intro1"), "sp_a1_intro1");
});

Deno.test("format: finish times sort by value, unparseable ones last", () => {
  assert.equal(finishSeconds("12.5"), 12.5);
  assert.equal(finishSeconds("1:02.25"), 62.25);
  assert.equal(finishSeconds("1:00:00"), 3600);
  assert.equal(finishSeconds("soon"), Infinity);
  assert.equal(finishSeconds("1:2:3:4"), Infinity);
  const finish = (name: string, time: string) => ({ id: 1, name, map: "m", time, at: 0 });
  const ranked = rankFinishes(
    [finish("slow", "1:10.0"), finish("odd", "?"), finish("fast", "59.9"), finish("odd2", "")],
    finishSeconds,
  );
  assert.deepEqual(ranked.map((f) => f.name), ["fast", "slow", "odd", "odd2"]);
});

Deno.test("plot: the players' extent fills the canvas, aspect kept, y up", () => {
  const dots = [{ x: -1000, y: 0 }, { x: 1000, y: 500 }];
  const view = fitView(dots, 400, 300, 20, 10);
  const left = project(view, -1000, 0);
  const right = project(view, 1000, 500);
  // x spans 2000 units in 360 px (the limiting axis): 0.18 px per unit, centred.
  assert.ok(Math.abs(view.scale - 0.18) < 1e-9);
  assert.ok(Math.abs(left.px - 20) < 1e-9);
  assert.ok(Math.abs(right.px - 380) < 1e-9);
  assert.ok(right.py < left.py, "a larger y is higher on the canvas");
  assert.ok(Math.abs((left.py + right.py) / 2 - 150) < 1e-9, "vertically centred");
  // One player: centred, at the minimum span's scale, not a division by zero.
  const alone = fitView([{ x: 5, y: 7 }], 400, 300, 20, 512);
  const p = project(alone, 5, 7);
  assert.deepEqual([p.px, p.py], [200, 150]);
  assert.ok(Number.isFinite(alone.scale) && alone.scale > 0);
  // No finite dots at all still gives a usable view.
  assert.ok(Number.isFinite(fitView([{ x: NaN, y: 1 }], 100, 100).scale));
});

Deno.test("live: backoff doubles from 0.5 s to at most 15 s, with ±20 % jitter", () => {
  assert.equal(backoffDelay(0, () => 0.5), BASE_DELAY_MS);
  assert.equal(backoffDelay(1, () => 0.5), 2 * BASE_DELAY_MS);
  assert.equal(backoffDelay(3, () => 0.5), 8 * BASE_DELAY_MS);
  assert.equal(backoffDelay(50, () => 0.5), MAX_DELAY_MS);
  assert.equal(backoffDelay(0, () => 0), 0.8 * BASE_DELAY_MS);
  assert.equal(backoffDelay(50, () => 1), 1.2 * MAX_DELAY_MS);
});

/** A WebSocket stand-in that the test opens, feeds and closes by hand. */
class FakeSocket extends EventTarget {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: unknown[] = [];
  closed: { code?: number; reason?: string } | undefined;
  constructor(readonly url: string) {
    super();
    FakeSocket.all.push(this);
  }
  send(text: string) {
    this.sent.push(JSON.parse(text));
  }
  close(code?: number, reason?: string) {
    this.closed = { code, reason };
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.dispatchEvent(new Event("open"));
  }
  receive(message: unknown) {
    this.dispatchEvent(new MessageEvent("message", { data: JSON.stringify(message) }));
  }
  drop(code = 1006, reason = "") {
    this.readyState = 3;
    this.dispatchEvent(Object.assign(new Event("close"), { code, reason }));
  }
}

function manualTimers() {
  let next = 1;
  const timers = new Map<number, { fn: () => void; ms: number }>();
  return {
    timers,
    setTimeout: (fn: () => void, ms: number) => {
      timers.set(next, { fn, ms });
      return next++;
    },
    clearTimeout: (id: number) => void timers.delete(id),
    /** Fires the pending timer of this duration. */
    fire(ms: number) {
      const entry = [...timers].find(([, t]) => t.ms === ms);
      assert.ok(
        entry,
        `a ${ms} ms timer is pending (have ${[...timers.values()].map((t) => t.ms)})`,
      );
      timers.delete(entry[0]);
      entry[1].fn();
    },
  };
}

function channel() {
  FakeSocket.all = [];
  const timers = manualTimers();
  const states: LiveState[] = [];
  const messages: Record<string, unknown>[] = [];
  const live = new LiveChannel({
    url: "ws://127.0.0.1:1/api/v1/live",
    token: "secret",
    onMessage: (message) => messages.push(message),
    onState: (state) => states.push(state),
    afterOk: (c) => c.send({ type: "subscribe", positions: true }),
    WebSocket: FakeSocket as unknown as typeof WebSocket,
    setTimeout: timers.setTimeout,
    clearTimeout: timers.clearTimeout,
    random: () => 0.5,
  });
  return { live, timers, states, messages };
}

Deno.test("live: hello with the token, then messages; drops reconnect with growing delays", () => {
  const { live, timers, states, messages } = channel();
  live.start();
  const first = FakeSocket.all[0];
  first.open();
  assert.deepEqual(first.sent, [{ type: "hello", token: "secret" }]);
  first.receive({ type: "ok", name: "admin", scope: "admin" });
  assert.deepEqual(states.at(-1), {
    state: "open",
    hello: { type: "ok", name: "admin", scope: "admin" },
  });
  assert.deepEqual(first.sent.at(-1), { type: "subscribe", positions: true });
  first.receive({ type: "snapshot", clients: [] });
  assert.deepEqual(messages, [{ type: "snapshot", clients: [] }]);

  // Two failures in a row: 0.5 s, then 1 s.
  first.drop(1006);
  assert.deepEqual(states.at(-1), {
    state: "waiting",
    delayMs: 500,
    attempt: 1,
    reason: "connection closed (1006)",
  });
  timers.fire(500);
  assert.equal(FakeSocket.all.length, 2);
  FakeSocket.all[1].drop(1006);
  assert.equal((states.at(-1) as { delayMs: number }).delayMs, 1000);
  // "Reconnect now" skips the wait; a successful hello resets the backoff.
  live.retryNow();
  assert.equal(FakeSocket.all.length, 3);
  FakeSocket.all[2].open();
  FakeSocket.all[2].receive({ type: "ok", scope: "read" });
  FakeSocket.all[2].drop(1001, "Server stopping");
  assert.deepEqual(states.at(-1), {
    state: "waiting",
    delayMs: 500,
    attempt: 1,
    reason: "Server stopping",
  });
  live.stop();
  assert.deepEqual(states.at(-1), { state: "stopped" });
  assert.equal(timers.timers.size, 0, "stop clears every timer");
});

Deno.test("live: a refused token stops for good; a silent link is given up", () => {
  const { live, timers, states } = channel();
  live.start();
  FakeSocket.all[0].open();
  FakeSocket.all[0].receive({ type: "error", error: "Bad or missing token" });
  assert.deepEqual(states.at(-1), { state: "denied", message: "Bad or missing token" });
  FakeSocket.all[0].drop(4401);
  assert.equal(FakeSocket.all.length, 1, "no reconnect with a refused token");
  assert.equal(timers.timers.size, 0);

  const second = channel();
  second.live.start();
  const socket = FakeSocket.all[0];
  socket.open();
  socket.receive({ type: "ok", scope: "admin" });
  second.timers.fire(SILENCE_MS);
  assert.equal(socket.closed?.code, 4000);
  assert.equal(second.states.at(-1)?.state, "waiting");
  second.live.stop();
});

Deno.test("live: commands are answered by id; a drop fails the pending ones", async () => {
  const { live } = channel();
  live.start();
  const socket = FakeSocket.all[0];
  socket.open();
  socket.receive({ type: "ok", scope: "admin" });
  const done = live.command("status");
  const sent = socket.sent.at(-1) as { id: string };
  assert.deepEqual(sent, { type: "command", id: sent.id, command: "status" });
  socket.receive({ type: "result", id: sent.id, ok: true, result: { text: "fine" } });
  assert.deepEqual(await done, { text: "fine" });
  const failing = live.command("kick 9");
  socket.drop();
  await assert.rejects(failing, /dropped/);
  live.stop();
});

const client = (id: number, name: string, extra: Record<string, unknown> = {}) => ({
  id,
  name,
  map: "sp_a1_intro1",
  model: "models/player/chell/player.mdl",
  color: { r: 255, g: 0, b: 0 },
  spectator: false,
  tcpOnly: false,
  ...extra,
});

Deno.test("store: snapshot, events and positions as the live channel sends them", () => {
  const state = createState();
  applySnapshot(state, {
    type: "snapshot",
    settings: {
      countdown: { delay: 3, preCommands: "sar_speedrun_reset", postCommands: "" },
      accepting: { players: true, spectators: false },
      whitelist: { enabled: true, names: ["Alice"], ips: ["10.0.0.1"] },
    },
    clients: [client(1, "Alice"), client(2, "Bob", { spectator: true })],
    viewers: 2,
  });
  assert.equal(state.clients.size, 2);
  assert.equal(state.settings.countdownDuration, 3);
  assert.equal(state.settings.preCountdownCommands, "sar_speedrun_reset");
  assert.equal(state.settings.acceptingSpectators, false);
  assert.deepEqual(state.whitelist, { enabled: true, names: ["Alice"], ips: ["10.0.0.1"] });
  assert.equal(state.viewers, 2);

  // Positions rows: [id, x, y, z, pitch, yaw, roll, offset, grounded]; unknown ids ignored.
  assert.equal(
    applyPositions(state, { positions: [[1, 10, 20, 30, 0, 0, 0, 64, 1], [99, 1, 1, 1]] }),
    true,
  );
  assert.deepEqual([state.clients.get(1)?.x, state.clients.get(1)?.y], [10, 20]);
  assert.equal(applyPositions(state, { positions: [[1, 10, 20, 30]] }), false, "no move");

  const message = {
    type: "event",
    event: "mapChange",
    time: "2026-01-01T10:00:00.000Z",
    data: { client: client(1, "Alice", { map: "sp_a1_intro2" }), map: "sp_a1_intro2" },
  };
  const { name, payload, at } = eventOf(message);
  assert.equal(at, Date.parse("2026-01-01T10:00:00.000Z"));
  const changed = applyEvent(state, name, payload, at);
  assert.ok(changed.has("players") && changed.has("map"));
  assert.equal(state.clients.get(1)?.map, "sp_a1_intro2");
  assert.equal(state.clients.get(1)?.x, 10, "a map change keeps the latest position");

  applyEvent(state, "message", { client: client(2, "Bob"), text: "<b>hi</b>" });
  applyEvent(state, "serverMessage", { text: "to you", actor: "admin", to: client(2, "Bob") });
  assert.deepEqual(state.chat.map((l) => [l.from?.name ?? null, l.to?.name ?? null, l.text]), [
    ["Bob", null, "<b>hi</b>"],
    [null, "Bob", "to you"],
  ]);
  for (let i = 0; i < CHAT_LIMIT + 10; i++) {
    applyEvent(state, "message", { client: client(2, "Bob"), text: `${i}` });
  }
  assert.equal(state.chat.length, CHAT_LIMIT, "the chat kept in the page is bounded");

  applyEvent(state, "connect", { client: client(3, "Carol") });
  applyEvent(state, "disconnect", { client: client(1, "Alice"), reason: "kicked", actor: "admin" });
  assert.deepEqual([...state.clients.keys()], [2, 3]);

  applyEvent(state, "ban", { ip: "10.0.0.9", actor: "admin", message: "griefing" }, 1000);
  assert.deepEqual(state.bans.get("10.0.0.9"), {
    ip: "10.0.0.9",
    reason: "griefing",
    at: 1000,
    actor: "admin",
  });
  applyEvent(state, "unban", { ip: "10.0.0.9", actor: "admin" });
  assert.equal(state.bans.size, 0);
  applyEvent(state, "whitelistChange", {
    action: "disable",
    whitelist: { enabled: false, names: [], ips: [] },
    actor: "admin",
  });
  assert.equal(state.whitelist.enabled, false);
  applyEvent(state, "acceptingChange", {
    players: false,
    spectators: false,
    cause: "countdown",
    actor: "a",
  });
  assert.equal(state.settings.acceptingPlayers, false);
});

Deno.test("store: the current race starts at the countdown; finishes from history and live merge", () => {
  const state = createState();
  applyEvent(state, "speedrunFinish", { client: client(1, "Early"), time: "9.0" }, 500);
  applyEvent(
    state,
    "countdown",
    { delay: 3, preCommands: "a", postCommands: "b", actor: "x" },
    1000,
  );
  assert.equal(state.raceStartedAt, 1000);
  assert.equal(state.finishes.length, 0, "a countdown starts a new race");
  assert.equal(state.settings.countdownDuration, 3);
  applyEvent(state, "speedrunFinish", { client: client(1, "Alice"), time: "1:00.5" }, 70_000);
  // The same finish from the history (fetched on reconnect) is not counted twice; one from
  // before the race is not counted at all.
  loadRace(state, 1000, [
    { time: new Date(70_500).toISOString(), map: "m", player: "Alice", runTime: "1:00.5" },
    { time: new Date(65_000).toISOString(), map: "m", player: "Bob", runTime: "58.0" },
    { time: new Date(900).toISOString(), map: "m", player: "Old", runTime: "1.0" },
  ]);
  assert.deepEqual(rankFinishes(state.finishes, finishSeconds).map((f) => f.name), [
    "Bob",
    "Alice",
  ]);
});

Deno.test("store: the ban list keeps what events told about each ban", () => {
  const state = createState();
  applyEvent(state, "ban", { ip: "1.2.3.4", actor: "admin", message: "spam" }, 5);
  setBans(state, ["1.2.3.4", { ip: "5.6.7.8", actor: "panel", at: "2026-01-01T00:00:00Z" }, 7]);
  assert.deepEqual([...state.bans.values()], [
    { ip: "1.2.3.4", reason: "spam", at: 5, actor: "admin" },
    { ip: "5.6.7.8", reason: "", at: Date.parse("2026-01-01T00:00:00Z"), actor: "panel" },
  ]);
});

Deno.test("history: one line per entry names what happened and who did it", () => {
  assert.equal(
    describe("ban", { ip: "1.2.3.4", message: "spam", actor: "admin" }),
    "1.2.3.4 · spam · by admin",
  );
  assert.equal(
    describe("serverMessage", { text: "hi", to: { name: "Bob" }, actor: "x" }),
    "to Bob · hi · by x",
  );
  assert.equal(
    describe("countdown", { delay: 3, preCommands: "a", postCommands: "" }),
    "3 s · pre: a",
  );
  assert.equal(describe("speedrunFinish", { time: "12.5", client: { map: "m" } }), "12.5 on m");
  assert.equal(describe("whitelistChange", { action: "add", entry: { name: "A" } }), "add · A");
  assert.equal(describe("unknown", null), "");
});

Deno.test("store: connectedAt comes from the list command; a new client from its event's time", () => {
  const state = createState();
  applySnapshot(state, { clients: [client(1, "Alice")] });
  assert.equal(
    mergeConnectedAt(state, [{ id: 1, connectedAt: "2026-01-01T00:00:00.000Z" }, { id: 9 }]),
    true,
  );
  assert.equal(state.clients.get(1)?.connectedAt, Date.parse("2026-01-01T00:00:00.000Z"));
  assert.equal(
    mergeConnectedAt(state, [{ id: 1, connectedAt: "2026-01-01T00:00:00.000Z" }]),
    false,
  );
  assert.equal(mergeConnectedAt(state, null), false);
  applyEvent(state, "connect", { client: client(2, "Bob") }, 1234);
  assert.equal(state.clients.get(2)?.connectedAt, 1234);
});

Deno.test("history: a time window reads the server's pages until its page is full", async () => {
  // 100 entries, ids 100…1, one a second, newest first, served 10 at a time.
  const all = Array.from({ length: 100 }, (_, i) => ({
    id: 100 - i,
    time: new Date((100 - i) * 1000).toISOString(),
    type: "message",
    data: {},
  }));
  const reads: (number | undefined)[] = [];
  const fetchPage = (before: number | undefined) => {
    reads.push(before);
    const page = all.filter((e) => before === undefined || e.id < before).slice(0, 10);
    return Promise.resolve({ entries: page, next: page.length === 10 ? page[9].id : null });
  };
  // No window: the first page as the server sent it.
  let page = await collectPage(fetchPage, { size: 10 });
  assert.deepEqual(page.entries.map((e) => e.id), [100, 99, 98, 97, 96, 95, 94, 93, 92, 91]);
  assert.equal(page.next, 91);
  // Entries 60…51 only: pages newer than the window are skipped, the read stops at its start.
  reads.length = 0;
  page = await collectPage(fetchPage, { size: 20, from: 51_000, to: 60_000 });
  assert.deepEqual(page.entries.map((e) => e.id), [60, 59, 58, 57, 56, 55, 54, 53, 52, 51]);
  assert.equal(page.next, null);
  assert.deepEqual(reads, [undefined, 91, 81, 71, 61, 51]);
  // A full page inside the window gives the cursor of the next one.
  page = await collectPage(fetchPage, { size: 5, to: 60_000 });
  assert.deepEqual(page.entries.map((e) => e.id), [60, 59, 58, 57, 56]);
  assert.equal(page.next, 56);
  // Reading is bounded: after maxFetches pages the page ends with a cursor to go on.
  page = await collectPage(fetchPage, { size: 50, to: 5_000, maxFetches: 3 });
  assert.deepEqual(page.entries, []);
  assert.equal(page.next, 71);
});

Deno.test("the history filter offers exactly the event types the server records", () => {
  assert.deepEqual(HISTORY_TYPES, [...HISTORY_EVENT_TYPES]);
});

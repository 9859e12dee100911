/**
 * Every plain event reaches plugin handlers with its positional arguments and its typed
 * object, and `respond` in an event answers the client the event is about.
 */
import assert from "node:assert/strict";
import { Header } from "../../src/protocol/mod.ts";
import { nextServerMessage, startTestServer } from "../../testing.ts";
import {
  type IClient,
  on,
  Plugin,
  ServerEvent,
  type ServerEventName,
  type ServerEvents,
} from "../../plugin.ts";
import { eventually } from "../helpers/harness.ts";

/** Records every event as [name, positional arguments, typed object]. */
class Recorder extends Plugin {
  name = "recorder";
  version = "1.0.0";
  authors = ["tests"];
  license = "MIT";
  readonly seen: [ServerEventName, unknown[]][] = [];

  #record(name: ServerEventName, args: unknown[]) {
    this.seen.push([name, args]);
  }

  @on(ServerEvent.ServerStart)
  start(...args: unknown[]) {
    this.#record("serverStart", args);
  }

  @on(ServerEvent.ClientConnected)
  async connected(client: IClient, event: ServerEvents["clientConnected"]["data"]) {
    this.#record("clientConnected", [client, event]);
    await this.respond(`hi ${client.name}`);
  }

  @on(ServerEvent.MapChange)
  map(...args: unknown[]) {
    this.#record("mapChange", args);
  }

  @on(ServerEvent.Taunt)
  taunt(...args: unknown[]) {
    this.#record("taunt", args);
  }

  @on(ServerEvent.CountdownStart)
  countdown(...args: unknown[]) {
    this.#record("countdownStart", args);
  }

  @on(ServerEvent.CountdownGo)
  go(...args: unknown[]) {
    this.#record("countdownGo", args);
  }

  @on(ServerEvent.Ban)
  ban(...args: unknown[]) {
    this.#record("ban", args);
  }

  @on(ServerEvent.AcceptingChange)
  accepting(...args: unknown[]) {
    this.#record("acceptingChange", args);
  }

  @on(ServerEvent.ClientDisconnected)
  disconnected(
    client: IClient,
    reason: string,
    event: ServerEvents["clientDisconnected"]["data"],
  ) {
    this.#record("clientDisconnected", [client.name, reason, event.actor]);
  }

  @on(ServerEvent.ServerStop)
  stop(...args: unknown[]) {
    this.#record("serverStop", args);
  }

  of(name: ServerEventName): unknown[][] {
    return this.seen.filter(([n]) => n === name).map(([, args]) => args);
  }
}

Deno.test("plugin handlers get each event's positional arguments, then its typed object", async () => {
  const recorder = new Recorder();
  const t = await startTestServer({ plugins: [recorder] });
  try {
    assert.deepEqual(recorder.of("serverStart"), [[
      "127.0.0.1",
      t.port,
      { hostname: "127.0.0.1", port: t.port },
    ]]);
    const alice = await t.connect("Alice");
    assert.equal(await nextServerMessage(alice), "hi Alice"); // respond: the client of the event
    const [client, event] = recorder.of("clientConnected")[0] as [IClient, { client: IClient }];
    assert.equal(client.name, "Alice");
    assert.equal(client.id, alice.id);
    assert.equal(event.client, client);
    assert.ok(Object.isFrozen(client));
    alice.changeMap("sp_a1_intro3", 100, 200);
    alice.send({ header: Header.TAUNT, id: alice.id, animation: "wave" });
    await alice.ping();
    await eventually(() => recorder.of("taunt").length === 1);
    const [mapClient, map, mapEvent] = recorder.of("mapChange")[0] as [
      IClient,
      string,
      Record<string, unknown>,
    ];
    assert.equal(mapClient.map, "sp_a1_intro3");
    assert.equal(map, "sp_a1_intro3");
    assert.deepEqual({ ...mapEvent, client: undefined }, {
      client: undefined,
      map: "sp_a1_intro3",
      ticks: 100,
      ticksTotal: 200,
    });
    assert.equal(recorder.of("taunt")[0][1], "wave");
    t.server.startCountdown({ delay: 5, preCommands: "sv_cheats 0" }, "console");
    assert.deepEqual(recorder.of("countdownStart")[0].slice(0, 3), [5, "sv_cheats 0", ""]);
    assert.deepEqual(recorder.of("acceptingChange")[0].slice(0, 2), [false, true]);
    alice.send({ header: Header.COUNTDOWN, id: alice.id, step: 1 });
    await alice.ping();
    await eventually(() => recorder.of("countdownGo").length === 1);
    await t.execute("ban Alice");
    assert.deepEqual(recorder.of("ban")[0].slice(0, 2), [client.ip, "console"]);
    await eventually(() => recorder.of("clientDisconnected").length === 1);
    assert.deepEqual(recorder.of("clientDisconnected")[0], ["Alice", "banned", "console"]);
  } finally {
    await t.stop();
  }
  assert.deepEqual(recorder.of("serverStop"), [[{}]]);
});

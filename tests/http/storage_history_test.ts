/**
 * The SQLite history and the in-memory one answer the HTTP API alike: both record the same
 * real server, and every entry (type, actor, player, payload) must match.
 */
import assert from "node:assert/strict";
import { HISTORY_EVENT_TYPES, type HistoryEntry, MemoryHistory } from "../../src/http/mod.ts";
import { StorageHistory } from "../../src/http/storage_history.ts";
import { Header } from "../../src/protocol/mod.ts";
import { Storage } from "../../src/storage/mod.ts";
import { withServer } from "../helpers/harness.ts";

/** An entry without what differs by nature between two stores: its id and time. */
function comparable(entry: HistoryEntry) {
  const { id: _id, time: _time, ...rest } = entry;
  return rest;
}

Deno.test("StorageHistory answers every recorded event in the shape MemoryHistory does", async () => {
  const dir = await Deno.makeTempDir();
  const storage = Storage.open(`${dir}/ghosting.db`);
  try {
    await withServer({}, async (t) => {
      const memory = new MemoryHistory();
      const detach = memory.attach(t.server);
      storage.attach(t.server);
      const sqlite = new StorageHistory(storage);
      const alice = await t.connect("Alice", { map: "sp_a1_intro1" });
      const bob = await t.connect("Bob", { spectator: true });
      alice.sendMessage("gl hf");
      await t.event("message");
      alice.changeMap("sp_a1_intro2", 10, 20);
      await t.event("mapChange");
      alice.send({ header: Header.SPEEDRUN_FINISH, id: alice.id, time: "1:23.456" });
      await t.event("speedrunFinish");
      t.server.setCountdownSettings({ preCommands: "sv_cheats 0" }, "panel");
      t.server.startCountdown({ delay: 2 }, "panel");
      t.server.setAccepting({ players: true }, "console");
      t.server.sendMessage("welcome", "console");
      t.server.ban({ ip: "198.51.100.4" }, "spam", "panel");
      t.server.ban({ ip: "198.51.100.5" });
      t.server.unban("198.51.100.5", "console");
      t.server.whitelistAdd({ name: "Alice" }, "console");
      t.server.whitelistAdd({ ip: "198.51.100.6" }, "console");
      t.server.setWhitelistEnabled(false, "console");
      t.server.kick({ id: bob.id }, undefined, "panel");
      await bob.closed;
      const left = t.event("disconnect", (e) => e.client.name === "Alice");
      await alice.disconnect();
      await left;
      detach();

      const fromMemory = memory.history({ limit: 500 }).entries;
      const fromSqlite = sqlite.history({ limit: 500 }).entries;
      // The whitelist's full list travels with the event but is not stored per row.
      const strip = (entries: HistoryEntry[]) =>
        entries.map(comparable).map((entry) => {
          if (entry.type !== "whitelistChange") return entry;
          const { whitelist: _whitelist, ...data } = entry.data;
          return { ...entry, data };
        });
      // Every type the store keeps (all but refuse, which hostile clients could flood) occurs.
      assert.deepEqual(
        new Set(fromMemory.map((entry) => entry.type)),
        new Set(HISTORY_EVENT_TYPES.filter((type) => type !== "refuse")),
      );
      assert.deepEqual(strip(fromSqlite), strip(fromMemory));
      // The filters and the finishes agree as well.
      for (
        const query of [
          { limit: 3, type: "ban" },
          { limit: 2, actor: "panel" },
          { limit: 50, player: "Alice" },
        ]
      ) {
        assert.deepEqual(
          sqlite.history(query).entries.map(comparable),
          memory.history(query).entries.map(comparable),
          JSON.stringify(query),
        );
      }
      const finishes = (list: { time: string }[]) => list.map(({ time: _t, ...rest }) => rest);
      assert.deepEqual(
        finishes(sqlite.finishes(undefined, 10)),
        finishes(memory.finishes(undefined, 10)),
      );
      assert.deepEqual(
        sqlite.bans().map(({ time: _t, ...rest }) => rest),
        memory.bans().map(({ time: _t, ...rest }) => rest),
      );
    });
  } finally {
    await storage.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * The SQLite store against real servers and SAR-like clients: admin state survives a restart,
 * history is recorded and queried, old history is pruned, old databases are migrated, and a
 * bad file stops with a message naming `[storage] path`.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { ManualClock } from "../../src/clock.ts";
import { type CommandTable, createCommandTable } from "../../src/admin/mod.ts";
import { Header } from "../../src/protocol/mod.ts";
import { GhostServer } from "../../src/server/mod.ts";
import { ConnectionRefusedError } from "../../src/client/sar_client.ts";
import {
  MIGRATIONS,
  SCHEMA_VERSION,
  Storage,
  storageCommands,
  StorageError,
  type StorageOptions,
} from "../../src/storage/mod.ts";
import { eventually, withServer } from "../helpers/harness.ts";

async function withTempDir(body: (dir: string) => void | Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Opens a store at `ghosting.db` in a fresh temporary directory, runs `body` with it and its
 * path, then closes the store and removes the directory.
 */
async function withStorage(
  options: StorageOptions,
  body: (storage: Storage, path: string) => void | Promise<void>,
): Promise<void> {
  await withTempDir(async (dir) => {
    const path = `${dir}/ghosting.db`;
    const storage = Storage.open(path, options);
    try {
      await body(storage, path);
    } finally {
      await storage.close();
    }
  });
}

/** A command table with the storage commands of `storage`. */
function storageTable(storage: Storage): CommandTable {
  const table = createCommandTable();
  for (const command of storageCommands(storage)) table.register(command);
  return table;
}

/** A server (not started) with `storage` attached. */
function attachedServer(storage: Storage): GhostServer {
  const server = new GhostServer({ hostname: "127.0.0.1", port: 0 });
  storage.attach(server);
  return server;
}

/** A started server with `storage` attached, on 127.0.0.1. */
async function startWith(storage: Storage): Promise<GhostServer> {
  const server = new GhostServer({ hostname: "127.0.0.1", port: 0, closeGraceMs: 200 });
  storage.attach(server);
  await server.start();
  return server;
}

Deno.test("bans, whitelist, accept flags and countdown settings survive a restart", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/ghosting.db`;
    const table = createCommandTable();
    const first = Storage.open(path);
    const server = await startWith(first);
    for (
      const line of [
        "ban ip 203.0.113.7",
        "ban ip ::1",
        "unban ::1",
        "whitelist add name Alice",
        "whitelist add ip 127.0.0.9",
        "whitelist add name Removed",
        "whitelist remove name Removed",
        "whitelist on",
        "refuse spectators",
        "countdown pre sv_cheats 0",
        "countdown post say go",
        "countdown_set 'sv_cheats 0' 'say go' 7",
      ]
    ) await table.execute(line, { server, actor: "console" });
    await server.stop();
    await first.close();

    const second = Storage.open(path);
    const restarted = new GhostServer({ hostname: "127.0.0.1", port: 0 });
    second.attach(restarted);
    try {
      assert.deepEqual(restarted.bannedIps(), ["203.0.113.7"]);
      assert.deepEqual(restarted.whitelist(), {
        enabled: true,
        names: ["Alice"],
        ips: ["127.0.0.9"],
      });
      assert.deepEqual(restarted.accepting(), { players: true, spectators: false });
      assert.deepEqual(restarted.countdownSettings(), {
        delay: 7,
        preCommands: "sv_cheats 0",
        postCommands: "say go",
      });
      const [ban] = second.bans();
      assert.equal(ban.ip, "203.0.113.7");
      assert.equal(ban.actor, "console");
      assert.ok(Math.abs(Date.parse(ban.time) - Date.now()) < 60_000);
    } finally {
      await second.close();
    }
  });
});

Deno.test("a restored ban and whitelist refuse real clients; a countdown's refusal persists too", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/ghosting.db`;
    const first = Storage.open(path);
    await withServer({}, async (t) => {
      first.attach(t.server);
      const griefer = await t.connect("Griefer", { localAddress: "127.0.0.50" });
      t.server.ban({ ip: "127.0.0.50" }, "griefing", "console");
      await griefer.closed;
      t.server.startCountdown({ delay: 0 }, "console");
    });
    await first.close();
    const second = Storage.open(path);
    try {
      assert.equal(second.bans()[0].reason, "griefing");
      await withServer({}, async (t) => {
        second.attach(t.server);
        assert.deepEqual(t.server.accepting(), { players: false, spectators: true });
        t.server.setAccepting({ players: true }, "console");
        await assert.rejects(
          t.connect("Banned", { localAddress: "127.0.0.50" }),
          ConnectionRefusedError,
        );
        const ok = await t.connect("Welcome");
        assert.ok(ok.id > 0);
      });
    } finally {
      await second.close();
    }
  });
});

Deno.test("history records what real clients and admins did; history and finishes commands show it", async () => {
  await withStorage({}, async (storage) => {
    const table = storageTable(storage);
    await withServer({}, async (t) => {
      storage.attach(t.server);
      const alice = await t.connect("Alice", { map: "sp_a1_intro1" });
      const bob = await t.connect("Bob");
      alice.sendMessage("gl hf");
      await t.event("message");
      bob.changeMap("sp_a1_intro2");
      await t.event("mapChange");
      alice.send({ header: Header.SPEEDRUN_FINISH, id: alice.id, time: "1:23.456" });
      bob.send({ header: Header.SPEEDRUN_FINISH, id: bob.id, time: "59.001" });
      await t.event("speedrunFinish", ({ client }) => client.name === "Bob");
      await table.execute("countdown start 3", { server: t.server, actor: "console" });
      await table.execute("kick Bob", { server: t.server, actor: "console" });
      const types = storage.history({ limit: 100 }).map((entry) => entry.type).reverse();
      assert.deepEqual(types, [
        "connect",
        "connect",
        "chat",
        "map",
        "finish",
        "finish",
        "countdown",
        "accepting",
        "disconnect",
      ]);
      const [kicked] = storage.history({ type: "disconnect" });
      assert.equal(kicked.player?.name, "Bob");
      assert.equal(kicked.actor, "console");
      assert.deepEqual(kicked.detail, { reason: "kicked" });
      assert.equal(storage.history({ player: "Alice", type: "chat" })[0].detail, "gl hf");
      assert.deepEqual(storage.history({ limit: 2, offset: 1 }).map((e) => e.type), [
        "accepting",
        "countdown",
      ]);
      assert.equal(storage.history({ since: Date.now() + 60_000 }).length, 0);

      const finishes = storage.finishes("sp_a1_intro1");
      assert.equal(finishes.length, 1);
      assert.equal(finishes[0].player.name, "Alice");
      assert.equal(finishes[0].finishTime, "1:23.456");
      assert.deepEqual(storage.finishes().map((f) => f.map), ["sp_a1_intro2", "sp_a1_intro1"]);

      const context = { server: t.server, actor: "console" };
      const history = (await table.execute("history 3", context)).text.split("\n");
      assert.equal(history.length, 3);
      assert.match(
        history[2],
        /disconnect +Bob \(\d+\) @ 127\.0\.0\.\d+ left \(kicked\) by console/,
      );
      const text = (await table.execute("finishes sp_a1_intro1", context)).text;
      assert.match(text, /sp_a1_intro1 +1:23\.456 +Alice/);
      assert.doesNotMatch(text, /Bob/);
      assert.equal(
        (await table.execute("finishes sp_a2_laser_intro", context)).text,
        "No finishes on sp_a2_laser_intro",
      );
    });
  });
});

Deno.test("history query arguments are checked", async () => {
  await withStorage({}, (storage) => {
    assert.throws(() => storage.history({ limit: 0 }), RangeError);
    assert.throws(() => storage.history({ limit: 1001 }), RangeError);
    assert.throws(() => storage.history({ offset: -1 }), RangeError);
    assert.throws(() => storage.history({ since: "yesterday-ish" }), RangeError);
    // deno-lint-ignore no-explicit-any -- an unknown type, as an HTTP query could send
    assert.throws(() => storage.history({ type: "nope" as any }), /Unknown history type "nope"/);
  });
});

Deno.test("history is written in batches by a timer, not on the event", async () => {
  const clock = new ManualClock();
  await withStorage({ clock, flushIntervalMs: 1000 }, (storage, path) => {
    const reader = new DatabaseSync(path);
    const count = () =>
      (reader.prepare("SELECT count(*) AS n FROM history").get() as { n: number }).n;
    try {
      const server = attachedServer(storage);
      for (let i = 0; i < 5; i++) server.sendMessage(`line ${i}`, "console");
      assert.equal(count(), 0);
      clock.advance(1000);
      assert.equal(count(), 5);
    } finally {
      reader.close();
    }
  });
});

Deno.test("history older than history_days is pruned in the background", async () => {
  let now = Date.parse("2026-01-01T00:00:00Z");
  const clock = new ManualClock();
  await withStorage(
    { historyDays: 2, now: () => now, clock, pruneIntervalMs: 60_000 },
    (storage) => {
      const server = attachedServer(storage);
      server.sendMessage("old", "console");
      storage.flush();
      now += 3 * 24 * 60 * 60 * 1000;
      server.sendMessage("new", "console");
      storage.flush();
      assert.equal(storage.history().length, 2);
      clock.advance(60_000); // the background pruning round
      assert.deepEqual(storage.history().map((entry) => entry.detail), ["new"]);
    },
  );
});

Deno.test("an older database is migrated, keeping its data", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/ghosting.db`;
    const old = new DatabaseSync(path);
    old.exec(MIGRATIONS[0].sql);
    old.exec("PRAGMA user_version = 1");
    old.prepare("INSERT INTO bans (ip, reason, banned_at, actor) VALUES (?, ?, ?, ?)")
      .run("198.51.100.1", null, 1_700_000_000_000, "console");
    old.close();
    const storage = Storage.open(path);
    try {
      assert.equal(storage.version, SCHEMA_VERSION);
      assert.deepEqual(storage.bans().map((ban) => ban.ip), ["198.51.100.1"]);
      const server = attachedServer(storage);
      server.sendMessage("history works", "console");
      assert.equal(storage.history()[0].detail, "history works");
    } finally {
      await storage.close();
    }
  });
});

Deno.test("a database from a newer version, a corrupt file or an unusable path stops with [storage] path and the fix", async () => {
  await withTempDir(async (dir) => {
    const newer = `${dir}/newer.db`;
    const db = new DatabaseSync(newer);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    assert.throws(() => Storage.open(newer), (error) => {
      assert.ok(error instanceof StorageError);
      assert.match(error.message, /^\[storage\] path ".*newer\.db": .*newer than this server's/);
      return true;
    });

    const corrupt = `${dir}/corrupt.db`;
    await Deno.writeTextFile(corrupt, "this is not SQLite ".repeat(400));
    assert.throws(() => Storage.open(corrupt), (error) => {
      assert.ok(error instanceof StorageError);
      assert.match(error.message, /^\[storage\] path ".*corrupt\.db": file is not a database/);
      assert.match(error.message, /move it aside/);
      return true;
    });

    assert.throws(() => Storage.open(dir), /^StorageError: \[storage\] path ".*" is a directory/);

    const file = `${dir}/plain-file`;
    await Deno.writeTextFile(file, "");
    assert.throws(() => Storage.open(`${file}/ghosting.db`), (error) => {
      assert.ok(error instanceof StorageError);
      assert.match(error.message, /^\[storage\] path ".*plain-file\/ghosting\.db": /);
      assert.match(error.message, /set \[storage\] path \(or --data\)/);
      return true;
    });
  });
});

Deno.test("history rows are bounded: long chat is clipped when stored", async () => {
  await withStorage({}, (storage) => {
    const server = attachedServer(storage);
    server.sendMessage("x".repeat(5000), "console");
    const stored = storage.history()[0].detail as string;
    assert.equal(stored.length, 513);
    assert.ok(stored.endsWith("…"));
  });
});

Deno.test("checkpoints run in the worker, not in the server thread's commits", async () => {
  await withTempDir(async (dir) => {
    const clock = new ManualClock();
    const path = `${dir}/ghosting.db`;
    const storage = Storage.open(path, { clock });
    try {
      const server = attachedServer(storage);
      // Far more than SQLite's automatic checkpoint threshold (1000 pages, 4 MiB).
      for (let i = 0; i < 30_000; i++) {
        server.sendMessage(`${i} ${"x".repeat(200)}`, "console");
        if (i % 5000 === 4999) { while (storage.flush() > 0); }
      }
      const size = () => Deno.statSync(path).size;
      assert.ok(Deno.statSync(`${path}-wal`).size > 4 * 1024 * 1024);
      assert.ok(size() < 256 * 1024, `the server's commits checkpointed: ${size()} bytes`);
      clock.advance(10_000); // the worker's turn
      await eventually(() => size() > 4 * 1024 * 1024, 10_000);
      assert.equal(storage.history({ limit: 1 })[0].detail, `29999 ${"x".repeat(200)}`);
    } finally {
      await storage.close();
    }
    const wal = await Deno.stat(`${path}-wal`).catch(() => undefined);
    assert.ok(!wal || wal.size === 0, "close leaves no log behind");
  });
});

Deno.test("a small write-ahead log is left alone: no checkpoint worker for it", async () => {
  const clock = new ManualClock();
  await withStorage({ clock }, async (storage, path) => {
    const server = attachedServer(storage);
    server.sendMessage("hello", "console");
    while (storage.flush() > 0);
    const before = Deno.statSync(path).size;
    assert.ok(Deno.statSync(`${path}-wal`).size > 0);
    clock.advance(10_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(Deno.statSync(path).size, before, "a checkpoint copied a small log");
  });
});

Deno.test("history pages by id (before) and filters by actor, with an index for the actor", async () => {
  await withStorage({}, (storage, path) => {
    const server = attachedServer(storage);
    for (let i = 0; i < 5; i++) server.sendMessage(`panel ${i}`, "panel");
    server.sendMessage("from the console", "console");
    server.ban({ ip: "198.51.100.9" }, "spam", "panel");
    const mine = storage.history({ actor: "panel", limit: 3 });
    assert.deepEqual(mine.map((e) => e.detail), ["spam", "panel 4", "panel 3"]);
    const next = storage.history({ actor: "panel", limit: 3, before: mine[2].id });
    assert.deepEqual(next.map((e) => e.detail), ["panel 2", "panel 1", "panel 0"]);
    assert.deepEqual(storage.history({ actor: "panel", before: next[2].id }), []);
    assert.deepEqual(storage.history({ actor: "nobody" }), []);
    assert.throws(() => storage.history({ before: 0 }), /before must be a row id/);
    const db = new DatabaseSync(path);
    try {
      // Each filter's page is read in id order from an index: no sort of every matching row.
      const plan = (where: string, ...params: (string | number)[]) =>
        db.prepare(
          `EXPLAIN QUERY PLAN SELECT * FROM history WHERE ${where} AND id < ? ORDER BY id DESC LIMIT 3`,
        ).all(...params, 100).map((row) => (row as { detail: string }).detail).join("\n");
      for (
        const [where, value, index] of [
          ["actor = ?", "panel", "history_actor"],
          ["type IN (?)", "chat", "history_type"],
          ["player_name = ?", "Alice", "history_player"],
          ["type = 'finish' AND map = ?", "sp_a1_intro1", "history_finish_map"],
        ]
      ) {
        const shown = plan(where, value);
        assert.match(shown, new RegExp(`USING INDEX ${index} \\(`), `${where}: ${shown}`);
        assert.doesNotMatch(shown, /TEMP B-TREE/, `${where}: ${shown}`);
      }
    } finally {
      db.close();
    }
  });
});

Deno.test("a finish a plugin reports adds its place to the server's row, or is stored alone", async () => {
  await withStorage({}, async (storage) => {
    const table = storageTable(storage);
    await withServer({}, async (t) => {
      storage.attach(t.server);
      const alice = await t.connect("Alice", { map: "sp_a1_intro1" });
      alice.send({ header: Header.SPEEDRUN_FINISH, id: alice.id, time: "13.000" });
      await t.event("speedrunFinish");
      storage.recordFinish(
        { map: "sp_a1_intro1", name: "Alice", time: "13.000", place: 1 },
        "race-helper",
      );
      // Reported by a plugin alone (no such run from the server): a row of its own.
      storage.recordFinish(
        { map: "sp_a1_intro1", name: "Ghost", time: "9.999", place: 2 },
        "race-helper",
      );
      assert.deepEqual(
        storage.finishes("sp_a1_intro1").map((
          f,
        ) => [f.player.name, f.player.id, f.finishTime, f.place]),
        [["Ghost", null, "9.999", 2], ["Alice", alice.id, "13.000", 1]],
      );
      const [row] = storage.history({ type: "finish", player: "Alice" });
      assert.equal(row.actor, "race-helper");
      const text = (await table.execute("finishes", { server: t.server, actor: "console" })).text;
      assert.match(
        text,
        /sp_a1_intro1 +13\.000 +Alice \(\d+\) place 1\n.*9\.999 +Ghost place 2$/,
      );
      const history = (await table.execute("history 2", { server: t.server, actor: "console" }))
        .text;
      assert.match(history, /Ghost finished sp_a1_intro1 in 9\.999 \(place 2\) by race-helper$/);
      assert.throws(
        () => storage.recordFinish({ map: "m", name: "", time: "1" }, "p"),
        /needs a name/,
      );
      assert.throws(
        () => storage.recordFinish({ map: "m", name: "n", time: "1", place: 0 }, "p"),
        RangeError,
      );
    });
  });
});

Deno.test("a version 2 database gains the actor index and keeps its history", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/ghosting.db`;
    const old = new DatabaseSync(path);
    old.exec(MIGRATIONS[0].sql);
    old.exec(MIGRATIONS[1].sql);
    old.exec("PRAGMA user_version = 2");
    old.prepare("INSERT INTO history (time, type, ip, actor, detail) VALUES (?, 'ban', ?, ?, ?)")
      .run(1_700_000_000_000, "198.51.100.1", "console", JSON.stringify("old ban"));
    old.close();
    const storage = Storage.open(path);
    try {
      assert.equal(storage.version, 3);
      assert.deepEqual(storage.history({ actor: "console" }).map((e) => e.detail), ["old ban"]);
    } finally {
      await storage.close();
    }
  });
});

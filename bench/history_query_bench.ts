/**
 * History pages as `/api/v1/history` and `finishes` ask for them, on a 500 000-row history
 * (in memory), with the indexes of schema version 2 and of the current schema. These queries
 * run on the server's thread, so a page must not cost a sort of every matching row. Run with
 * `deno task bench`.
 */
import { DatabaseSync } from "node:sqlite";
import { MIGRATIONS, SCHEMA_VERSION } from "../src/storage/mod.ts";

const ROWS = 500_000;
const TYPES = ["connect", "disconnect", "chat", "map", "finish"];

function history(version: number): DatabaseSync {
  const db = new DatabaseSync(":memory:");
  for (const migration of MIGRATIONS.slice(0, version)) db.exec(migration.sql);
  const insert = db.prepare(
    `INSERT INTO history (time, type, player_id, player_name, ip, map, actor, detail)
     VALUES (?, ?, ?, ?, '127.0.0.1', ?, ?, '"1.0"')`,
  );
  db.exec("BEGIN");
  for (let i = 0; i < ROWS; i++) {
    insert.run(
      1_700_000_000_000 + i * 1000,
      TYPES[i % TYPES.length],
      i % 1000,
      `p${i % 1000}`,
      `map${i % 20}`,
      i % 50 === 0 ? "console" : null,
    );
  }
  db.exec("COMMIT");
  return db;
}

const QUERIES: [string, string, (string | number)[]][] = [
  ["a page of one type", "type IN (?) AND id < ?", ["chat", ROWS]],
  ["a page of one player", "player_name = ? AND id < ?", ["p7", ROWS]],
  ["a page of one actor", "actor = ? AND id < ?", ["console", ROWS]],
  ["the finishes on one map", "type = 'finish' AND map = ?", ["map4"]],
];

for (const version of [2, SCHEMA_VERSION]) {
  const db = history(version);
  for (const [name, where, params] of QUERIES) {
    const statement = db.prepare(`SELECT * FROM history WHERE ${where} ORDER BY id DESC LIMIT 51`);
    Deno.bench({
      name: `${name}, schema ${version}`,
      group: name,
      baseline: version === SCHEMA_VERSION,
      fn: () => void statement.all(...params),
    });
  }
}

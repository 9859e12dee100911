/**
 * The database schema, as numbered migrations. SQLite's `user_version` holds the number of
 * migrations applied; opening a database applies the missing ones in one transaction each.
 * Never edit a released migration: add the next one.
 *
 * @module
 */

/** One schema step: the SQL that takes a database from version `index` to `index + 1`. */
export interface Migration {
  /** What the step adds, for error messages. */
  name: string;
  /** Statements run in one transaction. */
  sql: string;
}

/** Every migration, oldest first; the schema version is their count. */
export const MIGRATIONS: readonly Migration[] = [
  {
    name: "admin state",
    sql: `
      CREATE TABLE bans (
        ip TEXT PRIMARY KEY,
        reason TEXT,
        banned_at INTEGER NOT NULL,
        actor TEXT NOT NULL
      );
      CREATE TABLE whitelist (
        kind TEXT NOT NULL CHECK (kind IN ('name', 'ip')),
        value TEXT NOT NULL,
        added_at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        PRIMARY KEY (kind, value)
      );
      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
  {
    name: "event history",
    sql: `
      CREATE TABLE history (
        id INTEGER PRIMARY KEY,
        time INTEGER NOT NULL,
        type TEXT NOT NULL,
        player_id INTEGER,
        player_name TEXT,
        ip TEXT,
        map TEXT,
        actor TEXT,
        detail TEXT
      );
      CREATE INDEX history_time ON history (time);
      CREATE INDEX history_type_time ON history (type, time);
      CREATE INDEX history_player_time ON history (player_name, time);
      CREATE INDEX history_finish_map ON history (map, time) WHERE type = 'finish';
    `,
  },
  {
    name: "history indexes in id order",
    // Pages are newest first by id. An index on (column) ends with the row id, so
    // `column = ? [AND id < ?] ORDER BY id DESC LIMIT n` reads n entries and stops; the
    // (column, time) indexes of version 2 made SQLite sort every matching row first (96 ms for
    // one type in a million rows, on the server's thread). Most rows (joins, chat, maps) have no
    // actor: that index is partial, and stays small.
    sql: `
      DROP INDEX history_type_time;
      DROP INDEX history_player_time;
      DROP INDEX history_finish_map;
      CREATE INDEX history_type ON history (type);
      CREATE INDEX history_player ON history (player_name);
      CREATE INDEX history_finish_map ON history (map) WHERE type = 'finish';
      CREATE INDEX history_actor ON history (actor) WHERE actor IS NOT NULL;
    `,
  },
];

/** The schema version this code writes. */
export const SCHEMA_VERSION: number = MIGRATIONS.length;

/**
 * State that survives restarts, in SQLite (`node:sqlite`): bans with reason, time and actor,
 * the whitelist and its on/off state, accept flags, countdown settings, and an event history
 * with retention. The store is one more listener of the server's events.
 *
 * The query API for other surfaces (an HTTP API, plugins): {@linkcode Storage.history},
 * {@linkcode Storage.finishes}, {@linkcode Storage.bans}, {@linkcode Storage.state}.
 *
 * @example
 * ```ts
 * import { createCommandTable } from "../admin/mod.ts";
 * import { GhostServer } from "../server/mod.ts";
 * import { Storage, storageCommands } from "./mod.ts";
 *
 * const storage = Storage.open(await Deno.makeTempFile({ suffix: ".db" }));
 * const server = new GhostServer({ port: 0 });
 * storage.attach(server);
 * const table = createCommandTable();
 * for (const command of storageCommands(storage)) table.register(command);
 * await server.start();
 * console.log(storage.history({ limit: 10, type: ["connect", "disconnect"] }));
 * console.log((await table.execute("finishes sp_a1_intro1", { server, actor: "console" })).text);
 * await server.stop();
 * await storage.close();
 * ```
 *
 * @module
 */
export {
  type BanRecord,
  type FinishRecord,
  HISTORY_TYPES,
  type HistoryEntry,
  type HistoryQuery,
  type HistoryType,
  type ReportedFinish,
  Storage,
  STORAGE_ACTOR,
  StorageError,
  type StorageOptions,
  type StoredState,
} from "./storage.ts";
export { storageCommands } from "./commands.ts";
export { type Migration, MIGRATIONS, SCHEMA_VERSION } from "./migrations.ts";

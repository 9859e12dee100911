/**
 * Moves WAL checkpoints (copying the write-ahead log into the database file, with its fsync)
 * off the server's thread: the store's own connection never checkpoints, this worker's
 * connection does, on request. Messages in: `{ path }` (open), `"checkpoint"`, `"close"`;
 * out: `{ checkpointed: { busy, log, checkpointed } }`, `{ closed: true }` or `{ error }`.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";

// Typed by hand: a `lib` reference here would change the globals of every checked file.
const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
  close(): void;
};

let db: DatabaseSync | undefined;

scope.onmessage = ({ data }: MessageEvent) => {
  try {
    if (typeof data === "object" && data !== null && "path" in data) {
      db = new DatabaseSync(String(data.path));
      db.exec("PRAGMA busy_timeout = 5000");
    } else if (data === "checkpoint" && db) {
      // PASSIVE never waits for the server's connection: what cannot be copied now is later.
      const result = db.prepare("PRAGMA wal_checkpoint(PASSIVE)").get();
      scope.postMessage({ checkpointed: result });
    } else if (data === "close") {
      db?.close();
      db = undefined;
      scope.postMessage({ closed: true });
      scope.close();
    }
  } catch (error) {
    scope.postMessage({ error: String(error) });
  }
};

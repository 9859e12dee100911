/**
 * Moves a WAL checkpoint (copying the write-ahead log into the database file, with its fsync)
 * off the server's thread: the store's own connection never checkpoints; this worker opens
 * the database, checkpoints once and ends. Message in: `{ path }`; out:
 * `{ checkpointed: { busy, log, checkpointed } }` or `{ error }`.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";

// Typed by hand: a `lib` reference here would change the globals of every checked file.
const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
};

scope.onmessage = ({ data }: MessageEvent) => {
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(String(data.path));
    db.exec("PRAGMA busy_timeout = 5000");
    // PASSIVE never waits for the server's connection: what cannot be copied now is later.
    const result = db.prepare("PRAGMA wal_checkpoint(PASSIVE)").get();
    scope.postMessage({ checkpointed: result });
  } catch (error) {
    scope.postMessage({ error: String(error) });
  } finally {
    db?.close();
  }
};

/**
 * The hot path of every tick: one bulk UPDATE encoding for everyone (docs/protocol.md §3.10).
 * Run with `deno task bench`.
 */
import { BulkUpdateEncoder } from "../src/protocol/mod.ts";

function lobby(count: number) {
  return Array.from({ length: count }, (_, i) => {
    const pose = new Uint8Array(25);
    new DataView(pose.buffer).setFloat32(0, i, true);
    return { id: i + 1, pose };
  });
}

for (const count of [10, 100, 1000]) {
  const clients = lobby(count);
  const oneDatagram = new BulkUpdateEncoder(0);
  const split = new BulkUpdateEncoder(1200);
  Deno.bench({
    name: `bulk UPDATE encode, ${count} clients, one datagram`,
    group: `bulk ${count}`,
    baseline: true,
    fn: () => void oneDatagram.encode(clients, count),
  });
  Deno.bench({
    name: `bulk UPDATE encode, ${count} clients, split at 1200 bytes`,
    group: `bulk ${count}`,
    fn: () => void split.encode(clients, count),
  });
}

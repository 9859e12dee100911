/**
 * Strings as big as a raised `max_frame_bytes` allows, with invalid bytes, over real sockets:
 * once such a name overflowed the stack when the server encoded it into the next connect
 * reply, and every later join failed.
 */
import assert from "node:assert/strict";
import { decodeText, encodeText } from "../../src/protocol/mod.ts";
import { withServer } from "../helpers/harness.ts";

Deno.test("a 300 KB name with invalid bytes reaches later joiners byte for byte", async () => {
  const bytes = new Uint8Array(300_000);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = i === 10 || i === 150_000 ? 0xfe : 0x61 + (i % 26);
  }
  const name = decodeText(bytes);
  await withServer(
    { maxFrameBytes: 1024 * 1024, maxWriteQueueBytes: 4 * 1024 * 1024 },
    async (t) => {
      await t.connect(name);
      for (const joiner of ["First", "Second"]) {
        const client = await t.connect(joiner);
        const ghost = client.ghosts.find((g) => g.name.length > 1000);
        assert.ok(ghost, `${joiner} was not told of the big name`);
        assert.deepStrictEqual(encodeText(ghost.name), bytes);
      }
    },
  );
});

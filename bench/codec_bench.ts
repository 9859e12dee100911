/** Decoding client input: TCP framing throughput and CONNECT. Run with `deno task bench`. */
import {
  decodeClientPacket,
  encodeClientPacket,
  encodeFrame,
  FrameDecoder,
  Header,
  zeroDataGhost,
} from "../src/protocol/mod.ts";
import { vector } from "../tests/helpers/vectors.ts";

// 64 KiB of back-to-back UPDATE frames, as TCP-only clients send them, read in 8 KiB chunks
// (the server's read size), so split frames are part of the work.
const update = encodeFrame(
  encodeClientPacket({ header: Header.UPDATE, id: 1, data: zeroDataGhost() }),
);
const frames = Math.floor(65536 / update.length);
const stream = new Uint8Array(frames * update.length);
for (let i = 0; i < frames; i++) stream.set(update, i * update.length);
const decoder = new FrameDecoder();
let delivered = 0;
const count = () => void delivered++;

Deno.bench({
  name: `frame decoding: ${frames} UPDATE frames (${stream.length} bytes) in 8 KiB reads`,
  fn: () => {
    for (let at = 0; at < stream.length; at += 8192) {
      decoder.push(stream.subarray(at, Math.min(at + 8192, stream.length)), count);
    }
  },
});

const connect = vector("V1").payload;
Deno.bench({
  name: "CONNECT decode (vector V1)",
  fn: () => void decodeClientPacket(connect),
});

import assert from "node:assert/strict";
import { encodeFrame, FrameDecoder, ProtocolError } from "../../src/protocol/mod.ts";
import { bytesToHex, vector } from "../helpers/vectors.ts";

function collect(decoder: FrameDecoder, chunks: Uint8Array[]): string[] {
  const frames: string[] = [];
  for (const chunk of chunks) {
    decoder.push(chunk, (payload) => void frames.push(bytesToHex(payload)));
  }
  return frames;
}

const message = vector("V9a");
const update = vector("V5b");
const voice = vector("V17b");
const stream = new Uint8Array([...message.frame, ...update.frame, ...voice.frame]);
const expected = [message, update, voice].map((v) => bytesToHex(v.payload));

Deno.test("frame decoder delivers coalesced frames one by one", () => {
  assert.deepEqual(collect(new FrameDecoder(), [stream]), expected);
});

Deno.test("frame decoder reassembles frames split at every possible byte", () => {
  for (let cut = 1; cut < stream.length; cut++) {
    const decoder = new FrameDecoder();
    assert.deepEqual(collect(decoder, [stream.subarray(0, cut), stream.subarray(cut)]), expected);
    assert.equal(decoder.bufferedBytes, 0);
  }
});

Deno.test("frame decoder reassembles a stream fed one byte at a time", () => {
  const decoder = new FrameDecoder();
  const chunks = Array.from(stream, (byte) => new Uint8Array([byte]));
  assert.deepEqual(collect(decoder, chunks), expected);
});

Deno.test("frame decoder holds half a frame without delivering it", () => {
  const decoder = new FrameDecoder();
  assert.deepEqual(collect(decoder, [message.frame.subarray(0, 7)]), []);
  assert.equal(decoder.bufferedBytes, 7);
});

Deno.test("frame decoder delivers an empty frame as an empty payload", () => {
  assert.deepEqual(collect(new FrameDecoder(), [new Uint8Array(4)]), [""]);
});

Deno.test("frame decoder rejects a 0xFFFFFFFF length as soon as the prefix arrives", () => {
  const decoder = new FrameDecoder(65536);
  assert.throws(
    () => decoder.push(new Uint8Array([0xff, 0xff, 0xff, 0xff]), () => {}),
    (error) => error instanceof ProtocolError && error.code === "frame_too_large",
  );
});

Deno.test("frame decoder accepts a frame of exactly the limit and rejects one byte more", () => {
  const decoder = new FrameDecoder(16);
  assert.deepEqual(collect(decoder, [encodeFrame(new Uint8Array(16))]).length, 1);
  assert.throws(
    () => decoder.push(encodeFrame(new Uint8Array(17)), () => {}),
    (error) => error instanceof ProtocolError && error.code === "frame_too_large",
  );
});

Deno.test("frame decoder stops when the callback returns false", () => {
  const decoder = new FrameDecoder();
  const frames: number[] = [];
  decoder.push(stream, (payload) => {
    frames.push(payload.length);
    return false;
  });
  assert.deepEqual(frames, [message.payload.length]);
  assert.equal(decoder.bufferedBytes, 0);
});

Deno.test("frame decoder refuses a nonsensical limit", () => {
  assert.throws(() => new FrameDecoder(0), RangeError);
  assert.throws(() => new FrameDecoder(1.5), RangeError);
});

/**
 * How a load client stamps its send time into the pose of an UPDATE, so that every receiver
 * of the bulk update can tell how old that pose is.
 *
 * The time is `Date.now()` split in two integers that a float32 holds exactly (any integer
 * below 2^24 is exact): position x = ms mod 2^24, position y = floor(ms / 2^24). Position z
 * is a fixed marker so that poses of other clients (a real SAR on the same server, or a load
 * client that has not sent its first UPDATE yet and still has the all-zero CONNECT pose) are
 * recognised and skipped.
 *
 * @module
 */

/** 2^24: the first integer a float32 cannot hold exactly next to its neighbour. */
const SPLIT = 16_777_216;

/** Position z of every stamped pose; exact in float32 and unlikely in a real map. */
export const SEND_TIME_MARKER = 1234.5;

/** Packed DataGhost byte of load clients: grounded, view offset 64 (standing). */
export const LOAD_PACKED_BYTE = 0xc0;

/**
 * Writes the stamped pose (25 bytes) at `offset`: position (x, y, marker), angles zero, the
 * packed byte.
 */
export function writeStampedPose(view: DataView, offset: number, nowMs: number): void {
  stampSendTime(view, offset, nowMs);
  view.setFloat32(offset + 8, SEND_TIME_MARKER, true);
  for (let i = 12; i < 24; i++) view.setUint8(offset + i, 0);
  view.setUint8(offset + 24, LOAD_PACKED_BYTE);
}

/** Rewrites only the time of a pose written by {@linkcode writeStampedPose} (the hot path). */
export function stampSendTime(view: DataView, offset: number, nowMs: number): void {
  view.setFloat32(offset, nowMs % SPLIT, true);
  view.setFloat32(offset + 4, Math.floor(nowMs / SPLIT), true);
}

/**
 * The send time stamped in the pose at `offset`, or -1 when the pose carries no stamp (no
 * marker). Reads three floats; allocates nothing.
 */
export function readSendTime(view: DataView, offset: number): number {
  if (view.getFloat32(offset + 8, true) !== SEND_TIME_MARKER) return -1;
  return view.getFloat32(offset + 4, true) * SPLIT + view.getFloat32(offset, true);
}

/**
 * DataGhost constants and the packed view-offset/grounded byte (PROTOCOL.md §1.1).
 *
 * @module
 */
import type { DataGhost } from "./types.ts";

/** Size of a DataGhost on the wire. */
export const DATA_GHOST_BYTES = 25;

/** The model SAR uses until `ghost_prop_model` changes it. */
export const DEFAULT_MODEL = "models/props/food_can/food_can_open.mdl";

/** Packs eye height and grounded into one byte, as SAR and the C++ server do (C-style truncation). */
export function packViewOffset(viewOffset: number, grounded: boolean): number {
  // `& 0x7f` after ToInt32 matches the C cast for every value SAR sends; NaN becomes 0 as on x86.
  return (Math.trunc(viewOffset) & 0x7f) | (grounded ? 0x80 : 0);
}

/** A DataGhost at the origin, as SAR puts in every CONNECT. */
export function zeroDataGhost(): DataGhost {
  return {
    position: { x: 0, y: 0, z: 0 },
    viewAngle: { x: 0, y: 0, z: 0 },
    viewOffset: 0,
    grounded: false,
  };
}

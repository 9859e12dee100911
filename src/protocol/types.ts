/**
 * Value types carried by packets (PROTOCOL.md §1.1).
 *
 * @module
 */

/** Three little-endian f32 values: a position, a direction, or (pitch, yaw, roll) angles. */
export interface Vec3 {
  x: number;
  y: number;
  z: number;
}

/** A ghost colour: three bytes on the wire, no alpha. */
export interface Color {
  r: number;
  g: number;
  b: number;
}

/**
 * A ghost's pose: 25 bytes on the wire (position, view angles, one packed byte holding the
 * eye height in its low 7 bits and "grounded" in its top bit).
 */
export interface DataGhost {
  position: Vec3;
  viewAngle: Vec3;
  /** Eye height above the origin; the wire keeps `trunc(value) & 0x7f`, so 0…127 after a round trip. */
  viewOffset: number;
  grounded: boolean;
}

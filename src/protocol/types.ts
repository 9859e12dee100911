/**
 * Value types carried by packets (docs/protocol.md §1.1).
 *
 * @module
 */

/**
 * Three little-endian f32 values: a position, a direction, or (pitch, yaw, roll) angles.
 *
 * @example
 * ```ts
 * import type { GhostServer, Vec3 } from "@ghosting/server";
 *
 * const format = ({ x, y, z }: Vec3) => `${x.toFixed(0)} ${y.toFixed(0)} ${z.toFixed(0)}`;
 *
 * function logLocators(server: GhostServer) {
 *   server.on("locator", ({ client, position }) => {
 *     console.log(`${client.name} pinged ${format(position)} on ${client.map}`);
 *   });
 * }
 * ```
 */
export interface Vec3 {
  /** First component: x, or pitch for angles. */
  x: number;
  /** Second component: y, or yaw for angles. */
  y: number;
  /** Third component: z, or roll for angles. */
  z: number;
}

/**
 * A ghost colour: three bytes on the wire, no alpha.
 *
 * @example
 * ```ts
 * import type { Color, GhostServer } from "@ghosting/server";
 *
 * const hex = ({ r, g, b }: Color) =>
 *   "#" + [r, g, b].map((byte) => byte.toString(16).padStart(2, "0")).join("");
 *
 * function logColors(server: GhostServer) {
 *   server.on("colorChange", ({ client, color }) => {
 *     console.log(`${client.name} is now ${hex(color)}`);
 *   });
 * }
 * ```
 */
export interface Color {
  /** Red, 0 to 255. */
  r: number;
  /** Green, 0 to 255. */
  g: number;
  /** Blue, 0 to 255. */
  b: number;
}

/**
 * A ghost's pose: 25 bytes on the wire (position, view angles, one packed byte holding the
 * eye height in its low 7 bits and "grounded" in its top bit).
 *
 * @example
 * ```ts
 * import { type DataGhost, encodeClientPacket, Header } from "@ghosting/server";
 *
 * const pose: DataGhost = {
 *   position: { x: -1024, y: 512, z: 64 },
 *   viewAngle: { x: 0, y: 90, z: 0 },
 *   viewOffset: 64,
 *   grounded: true,
 * };
 * const update = encodeClientPacket({ header: Header.UPDATE, id: 3, data: pose });
 * console.log(update.length); // 30
 * ```
 */
export interface DataGhost {
  /** The player's origin, in world units. */
  position: Vec3;
  /** View angles in degrees: pitch, yaw, roll. */
  viewAngle: Vec3;
  /** Eye height above the origin; the wire keeps `trunc(value) & 0x7f`, so 0…127 after a round trip. */
  viewOffset: number;
  /** Whether the player stands on the ground; sent in the packed byte's top bit. */
  grounded: boolean;
}

/**
 * DataGhost constants and the packed view-offset/grounded byte (docs/protocol.md §1.1).
 *
 * @module
 */
import type { DataGhost } from "./types.ts";

/**
 * Size of a DataGhost on the wire. Poses are stored and relayed as raw bytes of this size, so
 * buffers for them are allocated with it.
 *
 * @example
 * ```ts
 * import { DATA_GHOST_BYTES, encodeConnectNotification } from "@ghosting/server";
 *
 * // A pose kept raw, as the server stores it: the bytes are copied unchanged.
 * const pose = new Uint8Array(DATA_GHOST_BYTES);
 * const notification = encodeConnectNotification({
 *   id: 2,
 *   name: "Bob",
 *   data: pose,
 *   model: "models/props/food_can/food_can_open.mdl",
 *   map: "sp_a1_intro1",
 *   color: { r: 0, g: 128, b: 255 },
 *   spectator: false,
 * });
 * ```
 */
export const DATA_GHOST_BYTES = 25;

/**
 * The model SAR uses until `ghost_prop_model` changes it, so a client still showing it has
 * never picked one.
 *
 * @example
 * ```ts
 * import { DEFAULT_MODEL, type GhostServer } from "@ghosting/server";
 *
 * function suggestModels(server: GhostServer) {
 *   server.on("connect", ({ client }) => {
 *     if (client.model === DEFAULT_MODEL) {
 *       server.sendMessage(`${client.name}: pick a ghost model with ghost_prop_model`);
 *     }
 *   });
 * }
 * ```
 */
export const DEFAULT_MODEL = "models/props/food_can/food_can_open.mdl";

/**
 * Packs eye height and grounded into one byte, as SAR and the C++ server do (C-style truncation).
 *
 * @example
 * ```ts
 * import { packViewOffset } from "@ghosting/server";
 *
 * console.log(packViewOffset(64, true)); // 192 (0x80 | 64)
 * console.log(packViewOffset(28.9, false)); // 28
 * ```
 */
export function packViewOffset(viewOffset: number, grounded: boolean): number {
  // `& 0x7f` after ToInt32 matches the C cast for every value SAR sends; NaN becomes 0 as on x86.
  return (Math.trunc(viewOffset) & 0x7f) | (grounded ? 0x80 : 0);
}

/**
 * A DataGhost at the origin, as SAR puts in every CONNECT. Each call returns a fresh object,
 * so callers may mutate it.
 *
 * @example
 * ```ts
 * import { DEFAULT_MODEL, encodeClientPacket, Header, zeroDataGhost } from "@ghosting/server";
 *
 * const connect = encodeClientPacket({
 *   header: Header.CONNECT,
 *   udpPort: 50000,
 *   name: "Alice",
 *   data: zeroDataGhost(),
 *   model: DEFAULT_MODEL,
 *   map: "",
 *   tcpOnly: false,
 *   color: { r: 0, g: 0, b: 0 },
 *   spectator: false,
 * });
 * ```
 */
export function zeroDataGhost(): DataGhost {
  return {
    position: { x: 0, y: 0, z: 0 },
    viewAngle: { x: 0, y: 0, z: 0 },
    viewOffset: 0,
    grounded: false,
  };
}

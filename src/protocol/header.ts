/**
 * The header byte that starts every packet except the connect reply
 * (docs/protocol.md §1.2).
 *
 * @module
 */

/**
 * Header values of the SAR ghost protocol (docs/protocol.md §1.2). Packets name their kind with
 * these, so a `switch` on `packet.header` narrows a decoded packet to its exact shape.
 *
 * @example
 * ```ts
 * import { decodeServerPacket, encodeServerPacket, Header } from "@ghosting/server";
 *
 * const bytes = encodeServerPacket({ header: Header.MESSAGE, id: 0, text: "Race starts soon" });
 * const packet = decodeServerPacket(bytes);
 * if (packet.header === Header.MESSAGE) console.log(packet.text); // "Race starts soon"
 * ```
 */
export const Header = {
  NONE: 0,
  PING: 1,
  CONNECT: 2,
  DISCONNECT: 3,
  STOP_SERVER: 4,
  MAP_CHANGE: 5,
  HEART_BEAT: 6,
  MESSAGE: 7,
  COUNTDOWN: 8,
  UPDATE: 9,
  SPEEDRUN_FINISH: 10,
  MODEL_CHANGE: 11,
  COLOR_CHANGE: 12,
  TAUNT: 13,
  LOCATOR: 14,
  VOICE: 15,
} as const;

/**
 * One of the known header values.
 *
 * @example
 * ```ts
 * import { Header, type SarClient } from "@ghosting/server";
 *
 * // Headers worth showing in a chat-only view of what a client received.
 * const chatty: Header[] = [Header.MESSAGE, Header.SPEEDRUN_FINISH, Header.MAP_CHANGE];
 *
 * function chatOnly(client: SarClient) {
 *   return client.inbox.filter(({ packet }) => chatty.includes(packet.header));
 * }
 * ```
 */
export type Header = typeof Header[keyof typeof Header];

const NAMES: readonly string[] = Object.keys(Header);

/**
 * Whether a byte is one of the 16 known header values; a type guard, so the byte can then be
 * compared with {@linkcode Header} members without casts.
 *
 * @example
 * ```ts
 * import { isKnownHeader } from "@ghosting/server";
 *
 * const payload = new Uint8Array([9, 0, 0, 0, 1]);
 * console.log(isKnownHeader(payload[0])); // true (UPDATE)
 * console.log(isKnownHeader(42)); // false
 * ```
 */
export function isKnownHeader(value: number): value is Header {
  return Number.isInteger(value) && value >= 0 && value < NAMES.length;
}

/**
 * The protocol name of a header value, for logs (`"UPDATE"`, or `"UNKNOWN(42)"`). It accepts
 * any number, so it is safe on bytes that have not been validated.
 *
 * @example
 * ```ts
 * import { Header, headerName } from "@ghosting/server";
 *
 * console.log(headerName(Header.UPDATE)); // "UPDATE"
 * console.log(headerName(42)); // "UNKNOWN(42)"
 * ```
 */
export function headerName(value: number): string {
  return isKnownHeader(value) ? NAMES[value] : `UNKNOWN(${value})`;
}

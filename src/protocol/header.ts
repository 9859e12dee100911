/**
 * The header byte that starts every packet except the connect reply
 * (PROTOCOL.md §1.2).
 *
 * @module
 */

/** Header values of the SAR ghost protocol (PROTOCOL.md §1.2). */
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

/** One of the known header values. */
export type Header = typeof Header[keyof typeof Header];

const NAMES: readonly string[] = Object.keys(Header);

/** Whether a byte is one of the 16 known header values. */
export function isKnownHeader(value: number): value is Header {
  return Number.isInteger(value) && value >= 0 && value < NAMES.length;
}

/** The protocol name of a header value, for logs (`"UPDATE"`, or `"UNKNOWN(42)"`). */
export function headerName(value: number): string {
  return isKnownHeader(value) ? NAMES[value] : `UNKNOWN(${value})`;
}

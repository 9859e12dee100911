/**
 * Countdown setup (docs/protocol.md §3.9, §5.5). The "go" answer to each confirm is in `relay.ts`.
 *
 * @module
 */
import { type CountdownSetupPacket, encodeServerPacket, Header } from "../protocol/mod.ts";

/** The longest countdown, in seconds, as the C++ console allows. */
export const MAX_COUNTDOWN_DELAY = 60;

/**
 * A countdown to start; missing fields come from `[countdown]`.
 *
 * @example
 * ```ts
 * import type { CountdownOptions, GhostServer } from "@ghosting/server";
 *
 * const raceStart: CountdownOptions = {
 *   delay: 5,
 *   preCommands: "restart_level",
 *   postCommands: "echo Go!",
 * };
 *
 * function startRace(server: GhostServer) {
 *   server.startCountdown(raceStart);
 * }
 * ```
 */
export interface CountdownOptions {
  /** Seconds counted down in chat, 0 to 60 (0: no count, post commands run at once after the lead-in). */
  delay?: number;
  /** Console commands every client runs when the setup arrives. */
  preCommands?: string;
  /** Console commands every client runs at go. */
  postCommands?: string;
}

/**
 * Strips line endings an operator's input may carry (docs/protocol.md §7.12: the C++ server sent
 * them on to every client).
 */
export function stripLineEndings(text: string): string {
  return text.replace(/[\r\n]+$/g, "").replace(/^[\r\n]+/g, "");
}

/**
 * Validates a countdown and encodes its setup packet.
 *
 * @throws {RangeError} when the delay is not an integer from 0 to 60
 * @throws {TypeError} when a command is not a string
 */
export function encodeCountdownSetup(options: Required<CountdownOptions>): {
  packet: Uint8Array;
  setup: CountdownSetupPacket;
} {
  const { delay, preCommands, postCommands } = options;
  if (!Number.isInteger(delay) || delay < 0 || delay > MAX_COUNTDOWN_DELAY) {
    throw new RangeError(
      `Countdown delay must be an integer from 0 to ${MAX_COUNTDOWN_DELAY} seconds, got ${delay}`,
    );
  }
  if (typeof preCommands !== "string" || typeof postCommands !== "string") {
    throw new TypeError("Countdown commands must be strings");
  }
  const setup: CountdownSetupPacket = {
    header: Header.COUNTDOWN,
    id: 0,
    step: 0,
    duration: delay,
    preCommands: stripLineEndings(preCommands),
    postCommands: stripLineEndings(postCommands),
  };
  return { packet: encodeServerPacket(setup), setup };
}

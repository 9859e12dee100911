/**
 * Interception points: acceptance policies and chat filters that the server consults before it
 * admits a player or relays a chat line. Each may be async; each runs under a timeout, and a
 * hook that throws, rejects or times out is logged with its name and leaves the default
 * decision (admit, relay unchanged) standing. They are never consulted on UPDATE or VOICE.
 *
 * @module
 */
import type { Color } from "../protocol/mod.ts";
import type { Clock } from "../clock.ts";
import type { ClientInfo } from "./client.ts";
import { stripLineEndings } from "./countdown.ts";

/**
 * What an acceptance policy knows of a player that is connecting: its CONNECT, and its address.
 *
 * @example
 * ```ts
 * import type { ConnectingClient } from "@ghosting/server";
 *
 * const describe = (c: ConnectingClient) => `${c.name} @ ${c.ip}${c.spectator ? " (spectator)" : ""}`;
 * console.log(describe({
 *   ip: "127.0.0.1", name: "NeKz", spectator: false, tcpOnly: false, map: "", model: "",
 *   color: { r: 255, g: 255, b: 255 },
 * }));
 * ```
 */
export interface ConnectingClient {
  /** The TCP peer's IP address. */
  ip: string;
  /** The name sent in CONNECT. */
  name: string;
  /** Whether it joins as a spectator. */
  spectator: boolean;
  /** Whether it asked for everything over TCP. */
  tcpOnly: boolean;
  /** The map it is on; "" in the menu. */
  map: string;
  /** Its ghost model. */
  model: string;
  /** Its ghost colour. */
  color: Color;
}

/**
 * An acceptance policy's answer: `{ refuse: reason }` refuses the player, who reads `reason`
 * in chat (when `explain_refusals` is on); anything else lets the next policy decide.
 *
 * @example
 * ```ts
 * import type { AcceptanceVerdict } from "@ghosting/server";
 *
 * const verdict: AcceptanceVerdict = { refuse: "Sign up at example.com first" };
 * console.log(verdict);
 * ```
 */
export type AcceptanceVerdict = { refuse: string } | undefined | void;

/**
 * Decides whether a connecting player may join, after the built-in rules (bans, whitelist,
 * accepting players/spectators, one connection per IP) have let it through.
 *
 * @example
 * ```ts
 * import { type AcceptancePolicy, GhostServer } from "@ghosting/server";
 *
 * const noGuests: AcceptancePolicy = ({ name }) =>
 *   name.toLowerCase().startsWith("guest") ? { refuse: "Pick a real name first" } : undefined;
 * const server = new GhostServer({ port: 0 });
 * const remove = server.addAcceptancePolicy(noGuests, { name: "no-guests" });
 * remove();
 * ```
 */
export type AcceptancePolicy = (
  client: ConnectingClient,
) => AcceptanceVerdict | Promise<AcceptanceVerdict>;

/**
 * A chat line on its way to the other players.
 *
 * @example
 * ```ts
 * import type { ChatLine } from "@ghosting/server";
 *
 * const shout = (line: ChatLine) => line.text.toUpperCase();
 * console.log(shout({ client: { name: "x" } as ChatLine["client"], text: "hi" })); // HI
 * ```
 */
export interface ChatLine {
  /** Who typed it. */
  client: ClientInfo;
  /** The text, as rewritten by the filters before this one. */
  text: string;
}

/**
 * A chat filter's answer: `{ drop: true }` swallows the line (nobody else sees it), `{ text }`
 * rewrites it for the filters after this one and the players; anything else passes it on.
 *
 * @example
 * ```ts
 * import type { ChatVerdict } from "@ghosting/server";
 *
 * const verdicts: ChatVerdict[] = [{ drop: true }, { text: "***" }, undefined];
 * console.log(verdicts.length);
 * ```
 */
export type ChatVerdict = { drop: true } | { text: string } | undefined | void;

/**
 * Sees each chat line before it is relayed, in the sender's order.
 *
 * @example
 * ```ts
 * import { type ChatFilter, GhostServer } from "@ghosting/server";
 *
 * const noShouting: ChatFilter = ({ text }) =>
 *   text === text.toUpperCase() && /[A-Z]/.test(text) ? { text: text.toLowerCase() } : undefined;
 * const server = new GhostServer({ port: 0 });
 * server.addChatFilter(noShouting, { name: "no-shouting" });
 * ```
 */
export type ChatFilter = (line: ChatLine) => ChatVerdict | Promise<ChatVerdict>;

/**
 * How the server runs one hook.
 *
 * @example
 * ```ts
 * import type { HookOptions } from "@ghosting/server";
 *
 * const options: HookOptions = { name: "auth", timeoutMs: 2000 };
 * console.log(options.name);
 * ```
 */
export interface HookOptions {
  /** Named in log lines about the hook (a plugin's name). Default `"anonymous"`. */
  name?: string;
  /** How long the hook may take before the default decision stands. Default 1000. */
  timeoutMs?: number;
}

/**
 * How long a hook may take by default.
 *
 * @example
 * ```ts
 * import { DEFAULT_HOOK_TIMEOUT_MS } from "@ghosting/server";
 *
 * console.log(DEFAULT_HOOK_TIMEOUT_MS); // 1000
 * ```
 */
export const DEFAULT_HOOK_TIMEOUT_MS = 1000;

/**
 * Chat lines of one sender that may wait for the filters; more are dropped with
 * `chat_backlog`, so a flood costs its sender, not the server.
 *
 * @example
 * ```ts
 * import { MAX_PENDING_CHAT_LINES } from "@ghosting/server";
 *
 * console.log(MAX_PENDING_CHAT_LINES); // 16
 * ```
 */
export const MAX_PENDING_CHAT_LINES = 16;

/** Longest refusal reason a policy may show a player; longer ones are cut. */
export const MAX_REFUSAL_LENGTH = 256;

/**
 * A hook's text as one chat line: outer line endings stripped, inner ones and NULs made
 * spaces, cut to `maxLength`.
 */
export function hookLine(text: string, maxLength: number): string {
  return stripLineEndings(text).replace(/[\r\n\0]/g, " ").slice(0, maxLength);
}

/** A registered hook with its settings resolved. */
export interface Hook<F> {
  fn: F;
  name: string;
  timeoutMs: number;
}

/** Checks and resolves hook options. @throws {TypeError} @throws {RangeError} */
export function makeHook<F>(fn: F, options: HookOptions = {}): Hook<F> {
  if (typeof fn !== "function") throw new TypeError("A hook must be a function");
  const timeoutMs = options.timeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 60000) {
    throw new RangeError(`timeoutMs must be an integer from 1 to 60000, got ${timeoutMs}`);
  }
  return { fn, name: options.name ?? "anonymous", timeoutMs };
}

/** How one hook call ended. */
export type HookOutcome<T> =
  | { ok: true; value: T }
  | { ok: false; error: unknown; timedOut: boolean };

/**
 * Calls `fn` and waits for its result at most `timeoutMs` on `clock`. Never rejects: a throw,
 * a rejection or the timeout comes back as `ok: false` (a late result is ignored).
 */
export function callHook<T>(
  clock: Clock,
  timeoutMs: number,
  fn: () => T | Promise<T>,
): Promise<HookOutcome<T>> {
  let result: T | Promise<T>;
  try {
    result = fn();
  } catch (error) {
    return Promise.resolve({ ok: false, error, timedOut: false });
  }
  if (!(result instanceof Promise)) return Promise.resolve({ ok: true, value: result });
  return new Promise((resolve) => {
    const timer = clock.setTimeout(() => {
      resolve({
        ok: false,
        error: new Error(`No answer within ${timeoutMs} ms`),
        timedOut: true,
      });
    }, timeoutMs);
    result.then(
      (value) => {
        clock.clearTimeout(timer);
        resolve({ ok: true, value });
      },
      (error: unknown) => {
        clock.clearTimeout(timer);
        resolve({ ok: false, error, timedOut: false });
      },
    );
  });
}

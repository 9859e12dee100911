/**
 * The events a {@linkcode GhostServer} emits: what the console, plugins and web surfaces
 * listen to.
 *
 * @module
 */
import type { Color, Vec3 } from "../protocol/mod.ts";
import type { WhitelistEntries } from "./acceptance.ts";
import type { ClientInfo } from "./client.ts";
import type { CountdownOptions } from "./countdown.ts";
import type { DisconnectReason, DropReason, RefusalReason } from "./reasons.ts";

/**
 * Who asked for an admin action: `"console"`, `"api"`, `"server"` (the default, for code that
 * calls the server directly), or a plugin's name. Events carry it so that every surface sees
 * what every other one did.
 *
 * @example
 * ```ts
 * import type { Actor, GhostServer } from "@ghosting/server";
 *
 * const me: Actor = "greeter-plugin";
 *
 * function tellOthers(server: GhostServer) {
 *   server.on("ban", ({ ip, actor }) => {
 *     if (actor !== me) server.sendMessage(`${ip} was banned by ${actor}`, me);
 *   });
 * }
 * ```
 */
export type Actor = "console" | "api" | "server" | (string & Record<never, never>);

/**
 * One whitelist change, as the `whitelistChange` event reports it.
 *
 * @example
 * ```ts
 * import type { GhostServer, WhitelistChange } from "@ghosting/server";
 *
 * function describe(change: WhitelistChange): string {
 *   if (!("entry" in change)) return `whitelist ${change.action}d`;
 *   return `${change.action} ${"name" in change.entry ? change.entry.name : change.entry.ip}`;
 * }
 *
 * function audit(server: GhostServer) {
 *   server.on("whitelistChange", (event) => console.log(event.actor, describe(event)));
 * }
 * ```
 */
export type WhitelistChange =
  | { action: "enable" | "disable" }
  | { action: "add" | "remove"; entry: { name: string } | { ip: string } };

/**
 * Event payloads by event name: what {@linkcode GhostServer.on} passes to a listener. Events
 * are emitted after the server has acted (relayed, stored, told the others), so a listener
 * sees the outcome and cannot veto it.
 *
 * @example
 * ```ts
 * import type { GhostServer } from "@ghosting/server";
 *
 * // A plugin: congratulate finishers and greet newcomers.
 * export function congratulate(server: GhostServer) {
 *   const offFinish = server.on("speedrunFinish", ({ client, time }) => {
 *     server.sendMessage(`GG ${client.name}, finished in ${time}!`);
 *   });
 *   const offConnect = server.on("connect", ({ client }) => {
 *     if (!client.spectator) server.sendMessage(`Welcome, ${client.name}`);
 *   });
 *   return () => {
 *     offFinish();
 *     offConnect();
 *   };
 * }
 * ```
 */
export interface GhostServerEvents {
  /** The sockets are bound. */
  listening: { hostname: string; port: number };
  /** A client was accepted; the others have been told. */
  connect: { client: ClientInfo };
  /**
   * A client left or was removed; the others have been told. `actor` is set when an admin
   * action removed it (kick, ban, whitelist kick).
   */
  disconnect: { client: ClientInfo; reason: DisconnectReason; actor?: Actor };
  /**
   * A connection was closed before becoming a client; `name` is known once CONNECT was read.
   * An acceptance policy's refusal (`refused_by_policy`) names the `policy` and the `message`
   * the player was shown.
   */
  refuse: {
    ip: string;
    name?: string;
    spectator?: boolean;
    reason: RefusalReason;
    message?: string;
    policy?: string;
  };
  /**
   * A packet was ignored (or, for `recipient_backlog`, not relayed to one recipient); its
   * sender stays connected unless it floods.
   */
  drop: {
    ip: string;
    /** The sender's id, when the packet came from a client. */
    clientId?: number;
    /** The header byte, when the packet had one. */
    header?: number;
    /** For `recipient_backlog`: the client that did not get the packet. */
    recipientId?: number;
    via: "tcp" | "udp";
    reason: DropReason;
  };
  /** Chat from a client, relayed to the others. */
  message: { client: ClientInfo; text: string };
  /** A client loaded a map; `ticks` are split times when SAR sent them. */
  mapChange: { client: ClientInfo; map: string; ticks?: number; ticksTotal?: number };
  /** A client's speedrun timer finished. */
  speedrunFinish: { client: ClientInfo; time: string };
  /** A client changed its ghost model; `client.model` is already the new one. */
  modelChange: { client: ClientInfo; model: string };
  /** A client changed its ghost colour; `client.color` is already the new one. */
  colorChange: { client: ClientInfo; color: Color };
  /** A client taunted (SAR's only animation is `wave`); clients on its map were told. */
  taunt: { client: ClientInfo; animation: string };
  /** A client pinged a surface; clients on its map were told (rate-limited pings are drops). */
  locator: { client: ClientInfo; position: Vec3; normal: Vec3 };
  /**
   * A countdown setup was sent to every client (players are refused from now on: an
   * `acceptingChange` with `cause: "countdown"` follows when that changed anything).
   */
  countdown: { delay: number; preCommands: string; postCommands: string; actor: Actor };
  /** The stored countdown defaults changed (`countdown pre|post|clear`, `countdown_set`). */
  countdownSettingsChange: { settings: Required<CountdownOptions>; actor: Actor };
  /** A client confirmed a countdown and was sent "go". */
  countdownConfirm: { client: ClientInfo };
  /** The server sent a chat message (id 0) to everyone, or to the one client `to`. */
  serverMessage: { text: string; actor: Actor; to?: ClientInfo };
  /** An IP was newly banned; its clients are being disconnected (`disconnect` events follow). */
  ban: { ip: string; actor: Actor; message?: string };
  /** A ban was lifted. */
  unban: { ip: string; actor: Actor };
  /** The whitelist was turned on or off, or an entry was added or removed. */
  whitelistChange: WhitelistChange & { whitelist: WhitelistEntries; actor: Actor };
  /**
   * Whether new players and spectators are accepted changed, by a command or implicitly when
   * a countdown started (`cause: "countdown"`).
   */
  acceptingChange: {
    players: boolean;
    spectators: boolean;
    cause: "command" | "countdown";
    actor: Actor;
  };
  /** The server has stopped; every socket is closed. */
  stop: Record<string, never>;
}

/**
 * One of the event names.
 *
 * @example
 * ```ts
 * import type { GhostServer, GhostServerEventName } from "@ghosting/server";
 *
 * const audited: GhostServerEventName[] = ["connect", "disconnect", "refuse"];
 *
 * function audit(server: GhostServer) {
 *   for (const name of audited) server.on(name, (event) => console.log(name, event));
 * }
 * ```
 */
export type GhostServerEventName = keyof GhostServerEvents;

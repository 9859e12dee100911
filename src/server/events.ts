/**
 * The events a {@linkcode GhostServer} emits: what the console, plugins and web surfaces
 * listen to.
 *
 * @module
 */
import type { Color, Vec3 } from "../protocol/mod.ts";
import type { ClientInfo } from "./client.ts";
import type { DisconnectReason, DropReason, RefusalReason } from "./reasons.ts";

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
  /** A client left or was removed; the others have been told. */
  disconnect: { client: ClientInfo; reason: DisconnectReason };
  /** A connection was closed before becoming a client; `name` is known once CONNECT was read. */
  refuse: { ip: string; name?: string; spectator?: boolean; reason: RefusalReason };
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
  /** A countdown setup was sent to every client. */
  countdown: { delay: number; preCommands: string; postCommands: string };
  /** A client confirmed a countdown and was sent "go". */
  countdownConfirm: { client: ClientInfo };
  /** The server sent a chat message (id 0) to everyone. */
  serverMessage: { text: string };
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

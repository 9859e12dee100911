/**
 * The events a {@linkcode GhostServer} emits: what the console, plugins and web surfaces
 * listen to.
 *
 * @module
 */
import type { Color, Vec3 } from "../protocol/mod.ts";
import type { ClientInfo } from "./client.ts";
import type { DisconnectReason, DropReason, RefusalReason } from "./reasons.ts";

/** Event payloads by event name. */
export interface GhostServerEvents {
  /** The sockets are bound. */
  listening: { hostname: string; port: number };
  /** A client was accepted; the others have been told. */
  connect: { client: ClientInfo };
  /** A client left or was removed; the others have been told. */
  disconnect: { client: ClientInfo; reason: DisconnectReason };
  /** A connection was closed before becoming a client. */
  refuse: { ip: string; name?: string; spectator?: boolean; reason: RefusalReason };
  /** A packet was ignored; its sender stays connected. */
  drop: {
    ip: string;
    clientId?: number;
    header?: number;
    via: "tcp" | "udp";
    reason: DropReason;
  };
  /** Chat from a client, relayed to the others. */
  message: { client: ClientInfo; text: string };
  /** A client loaded a map; `ticks` are split times when SAR sent them. */
  mapChange: { client: ClientInfo; map: string; ticks?: number; ticksTotal?: number };
  /** A client's speedrun timer finished. */
  speedrunFinish: { client: ClientInfo; time: string };
  modelChange: { client: ClientInfo; model: string };
  colorChange: { client: ClientInfo; color: Color };
  taunt: { client: ClientInfo; animation: string };
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

/** One of the event names. */
export type GhostServerEventName = keyof GhostServerEvents;

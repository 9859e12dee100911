/**
 * Reason codes: every refusal, disconnect and dropped packet carries one, in logs and events.
 *
 * @module
 */

/**
 * Why a connection was closed before it became a client.
 *
 * @example
 * ```ts
 * import type { GhostServer, RefusalReason } from "@ghosting/server";
 *
 * // Reasons worth a moderator's attention; the rest is ordinary network noise.
 * const notable = new Set<RefusalReason>(["banned", "not_whitelisted", "same_ip"]);
 *
 * function watchRefusals(server: GhostServer) {
 *   server.on("refuse", ({ ip, name, reason }) => {
 *     if (notable.has(reason)) console.warn(`refused ${name ?? "?"} @ ${ip}: ${reason}`);
 *   });
 * }
 * ```
 */
export type RefusalReason =
  | "handshake_timeout"
  | "not_connect_first"
  | "truncated_packet"
  | "frame_too_large"
  | "connection_closed"
  | "connection_error"
  | "banned"
  | "same_ip"
  | "refused_players"
  | "refused_spectators"
  | "not_whitelisted"
  | "name_too_long"
  | "model_too_long"
  | "map_too_long"
  | "handshakes_per_ip"
  | "connection_rate"
  | "server_busy"
  | "refused_by_policy"
  | "server_stopping";

/**
 * Why a client left.
 *
 * @example
 * ```ts
 * import type { DisconnectReason, GhostServer } from "@ghosting/server";
 *
 * const farewell: Partial<Record<DisconnectReason, string>> = {
 *   heartbeat_timeout: "lost connection",
 *   kicked: "was kicked",
 * };
 *
 * function announceDepartures(server: GhostServer) {
 *   server.on("disconnect", ({ client, reason }) => {
 *     const why = farewell[reason];
 *     if (why) server.sendMessage(`${client.name} ${why}`);
 *   });
 * }
 * ```
 */
export type DisconnectReason =
  | "client_disconnect"
  | "connection_closed"
  | "connection_error"
  | "frame_too_large"
  | "write_backlog"
  | "heartbeat_timeout"
  | "kicked"
  | "banned"
  | "not_whitelisted"
  | "flood"
  | "server_stop"
  | "internal_error";

/**
 * Why a single packet was ignored (or, for `recipient_backlog`, not relayed to one recipient
 * whose queue is full); the sender stays connected unless it keeps exceeding `[limits]` and is
 * kicked with `flood`.
 *
 * @example
 * ```ts
 * import type { DropReason, GhostServer } from "@ghosting/server";
 *
 * // Count drops by reason, e.g. to spot a misbehaving client or a NAT problem.
 * function countDrops(server: GhostServer): Map<DropReason, number> {
 *   const counts = new Map<DropReason, number>();
 *   server.on("drop", ({ reason }) => counts.set(reason, (counts.get(reason) ?? 0) + 1));
 *   return counts;
 * }
 * ```
 */
export type DropReason =
  | "truncated_packet"
  | "unknown_header"
  | "spoofed_id"
  | "unknown_client"
  | "unexpected_connect"
  | "stop_server_ignored"
  | "udp_header_not_allowed"
  | "udp_endpoint_mismatch"
  | "locator_rate_limit"
  | "invalid_voice"
  | "rate_limited"
  | "string_too_long"
  | "recipient_backlog"
  | "udp_tcp_only"
  | "udp_endpoint_conflict"
  | "awaiting_acceptance"
  | "chat_backlog";

/**
 * What a refused player reads in chat when `explain_refusals` is on (SAR alone would only
 * show "Transfer timed out").
 */
export const REFUSAL_EXPLANATIONS: Partial<Record<RefusalReason, string>> = {
  banned: "You are banned from this server.",
  same_ip: "Someone from your IP address is already connected to this server.",
  refused_players: "This server is not accepting new players right now.",
  refused_spectators: "This server is not accepting spectators right now.",
  not_whitelisted: "You are not on this server's whitelist.",
  refused_by_policy: "This server refused the connection.",
};

/** What a disconnected client reads in chat before the close, when it can still read. */
export const DISCONNECT_EXPLANATIONS: Partial<Record<DisconnectReason, string>> = {
  kicked: "You have been kicked from this server.",
  banned: "You have been banned from this server.",
  not_whitelisted: "You have been removed: you are not on this server's whitelist.",
  heartbeat_timeout: "You have been disconnected: your game stopped answering heartbeats.",
  flood: "You have been disconnected for sending too much, too fast.",
};

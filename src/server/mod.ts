/**
 * The session layer: clients, acceptance, relay rules, timed loops, the public server API.
 *
 * @module
 */
export * from "./server.ts";
export * from "./events.ts";
export * from "./reasons.ts";
export type { ClientInfo } from "./client.ts";
export type { WhitelistEntries } from "./acceptance.ts";
export type { CountdownOptions } from "./countdown.ts";
export type { Unsubscribe } from "./emitter.ts";
export type { TickLateness } from "./loops.ts";
export type { PacketCount, TrafficStats } from "./traffic.ts";

/**
 * The SAR ghost protocol codec: pure functions from values to bytes and back, no I/O.
 *
 * @module
 */
export * from "./header.ts";
export * from "./errors.ts";
export * from "./types.ts";
export * from "./text.ts";
export * from "./data_ghost.ts";
export * from "./packet_reader.ts";
export * from "./packet_writer.ts";
export * from "./packets.ts";
export * from "./tcp_framing.ts";
export * from "./bulk_update.ts";

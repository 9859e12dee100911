/**
 * A SAR-like ghost client: connects to a ghost server the way SourceAutoRecord does, for
 * tests, bots and tools; with the protocol codec its packets are made of.
 *
 * ```ts
 * import { SarClient } from "@ghosting/server/client";
 *
 * const client = await SarClient.connect({ host: "127.0.0.1", port: 53000, name: "bot" });
 * client.sendMessage("hello");
 * await client.disconnect();
 * ```
 *
 * @module
 */
export {
  ConnectionRefusedError,
  type ReceivedPacket,
  SarClient,
  type SarClientOptions,
} from "./src/client/sar_client.ts";
// The packets a client sends and receives.
export * from "./src/protocol/mod.ts";

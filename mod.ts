/**
 * ghosting: a SourceAutoRecord ghost server for Deno.
 *
 * Run a server, listen to what players do, and act on it:
 *
 * ```ts
 * import { GhostServer } from "@ghosting/server";
 *
 * const server = new GhostServer({ port: 53000 });
 * server.on("speedrunFinish", ({ client, time }) => {
 *   server.sendMessage(`${client.name} finished in ${time}`);
 * });
 * await server.start();
 * ```
 *
 * The codec is exported too, for tools that speak the protocol.
 *
 * @module
 */
export {
  type ClientInfo,
  type ClientSelector,
  type CountdownOptions,
  type DisconnectReason,
  type DropReason,
  GhostServer,
  type GhostServerEventName,
  type GhostServerEvents,
  type GhostServerOptions,
  optionsFromConfig,
  type RefusalReason,
  type Unsubscribe,
  type WhitelistEntries,
} from "./src/server/mod.ts";
export { type Clock, ManualClock, systemClock } from "./src/clock.ts";
export { ListenError } from "./src/net/listen.ts";
export {
  type Config,
  ConfigError,
  defaultConfig,
  loadConfig,
  parseConfig,
} from "./src/config/mod.ts";
export * from "./src/protocol/mod.ts";
export {
  ConnectionRefusedError,
  type ReceivedPacket,
  SarClient,
  type SarClientOptions,
} from "./src/client/sar_client.ts";

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
 * Operators act through one table of admin commands ({@linkcode createCommandTable}): the
 * console, an HTTP API and plugins parse and run the same commands, and every admin change is
 * an event carrying its {@linkcode Actor}.
 *
 * Around the server are what embedders and tools need: {@linkcode loadConfig} and
 * {@linkcode optionsFromConfig} to run from a `config.toml`, {@linkcode SarClient} to talk to a
 * server the way SourceAutoRecord does, {@linkcode ManualClock} to drive the server's timers in
 * tests, and the protocol codec ({@linkcode encodeClientPacket}, {@linkcode decodeServerPacket},
 * {@linkcode encodeFrame}, …) for tools that speak the protocol.
 *
 * @module
 */
export {
  type Actor,
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
  type PacketCount,
  POSE_STRIDE,
  type RefusalReason,
  type ServerStatus,
  type TickLateness,
  type TrafficStats,
  type Unsubscribe,
  type WhitelistChange,
  type WhitelistEntries,
} from "./src/server/mod.ts";
export * from "./src/admin/mod.ts";
export * from "./src/http/mod.ts";
export { type Clock, ManualClock, systemClock, type TimerId } from "./src/clock.ts";
export { ListenError } from "./src/net/listen.ts";
export {
  BULK_SCOPES,
  type BulkScope,
  type Config,
  ConfigError,
  type CountdownSection,
  defaultConfig,
  HTTP_TOKEN_SCOPES,
  type HttpSection,
  type HttpToken,
  type HttpTokenScope,
  loadConfig,
  LOG_LEVELS,
  type LoggingSection,
  type LogLevel,
  parseConfig,
  type ServerSection,
  UDP_BACKENDS,
  type UdpBackendName,
} from "./src/config/mod.ts";
export * from "./src/protocol/mod.ts";
export {
  ConnectionRefusedError,
  type ReceivedPacket,
  SarClient,
  type SarClientOptions,
} from "./src/client/sar_client.ts";

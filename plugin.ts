/**
 * Write plugins for a ghosting server: the {@linkcode Plugin} base class, the
 * {@linkcode command} and {@linkcode on} decorators and the types handlers receive. This entry
 * point has no network code and needs no unstable flag, so a plugin package depends on it
 * alone.
 *
 * ```ts
 * import { command, type IClient, on, Plugin, ServerEvent } from "@ghosting/server/plugin";
 *
 * export class ExamplePlugin extends Plugin {
 *   name = "Example Plugin";
 *   version = "1.0.0";
 *   authors = ["NeKz"];
 *   license = "MIT";
 *
 *   @command("ping", "Ping the server!")
 *   async onPing() {
 *     await this.respond("pong!");
 *   }
 *
 *   @command("dm <player> <message...>", "DM a player!")
 *   async onDirectMessage(client: IClient, message: string) {
 *     await this.respondToClient(client, message);
 *   }
 *
 *   @on(ServerEvent.ClientMessage)
 *   async onClientMessage(message: string) {
 *     const [command, ..._rest] = message.split(" ");
 *     switch (command) {
 *       case "/ping": {
 *         await this.respond("pong");
 *         break;
 *       }
 *     }
 *   }
 * }
 * ```
 *
 * @module
 */
export * from "./src/plugins/plugin.ts";
export * from "./src/plugins/signature.ts";
export { CommandError } from "./src/admin/command_error.ts";
export type { Color, Vec3 } from "./src/protocol/types.ts";
export type { DisconnectReason } from "./src/server/reasons.ts";

/**
 * Message of the day: greets each player who joins, in a message only they see. `{name}` in
 * the message is the player's name.
 *
 * ```toml
 * [plugins]
 * load = ["plugins/motd.ts"]
 *
 * [plugins.motd]
 * message = "Welcome, {name}! Races start at 20:00 UTC. Type /help for commands."
 * spectators = false
 * ```
 *
 * @module
 */
import { command, type ConfigSchema, type IClient, on, Plugin, ServerEvent } from "../plugin.ts";

/** The `[plugins.motd]` settings. */
const schema = {
  message: {
    type: "string",
    default: "Welcome, {name}! Type /help for the server's commands.",
    doc: "What a joining player reads; {name} is their name",
  },
  spectators: { type: "boolean", default: true, doc: "Greet spectators too" },
} as const satisfies ConfigSchema;

/** Greets players as they join; `/motd` shows the message again. */
export class MessageOfTheDay extends Plugin<typeof schema> {
  name = "motd";
  version = "1.0.0";
  authors = ["ghosting"];
  license = "MIT";
  override description = "Greets each player who joins";
  override configSchema = schema;

  /** The message for one player: every `{name}` replaced by the name. */
  messageFor(name: string): string {
    return this.config.message.replaceAll("{name}", name);
  }

  @on(ServerEvent.ClientConnected)
  async greet(client: IClient): Promise<void> {
    if (client.spectator && !this.config.spectators) return;
    // respond() answers the client the event is about: only the newcomer reads it.
    await this.respond(this.messageFor(client.name));
  }

  @command("motd", "Show the message of the day again")
  async show(caller: { client?: IClient }): Promise<void> {
    await this.respond(this.messageFor(caller.client?.name ?? "operator"));
  }
}

/**
 * Chat guard: caps the length of chat lines, limits how fast each player may chat, and lets
 * admins mute and unmute players. Lines it stops are never relayed; their sender is told why.
 *
 * ```toml
 * [plugins]
 * load = ["plugins/chat_guard.ts"]
 *
 * [plugins.chat-guard]
 * max_length = 200
 * burst = 5
 * per_minute = 20
 * ```
 *
 * @module
 */
import { command, type ConfigSchema, type IClient, on, Plugin, ServerEvent } from "../plugin.ts";

/** The `[plugins.chat-guard]` settings. */
const schema = {
  max_length: {
    type: "integer",
    min: 1,
    max: 4096,
    default: 200,
    doc: "Longest chat line relayed",
  },
  burst: {
    type: "integer",
    min: 1,
    max: 100,
    default: 5,
    doc: "Lines a player may send at once",
  },
  per_minute: {
    type: "integer",
    min: 1,
    max: 6000,
    default: 20,
    doc: "Lines a player may send per minute after the burst",
  },
} as const satisfies ConfigSchema;

/** A token bucket per player: `burst` lines at once, refilled at `per_minute`. */
interface Bucket {
  tokens: number;
  at: number;
}

/** Length cap, per-player rate limit, `mute`/`unmute`. */
export class ChatGuard extends Plugin<typeof schema> {
  name = "chat-guard";
  version = "1.0.0";
  authors = ["ghosting"];
  license = "MIT";
  override description = "Chat length cap, per-player rate limit, mute and unmute";
  override configSchema = schema;

  /** Muted IPs, so that reconnecting does not unmute (for as long as the server runs). */
  readonly muted = new Map<string, string>();
  readonly #buckets = new Map<number, Bucket>();

  @on(ServerEvent.ClientMessage)
  async guard(message: string, client: IClient): Promise<{ drop: true } | undefined> {
    if (this.muted.has(client.ip)) {
      await this.respond("You are muted.");
      return { drop: true };
    }
    const max = this.config.max_length;
    if (message.length > max) {
      await this.respond(
        `Your message is too long (${message.length} characters, at most ${max}).`,
      );
      return { drop: true };
    }
    if (!this.#take(client.id)) {
      await this.respond("You are sending messages too fast; wait a moment.");
      return { drop: true };
    }
    return undefined;
  }

  /** Takes a token from the player's bucket; false when it is empty. */
  #take(id: number): boolean {
    const burst = this.config.burst;
    const perMs = this.config.per_minute / 60_000;
    const now = this.server.now();
    const bucket = this.#buckets.get(id) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + (now - bucket.at) * perMs);
    bucket.at = now;
    this.#buckets.set(id, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  @on(ServerEvent.ClientDisconnected)
  forget(client: IClient): void {
    this.#buckets.delete(client.id);
  }

  @command("mute <player>", "Stop a player's chat from being relayed", { permission: "admin" })
  async mute(client: IClient): Promise<void> {
    this.muted.set(client.ip, client.name);
    this.log.info("Muted {name} @ {ip}", { name: client.name, ip: client.ip });
    await this.respondToClient(client, "You have been muted.");
    await this.respond(`Muted ${client.name}`);
  }

  @command("unmute <player>", "Relay a muted player's chat again", { permission: "admin" })
  async unmute(client: IClient): Promise<void> {
    if (!this.muted.delete(client.ip)) {
      await this.respond(`${client.name} is not muted`);
      return;
    }
    await this.respondToClient(client, "You can chat again.");
    await this.respond(`Unmuted ${client.name}`);
  }
}

/**
 * Limits on what one player may make the server do (the `[limits]` section): byte caps on the
 * strings a player sends, per-player rates for what is relayed, the flood rule, and the share of
 * a recipient's write queue that relayed traffic may use.
 *
 * Every check here reads lengths straight from the raw payload, before anything is decoded, so
 * an oversized or too frequent packet costs a few byte reads and nothing else.
 *
 * @module
 */
import { DATA_GHOST_BYTES, encodeServerPacket, Header } from "../protocol/mod.ts";
import type { LimitsSection } from "../config/mod.ts";
import { TokenBucket } from "./token_bucket.ts";

/**
 * Relayed traffic (chat, voice, map/model/colour changes, …) may fill at most this share of a
 * recipient's `max_write_queue_bytes`; beyond it, it is dropped for that recipient. The rest is
 * kept for what the server itself sends (notifications, heartbeats, bulk updates), so what
 * another player sends can never push an innocent recipient over its limit.
 */
export const RELAY_QUEUE_SHARE = 0.5;

/** The strings of CONNECT that have a cap, in wire order. */
export type ConnectStringField = "name" | "model" | "map";

/** Reads the u32 BE length of the string starting at `offset`, or undefined when cut short. */
export function rawStringLength(payload: Uint8Array, offset: number): number | undefined {
  if (offset + 4 > payload.length) return undefined;
  return ((payload[offset] << 24) | (payload[offset + 1] << 16) | (payload[offset + 2] << 8) |
    payload[offset + 3]) >>> 0;
}

/**
 * The first CONNECT string over its cap, read from the declared lengths alone (docs/protocol.md
 * §3.3.1: header, u16 port, name, 25-byte DataGhost, model, map, …). A truncated packet is left
 * to the decoder, which refuses it as `truncated_packet`.
 */
export function oversizedConnectString(
  payload: Uint8Array,
  limits: LimitsSection,
): { field: ConnectStringField; bytes: number; cap: number } | undefined {
  let at = 3;
  const fields: [ConnectStringField, number][] = [
    ["name", limits.name_max_bytes],
    ["model", limits.model_max_bytes],
    ["map", limits.map_max_bytes],
  ];
  for (const [field, cap] of fields) {
    const bytes = rawStringLength(payload, at);
    if (bytes === undefined) return undefined;
    if (bytes > cap) return { field, bytes, cap };
    at += 4 + bytes;
    if (field === "name") at += DATA_GHOST_BYTES; // the DataGhost between name and model
  }
  return undefined;
}

/** What a player refused for a long CONNECT string reads in chat. */
export function connectStringExplanation(field: ConnectStringField, cap: number): string {
  switch (field) {
    case "name":
      return `Your name is longer than this server allows (${cap} bytes); choose a shorter ghost_name.`;
    case "model":
      return `Your ghost model path is longer than this server allows (${cap} bytes); choose another with ghost_prop_model.`;
    case "map":
      return `Your map name is longer than this server allows (${cap} bytes).`;
  }
}

/** The byte cap of the string a relayed packet carries at offset 5, or undefined for none. */
export function stringCap(header: number, limits: LimitsSection): number | undefined {
  switch (header) {
    case Header.MESSAGE:
      return limits.chat_max_bytes;
    case Header.MAP_CHANGE:
      return limits.map_max_bytes;
    case Header.MODEL_CHANGE:
      return limits.model_max_bytes;
    case Header.SPEEDRUN_FINISH:
      return limits.finish_time_max_bytes;
    case Header.TAUNT:
      return limits.taunt_max_bytes;
    default:
      return undefined;
  }
}

/** How long a player is left alone after being told its chat was dropped. */
export const CHAT_NOTICE_INTERVAL_MS = 1000;

/** One player's rate limits: a token bucket per kind of relayed packet, and the flood rule. */
export class PlayerLimits {
  readonly #chat: TokenBucket;
  readonly #model: TokenBucket;
  readonly #color: TokenBucket;
  readonly #map: TokenBucket;
  readonly #taunt: TokenBucket;
  readonly #finish: TokenBucket;
  readonly #voice: TokenBucket;
  /** Drops tolerated: `flood_drops` per `flood_window_ms`; empty means flooding. */
  readonly #flood: TokenBucket;
  /** When the player was last told in chat that a line of theirs was dropped. */
  chatNoticeAt = -Infinity;

  constructor(limits: LimitsSection, now: number) {
    this.#chat = new TokenBucket(limits.chat_rate, limits.chat_burst, now);
    this.#model = new TokenBucket(limits.model_rate, limits.model_burst, now);
    this.#color = new TokenBucket(limits.color_rate, limits.color_burst, now);
    this.#map = new TokenBucket(limits.map_rate, limits.map_burst, now);
    this.#taunt = new TokenBucket(limits.taunt_rate, limits.taunt_burst, now);
    this.#finish = new TokenBucket(limits.finish_rate, limits.finish_burst, now);
    this.#voice = new TokenBucket(limits.voice_bytes_rate, limits.voice_bytes_burst, now);
    this.#flood = new TokenBucket(
      limits.flood_drops * 1000 / limits.flood_window_ms,
      limits.flood_drops,
      now,
    );
  }

  /**
   * Whether a packet with this header and payload is within its rate at `now` (and takes its
   * tokens if so). Headers without a rate always pass.
   */
  allow(header: number, payloadBytes: number, now: number): boolean {
    switch (header) {
      case Header.MESSAGE:
        return this.#chat.take(1, now);
      case Header.MODEL_CHANGE:
        return this.#model.take(1, now);
      case Header.COLOR_CHANGE:
        return this.#color.take(1, now);
      case Header.MAP_CHANGE:
        return this.#map.take(1, now);
      case Header.TAUNT:
        return this.#taunt.take(1, now);
      case Header.SPEEDRUN_FINISH:
        return this.#finish.take(1, now);
      case Header.VOICE:
        return this.#voice.take(payloadBytes, now);
      default:
        return true;
    }
  }

  /** Counts one dropped packet; true when the player is now flooding and must go. */
  strike(now: number): boolean {
    return !this.#flood.take(1, now);
  }
}

/** The server messages a player gets when its chat is dropped, encoded once. */
export class ChatNotices {
  /** The line was longer than `chat_max_bytes`. */
  readonly tooLong: Uint8Array;
  /** Lines came faster than `chat_rate`. */
  readonly tooFast: Uint8Array;

  constructor(limits: LimitsSection) {
    const notice = (text: string) => encodeServerPacket({ header: Header.MESSAGE, id: 0, text });
    this.tooLong = notice(
      `Your message was not sent: it is longer than ${limits.chat_max_bytes} bytes.`,
    );
    this.tooFast = notice("You are sending messages too fast; some were not sent.");
  }
}

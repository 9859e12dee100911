/**
 * Chat through filters: when chat filters are registered, each sender's lines wait in that
 * sender's own bounded queue while the filters run, so one slow filter delays only that
 * player's chat (in its order) and never the other players, UPDATE or VOICE.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { encodeClientPacket, Header } from "../protocol/mod.ts";
import type { Clock } from "../clock.ts";
import type { Client } from "./client.ts";
import { stripLineEndings } from "./countdown.ts";
import type { Emitter } from "./emitter.ts";
import type { GhostServerEvents } from "./events.ts";
import { callHook, type ChatFilter, type Hook, MAX_PENDING_CHAT_LINES } from "./hooks.ts";

const log = getLogger(["ghosting", "server"]);

/** Longest text a filter may rewrite a line to; longer is cut. */
const MAX_REWRITE_LENGTH = 4096;

/** What the chat gate needs from the server. */
export interface ChatHost {
  readonly clock: Clock;
  readonly events: Emitter<GhostServerEvents>;
  /** Connected clients, in connection order. */
  clients(): Iterable<Client>;
  /** Whether the client is still connected. */
  isConnected(client: Client): boolean;
  /** Ignores one packet: logs why and emits the `drop` event. */
  drop(report: GhostServerEvents["drop"], detail: string): void;
}

interface PendingLine {
  text: string;
  /** A copy: the frame's bytes belong to the reader and are reused after the call. */
  payload: Uint8Array;
}

/** Relays a chat line to every client but its sender, and tells the listeners. */
export function relayChat(
  host: Pick<ChatHost, "clients" | "events">,
  sender: Client,
  text: string,
  payload: Uint8Array,
): void {
  for (const other of host.clients()) if (other !== sender) other.connection.send(payload);
  if (host.events.hasListeners("message")) {
    host.events.emit("message", { client: sender.info(), text });
  }
}

/** Runs the chat filters over each sender's lines, in order, one line at a time per sender. */
export class ChatGate {
  /** The filters in the order they run. */
  readonly filters: Hook<ChatFilter>[] = [];
  readonly #host: ChatHost;
  readonly #queues = new Map<Client, PendingLine[]>();

  constructor(host: ChatHost) {
    this.#host = host;
  }

  /** Whether lines must go through {@linkcode ChatGate.submit} instead of straight out. */
  get active(): boolean {
    return this.filters.length > 0;
  }

  /** Queues a line; it is relayed (or not) once every filter has answered. */
  submit(client: Client, text: string, payload: Uint8Array): void {
    const queue = this.#queues.get(client);
    if (queue) {
      if (queue.length >= MAX_PENDING_CHAT_LINES) {
        this.#host.drop(
          {
            ip: client.ip,
            via: "tcp",
            reason: "chat_backlog",
            header: Header.MESSAGE,
            clientId: client.id,
          },
          `more than ${MAX_PENDING_CHAT_LINES} chat lines waiting for the chat filters`,
        );
        return;
      }
      queue.push({ text, payload: payload.slice() });
      return;
    }
    const fresh = [{ text, payload: payload.slice() }];
    this.#queues.set(client, fresh);
    this.#drain(client, fresh);
  }

  async #drain(client: Client, queue: PendingLine[]): Promise<void> {
    try {
      while (queue.length > 0) {
        await this.#process(client, queue[0]);
        queue.shift();
      }
    } catch (error) {
      log.error("Filtering chat of {name} ({id}) failed: {error}", {
        name: client.name,
        id: client.id,
        error,
      });
    } finally {
      this.#queues.delete(client);
    }
  }

  async #process(client: Client, line: PendingLine): Promise<void> {
    const host = this.#host;
    let text = line.text;
    for (const filter of [...this.filters]) {
      if (!host.isConnected(client)) return;
      const outcome = await callHook(
        host.clock,
        filter.timeoutMs,
        () => filter.fn({ client: client.info(), text }),
      );
      if (!outcome.ok) {
        log.error("Chat filter {name} {failed}; the line passes it unchanged: {error}", {
          name: filter.name,
          failed: outcome.timedOut ? "timed out" : "failed",
          error: outcome.error,
        });
        continue;
      }
      const verdict = outcome.value;
      if (typeof verdict !== "object" || verdict === null) continue;
      if ("drop" in verdict && verdict.drop === true) {
        log.info("Chat filter {name} dropped a line of {sender}", {
          name: filter.name,
          sender: client.name,
        });
        return;
      }
      if ("text" in verdict && typeof verdict.text === "string") {
        text = stripLineEndings(verdict.text).replace(/[\r\n\0]/g, " ").slice(
          0,
          MAX_REWRITE_LENGTH,
        );
      }
    }
    if (!host.isConnected(client)) return;
    const payload = text === line.text
      ? line.payload
      : encodeClientPacket({ header: Header.MESSAGE, id: client.id, text });
    if (text !== line.text) {
      log.info("[message rewritten] {name}: {text}", { name: client.name, text });
    }
    relayChat(host, client, text, payload);
  }
}

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
import type { Emitter } from "./emitter.ts";
import type { GhostServerEvents } from "./events.ts";
import {
  callHook,
  type ChatFilter,
  type ChatVerdict,
  type Hook,
  hookLine,
  MAX_PENDING_CHAT_LINES,
} from "./hooks.ts";

const log = getLogger(["ghosting", "server"]);

/** Longest text a filter may rewrite a line to; longer is cut. */
const MAX_REWRITE_LENGTH = 4096;

/** What the chat gate needs from the server. */
export interface ChatHost {
  readonly clock: Clock;
  readonly events: Emitter<GhostServerEvents>;
  /** Sends a frame to every client but its sender, as every relayed frame goes (fairly). */
  relay(sender: Client, payload: Uint8Array): void;
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
  host: Pick<ChatHost, "relay" | "events">,
  sender: Client,
  text: string,
  payload: Uint8Array,
): void {
  host.relay(sender, payload);
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

  /**
   * Runs a line through the filters; it is relayed (or not) once every filter has answered.
   * While filters answer synchronously the line goes out at once, in order with the sender's
   * other packets; the first promise makes it (and the sender's later lines) wait in the
   * sender's queue.
   */
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
    const line = { text, payload };
    const pending = this.#step(client, line, [...this.filters], 0, text);
    if (!pending) return;
    // The frame's bytes belong to the reader and are reused once this call returns.
    line.payload = payload.slice();
    const fresh = [line];
    this.#queues.set(client, fresh);
    this.#drain(client, fresh, pending);
  }

  async #drain(client: Client, queue: PendingLine[], first: Promise<void>): Promise<void> {
    try {
      await first;
      queue.shift();
      while (queue.length > 0) {
        const line = queue[0];
        await this.#step(client, line, [...this.filters], 0, line.text);
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

  /**
   * Runs filters `from` onwards over `text`, then relays; synchronous until a filter returns a
   * promise, whose settling (or timeout) continues the chain.
   */
  #step(
    client: Client,
    line: PendingLine,
    filters: Hook<ChatFilter>[],
    from: number,
    text: string,
  ): Promise<void> | undefined {
    const host = this.#host;
    for (let i = from; i < filters.length; i++) {
      if (!host.isConnected(client)) return;
      const filter = filters[i];
      let result: ChatVerdict | Promise<ChatVerdict>;
      try {
        result = filter.fn({ client: client.info(), text });
      } catch (error) {
        this.#failed(filter, false, error);
        continue;
      }
      if (result instanceof Promise) {
        const answer = result;
        return callHook(host.clock, filter.timeoutMs, () => answer).then((outcome) => {
          if (!outcome.ok) {
            this.#failed(filter, outcome.timedOut, outcome.error);
            return this.#step(client, line, filters, i + 1, text);
          }
          const next = this.#apply(filter, client, outcome.value, text);
          if (next === undefined) return;
          return this.#step(client, line, filters, i + 1, next);
        });
      }
      const next = this.#apply(filter, client, result, text);
      if (next === undefined) return;
      text = next;
    }
    this.#deliver(client, line, text);
  }

  #failed(filter: Hook<ChatFilter>, timedOut: boolean, error: unknown): void {
    log.error("Chat filter {name} {failed}; the line passes it unchanged: {error}", {
      name: filter.name,
      failed: timedOut ? "timed out" : "failed",
      error,
    });
  }

  /** The text after one filter's verdict, or undefined when it dropped the line. */
  #apply(
    filter: Hook<ChatFilter>,
    client: Client,
    verdict: ChatVerdict,
    text: string,
  ): string | undefined {
    if (typeof verdict !== "object" || verdict === null) return text;
    if ("drop" in verdict && verdict.drop === true) {
      log.info("Chat filter {name} dropped a line of {sender}", {
        name: filter.name,
        sender: client.name,
      });
      return undefined;
    }
    if ("text" in verdict && typeof verdict.text === "string") {
      return hookLine(verdict.text, MAX_REWRITE_LENGTH);
    }
    return text;
  }

  #deliver(client: Client, line: PendingLine, text: string): void {
    const host = this.#host;
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

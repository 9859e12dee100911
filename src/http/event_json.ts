/**
 * A server event's payload as plain JSON, with the clients it names (`client`, `to`) turned
 * into the shape the caller shows: one rule for the history and the live channel.
 *
 * @module
 */
import type { ClientInfo } from "../server/client.ts";

/** Copies `payload`, replacing each client it names with `describe(client)`. */
export function eventJson(
  payload: Record<string, unknown>,
  describe: (client: ClientInfo) => unknown,
): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(payload)) {
    data[key] = (key === "client" || key === "to") && value ? describe(value as ClientInfo) : value;
  }
  return data;
}

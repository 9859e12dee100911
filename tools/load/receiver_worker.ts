/// <reference lib="deno.worker" />
/**
 * The worker the staleness receivers run in, so that they timestamp bulk updates on an event
 * loop of their own rather than behind every other client's callbacks (see `receivers.ts`
 * for why, and for the requests it answers). The receivers are ordinary
 * {@linkcode LoadClient}s counting into this worker's {@linkcode LoadStats}, which has a slot
 * for every client of the run so the main thread can merge it index for index.
 *
 * It inherits the main thread's permissions (network for the clients, read for its modules).
 *
 * @module
 */
import { disconnectAll, failureReason, LoadClient } from "./load_client.ts";
import type { ClientPlan } from "./plan.ts";
import type {
  ReceiverConnectResult,
  ReceiverEnvelope,
  ReceiverReplies,
  ReceiverRequest,
  ReceiverResponse,
  ReceiverSettings,
} from "./receivers.ts";
import { LoadStats, type LoadStatsSnapshot } from "./stats.ts";

/** The receivers of this worker and what they count. */
class Receivers {
  readonly #settings: ReceiverSettings;
  readonly #stats: LoadStats;
  readonly #clients: { index: number; client: LoadClient }[] = [];

  constructor(settings: ReceiverSettings) {
    this.#settings = settings;
    this.#stats = new LoadStats(settings.clients);
  }

  /** Connects `plans` at once, as the main thread connects the rest of their batch. */
  connect(plans: ClientPlan[]): Promise<ReceiverConnectResult[]> {
    const { host, port, rateMs, connectTimeoutMs } = this.#settings;
    const stats = this.#stats;
    return Promise.all(plans.map(async (plan) => {
      try {
        const client = await LoadClient.connect({
          ...plan,
          host,
          port,
          rateMs,
          staleness: plan.tcpOnly ? stats.stalenessTcp : stats.stalenessUdp,
          connectTimeoutMs,
          stats,
        });
        this.#clients.push({ index: plan.index, client });
        return { index: plan.index, failure: null };
      } catch (error) {
        return { index: plan.index, failure: failureReason(error) };
      }
    }));
  }

  start(): void {
    for (const { client } of this.#clients) client.start();
  }

  /** Opens the window and lists the receivers that are running. */
  measure(): number[] {
    this.#stats.measuring = true;
    return this.#clients.filter(({ client }) => !client.dropped).map(({ index }) => index);
  }

  stop(): void {
    this.#stats.measuring = false;
  }

  async disconnect(graceMs: number): Promise<LoadStatsSnapshot> {
    await disconnectAll(this.#clients.map(({ client }) => client), graceMs);
    return this.#stats.snapshot();
  }
}

let receivers: Receivers | undefined;

async function answer(request: ReceiverRequest): Promise<ReceiverReplies[keyof ReceiverReplies]> {
  if (request.type === "init") {
    if (receivers) throw new Error("The receivers were already set up");
    receivers = new Receivers(request.settings);
    return null;
  }
  if (!receivers) throw new Error(`Request "${request.type}" came before "init"`);
  switch (request.type) {
    case "connect":
      return await receivers.connect(request.plans);
    case "start":
      receivers.start();
      return null;
    case "measure":
      return receivers.measure();
    case "stop":
      receivers.stop();
      return null;
    case "disconnect":
      return await receivers.disconnect(request.graceMs);
  }
}

self.onmessage = async (event: MessageEvent<ReceiverEnvelope>) => {
  const { id, request } = event.data;
  let response: ReceiverResponse;
  try {
    response = { id, ok: true, reply: await answer(request) };
  } catch (error) {
    response = { id, ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  self.postMessage(response);
};

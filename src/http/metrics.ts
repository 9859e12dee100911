/**
 * `GET /metrics`: Prometheus text format from the server's status and counters, the
 * refusals seen, the live channel and the HTTP requests themselves.
 *
 * @module
 */
import type { GhostServer } from "../server/server.ts";
import type { RefusalReason } from "../server/reasons.ts";

/** Escapes a label value for the text format. */
function label(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** Builds one exposition, metric family by family. */
class Exposition {
  readonly #lines: string[] = [];

  family(name: string, type: "counter" | "gauge" | "histogram", help: string): this {
    this.#lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    return this;
  }

  sample(name: string, value: number, labels: Record<string, string> = {}): this {
    const pairs = Object.entries(labels).map(([k, v]) => `${k}="${label(v)}"`);
    this.#lines.push(`${name}${pairs.length ? `{${pairs.join(",")}}` : ""} ${value}`);
    return this;
  }

  toString(): string {
    return this.#lines.join("\n") + "\n";
  }
}

/** What the metrics read besides the server. */
export interface MetricsSources {
  /** Authenticated live viewers now. */
  viewers(): number;
  /** Viewers disconnected for reading too slowly, since start. */
  slowViewers(): number;
}

/** Counts what the HTTP layer sees, and renders every metric. */
export class Metrics {
  readonly #server: GhostServer;
  readonly #requests = new Map<
    string,
    { route: string; method: string; status: number; n: number }
  >();
  readonly #refusals = new Map<RefusalReason, number>();
  readonly #off: () => void;

  constructor(server: GhostServer) {
    this.#server = server;
    this.#off = server.on("refuse", ({ reason }) => {
      this.#refusals.set(reason, (this.#refusals.get(reason) ?? 0) + 1);
    });
  }

  /** Stops counting refusals. */
  close(): void {
    this.#off();
  }

  /** Counts one answered request; `route` is the route's path, never the raw URL (bounded labels). */
  request(route: string, method: string, status: number): void {
    const key = `${method} ${route} ${status}`;
    const entry = this.#requests.get(key);
    if (entry) entry.n++;
    else this.#requests.set(key, { route, method, status, n: 1 });
  }

  /** The exposition text. */
  render(sources: MetricsSources): string {
    const status = this.#server.status();
    const out = new Exposition();
    out.family("ghosting_clients", "gauge", "Connected clients by kind")
      .sample("ghosting_clients", status.players, { kind: "player" })
      .sample("ghosting_clients", status.spectators, { kind: "spectator" });
    out.family("ghosting_up", "gauge", "1 while the server runs")
      .sample("ghosting_up", status.state === "running" ? 1 : 0);
    out.family("ghosting_uptime_seconds", "gauge", "Seconds since the server started")
      .sample("ghosting_uptime_seconds", status.uptimeMs / 1000);
    out.family("ghosting_dropped_packets_total", "counter", "Packets ignored, by reason");
    for (const [reason, count] of Object.entries(status.drops)) {
      out.sample("ghosting_dropped_packets_total", count ?? 0, { reason });
    }
    out.family("ghosting_refusals_total", "counter", "Connections refused, by reason");
    for (const [reason, count] of this.#refusals) {
      out.sample("ghosting_refusals_total", count, { reason });
    }
    out.family(
      "ghosting_udp_sends_dropped_total",
      "counter",
      "UDP datagrams that could not be sent",
    )
      .sample("ghosting_udp_sends_dropped_total", status.sendsDropped);
    const late = status.tickLateness;
    out.family(
      "ghosting_tick_lateness_seconds",
      "gauge",
      "How late bulk ticks fire: last, mean and max",
    )
      .sample("ghosting_tick_lateness_seconds", late.lastMs / 1000, { stat: "last" })
      .sample("ghosting_tick_lateness_seconds", late.meanMs / 1000, { stat: "mean" })
      .sample("ghosting_tick_lateness_seconds", late.maxMs / 1000, { stat: "max" });
    out.family("ghosting_loop_stall_seconds", "gauge", "How overdue the most overdue loop is")
      .sample("ghosting_loop_stall_seconds", status.loopStallMs / 1000);
    const traffic = this.#server.traffic();
    for (
      const [direction, counts] of [["received", traffic.received], ["sent", traffic.sent]] as const
    ) {
      const packets = `ghosting_packets_${direction}_total`;
      const bytes = `ghosting_bytes_${direction}_total`;
      out.family(packets, "counter", `Packets ${direction}, by header`);
      for (const [header, count] of Object.entries(counts)) {
        out.sample(packets, count.packets, { header });
      }
      out.family(bytes, "counter", `Bytes ${direction}, by header`);
      for (const [header, count] of Object.entries(counts)) {
        out.sample(bytes, count.bytes, { header });
      }
    }
    const durations = traffic.tickDurations;
    const histogram = "ghosting_tick_duration_seconds";
    out.family(histogram, "histogram", "How long each 50 ms bulk tick took");
    let cumulative = 0;
    durations.bucketsMs.forEach((bound, i) => {
      cumulative += durations.counts[i];
      out.sample(`${histogram}_bucket`, cumulative, { le: String(bound / 1000) });
    });
    cumulative += durations.counts[durations.bucketsMs.length];
    out.sample(`${histogram}_bucket`, cumulative, { le: "+Inf" });
    out.sample(`${histogram}_sum`, durations.sumMs / 1000);
    out.sample(`${histogram}_count`, durations.count);
    out.family(
      "ghosting_listener_errors_total",
      "counter",
      "Event handlers (plugins, surfaces) that threw or rejected",
    ).sample("ghosting_listener_errors_total", traffic.listenerErrors);
    out.family("ghosting_banned_ips", "gauge", "Banned IPs").sample(
      "ghosting_banned_ips",
      status.bannedIps,
    );
    out.family("ghosting_live_viewers", "gauge", "Authenticated live channel viewers")
      .sample("ghosting_live_viewers", sources.viewers());
    out.family(
      "ghosting_live_slow_disconnects_total",
      "counter",
      "Live viewers disconnected for reading too slowly",
    )
      .sample("ghosting_live_slow_disconnects_total", sources.slowViewers());
    out.family(
      "ghosting_http_requests_total",
      "counter",
      "HTTP requests by route, method and status",
    );
    for (const { route, method, status: code, n } of this.#requests.values()) {
      out.sample("ghosting_http_requests_total", n, { route, method, status: String(code) });
    }
    return out.toString();
  }
}

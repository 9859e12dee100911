/**
 * The figures of one load run: the JSON object printed last, and the table printed before
 * it.
 *
 * @module
 */
import type { ViewersSummary } from "./viewers.ts";
import type { HistogramSummary } from "./histogram.ts";
import type { LoadOptions } from "./options.ts";

/** Minimum, mean and maximum of a per-client figure. */
export interface Spread {
  min: number | null;
  mean: number | null;
  max: number | null;
}

/** Everything measured in one run, and the settings it ran with. */
export interface LoadResult {
  /** The run's options as given (the measured window asked for is `seconds`), and more. */
  settings:
    & Pick<
      LoadOptions,
      | "clients"
      | "tcpOnlyRatio"
      | "rateMs"
      | "seconds"
      | "warmupSeconds"
      | "maps"
      | "host"
      | "spawn"
      | "stalenessReceivers"
      | "viewers"
    >
    & {
      port: number;
      /** The measured server process, if any. */
      pid: number | null;
      /** The server's UDP backend, when its log names it. */
      backend: string | null;
      /** Whether the staleness receivers ran in a worker of their own (false: there were none). */
      receiversInWorker: boolean;
      /** When the run started (ISO 8601). */
      timestamp: string;
      /** Kernel clock ticks per second used for CPU figures, and whether it was assumed. */
      clockTicks: number;
      clockTicksAssumed: boolean;
    };
  connect: {
    connected: number;
    failed: number;
    /** Failure reason → count. */
    failures: Record<string, number>;
    tcpOnlyClients: number;
    udpClients: number;
    seconds: number;
  };
  window: {
    /** Measured window as it really lasted. */
    seconds: number;
    /** Clients connected when it opened; per-client figures are over these. */
    clients: number;
  };
  bulk: {
    /** Bulk update ticks received per client per second (expected: 20 with a 50 ms tick). */
    ticksPerClientPerSecond: Spread;
    udpTicksPerClientPerSecond: Spread;
    tcpTicksPerClientPerSecond: Spread;
    /** Bulk packets (datagrams or TCP frames) per client per second; above ticks when split. */
    packetsPerClientPerSecond: number | null;
    /** Mean entries per tick; should equal the number of connected clients. */
    entriesPerTick: number | null;
    malformed: number;
  };
  staleness: {
    /** Receivers that measured, by transport. */
    udpReceivers: number;
    tcpReceivers: number;
    all: HistogramSummary;
    udp: HistogramSummary;
    tcp: HistogramSummary;
    /** Entries without a send-time stamp (no UPDATE from that client yet, or a foreign one). */
    unstampedEntries: number;
  };
  traffic: {
    /** Bytes received per second by all clients: UDP datagrams plus TCP (with prefixes). */
    receivedBytesPerSecond: number;
    udpBytesPerSecond: number;
    tcpBytesPerSecond: number;
    updatesSentPerSecond: number;
    updatesSentPerClientPerSecond: number | null;
    /** UPDATEs skipped because the previous one was still being sent. */
    updatesSkipped: number;
    sendErrors: number;
    tcpHeartbeatsAnswered: number;
    udpHeartbeatsAnswered: number;
  };
  drops: {
    /** Clients the server closed during the run (after connecting, before shutdown). */
    droppedClients: number;
    /** The last server chat message before each close → count. */
    reasons: Record<string, number>;
  };
  /** Live channel viewers (`--viewers`), or null without them. */
  viewers: ViewersSummary | null;
  server: {
    /** CPU over the window in % of one core (user + system), null when not measured. */
    cpuPercent: number | null;
    userCpuPercent: number | null;
    systemCpuPercent: number | null;
    peakRssMiB: number | null;
    rssMiB: number | null;
    /** Datagrams the kernel dropped at the server's UDP socket during the window. */
    udpDrops: number | null;
    /** Bytes waiting in the server's UDP receive queue when the window closed. */
    udpRxQueueBytes: number | null;
    /** Warning and error lines in the spawned server's log. */
    logWarnings: number | null;
    logErrors: number | null;
    /** Exit code of the spawned server after SIGINT. */
    exitCode: number | null;
    exitedEarly: boolean;
  };
  generator: {
    cpuPercent: number | null;
    userCpuPercent: number | null;
    systemCpuPercent: number | null;
    peakRssMiB: number | null;
    /** Datagrams the kernel dropped at the clients' UDP sockets during the window. */
    clientUdpDrops: number | null;
    /** Client UDP sockets found in /proc (should equal the clients connected). */
    clientUdpSockets: number | null;
  };
}

/** Min, mean and max of `values`, null when empty. */
export function spreadOf(values: readonly number[]): Spread {
  if (values.length === 0) return { min: null, mean: null, max: null };
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const value of values) {
    if (value < min) min = value;
    if (value > max) max = value;
    sum += value;
  }
  return { min, mean: sum / values.length, max };
}

function fixed(value: number | null, digits = 1, unit = ""): string {
  return value === null ? "n/a" : `${value.toFixed(digits)}${unit}`;
}

function spreadText(spread: Spread, digits = 2): string {
  if (spread.mean === null) return "n/a";
  return `min ${fixed(spread.min, digits)}, mean ${fixed(spread.mean, digits)}, max ${
    fixed(spread.max, digits)
  }`;
}

function stalenessText(summary: HistogramSummary): string {
  if (summary.count === 0) return "n/a (no samples)";
  return `p50 ${summary.p50} ms, p95 ${summary.p95} ms, p99 ${summary.p99} ms, max ${
    fixed(summary.max, 0)
  } ms (${summary.count} samples)`;
}

function counts(record: Record<string, number>): string {
  const entries = Object.entries(record);
  return entries.length === 0 ? "none" : entries.map(([key, n]) => `${n}× ${key}`).join("; ");
}

function bytes(perSecond: number): string {
  if (perSecond >= 1024 * 1024) return `${(perSecond / 1024 / 1024).toFixed(2)} MiB/s`;
  return `${(perSecond / 1024).toFixed(1)} KiB/s`;
}

/** The human-readable table: one "label  value" row per figure, grouped by section. */
export function formatTable(result: LoadResult): string {
  const { settings: s, connect: c, bulk: b, staleness: st, traffic: t, drops: d } = result;
  const server = result.server;
  const generator = result.generator;
  const stalenessTitle =
    `Staleness (receive − send time; ${st.udpReceivers} UDP + ${st.tcpReceivers} TCP receivers${
      s.receiversInWorker ? ", in a worker" : ""
    })`;
  const sections: [string, [string, string][]][] = [
    ["Settings", [
      ["clients", String(s.clients)],
      ["TCP-only ratio", String(s.tcpOnlyRatio)],
      ["update every", `${s.rateMs} ms`],
      ["maps", String(s.maps)],
      [
        "server",
        `${s.host}:${s.port}${s.spawn ? " (spawned)" : ""}${
          s.pid === null ? "" : `, pid ${s.pid}`
        }`,
      ],
      ["UDP backend", s.backend ?? "unknown"],
      [
        "window",
        `${s.warmupSeconds} s warm-up (not counted), then ${
          result.window.seconds.toFixed(2)
        } s measured`,
      ],
    ]],
    ["Connections", [
      [
        "connected",
        `${c.connected} (${c.udpClients} UDP, ${c.tcpOnlyClients} TCP-only) in ${
          c.seconds.toFixed(2)
        } s`,
      ],
      ["failed", `${c.failed}${c.failed ? ` (${counts(c.failures)})` : ""}`],
      [
        "dropped by server",
        `${d.droppedClients}${d.droppedClients ? ` (${counts(d.reasons)})` : ""}`,
      ],
    ]],
    ["Bulk updates received (per client per second)", [
      ["all clients", spreadText(b.ticksPerClientPerSecond)],
      ["UDP clients", spreadText(b.udpTicksPerClientPerSecond)],
      ["TCP-only clients", spreadText(b.tcpTicksPerClientPerSecond)],
      ["packets per client/s", fixed(b.packetsPerClientPerSecond, 2)],
      ["entries per tick", fixed(b.entriesPerTick, 1)],
      ["malformed packets", String(b.malformed)],
    ]],
    [stalenessTitle, [
      ["all", stalenessText(st.all)],
      ["UDP receivers", stalenessText(st.udp)],
      ["TCP-only receivers", stalenessText(st.tcp)],
      ["entries without stamp", String(st.unstampedEntries)],
    ]],
    ["Traffic", [
      [
        "received, all clients",
        `${bytes(t.receivedBytesPerSecond)} (UDP ${bytes(t.udpBytesPerSecond)}, TCP ${
          bytes(t.tcpBytesPerSecond)
        })`,
      ],
      [
        "UPDATEs sent",
        `${t.updatesSentPerSecond.toFixed(0)}/s (${
          fixed(t.updatesSentPerClientPerSecond, 2)
        } per client)`,
      ],
      ["UPDATEs skipped", String(t.updatesSkipped)],
      ["send errors", String(t.sendErrors)],
      ["heartbeats answered", `${t.tcpHeartbeatsAnswered} TCP, ${t.udpHeartbeatsAnswered} UDP`],
    ]],
    ["Server process (over the window)", [
      [
        "CPU (% of one core)",
        `${fixed(server.cpuPercent)} (user ${fixed(server.userCpuPercent)}, system ${
          fixed(server.systemCpuPercent)
        })`,
      ],
      [
        "memory",
        `peak RSS ${fixed(server.peakRssMiB, 1, " MiB")}, RSS ${fixed(server.rssMiB, 1, " MiB")}`,
      ],
      [
        "UDP drops (kernel)",
        `${server.udpDrops ?? "n/a"}, receive queue ${
          server.udpRxQueueBytes ?? "n/a"
        } bytes at the end`,
      ],
      [
        "log",
        server.logWarnings === null
          ? "n/a (not spawned)"
          : `${server.logWarnings} warnings, ${server.logErrors} errors`,
      ],
      [
        "exit",
        server.exitCode === null
          ? "n/a (not spawned)"
          : `code ${server.exitCode}${server.exitedEarly ? " (EXITED DURING THE RUN)" : ""}`,
      ],
    ]],
    ["Load generator (this process, over the window)", [
      [
        "CPU (% of one core)",
        `${fixed(generator.cpuPercent)} (user ${fixed(generator.userCpuPercent)}, system ${
          fixed(generator.systemCpuPercent)
        })`,
      ],
      ["peak RSS", fixed(generator.peakRssMiB, 1, " MiB")],
      [
        "client UDP drops",
        `${generator.clientUdpDrops ?? "n/a"} (${generator.clientUdpSockets ?? "n/a"} sockets)`,
      ],
    ]],
  ];
  if (result.viewers) {
    const v = result.viewers;
    sections.splice(sections.length - 2, 0, ["Live viewers (subscribed to positions)", [
      ["viewers", `${v.viewers} (${v.connectedAtEnd} connected at the end)`],
      [
        "positions/s per viewer",
        `min ${fixed(v.positionsPerSecondMin, 2)}, mean ${fixed(v.positionsPerSecondMean, 2)}`,
      ],
      ["received", `${(v.bytesPerSecond / 1024).toFixed(1)} KiB/s (all viewers)`],
    ]]);
  }
  const width = Math.max(...sections.flatMap(([, rows]) => rows.map(([label]) => label.length)));
  const lines: string[] = [];
  for (const [title, rows] of sections) {
    lines.push(title);
    for (const [label, value] of rows) lines.push(`  ${label.padEnd(width)}  ${value}`);
  }
  return lines.join("\n");
}

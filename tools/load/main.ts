/**
 * `deno task load`: the load generator. Runs N SAR-like clients against a ghost server on
 * this machine and reports what they received and what the server process used.
 *
 * Phases, each bounded in time: (spawn the server) → connect in paced batches → traffic:
 * warm-up, not counted, then the measured window → DISCONNECT and close every client →
 * (stop the server with SIGINT). Progress goes to standard error; the table and, as the very
 * last line, one JSON object with every figure go to standard output.
 *
 * @module
 */
import { type LoadOptions, parseOptions, USAGE, UsageError } from "./options.ts";
import { type ClientPlan, planClients } from "./plan.ts";
import { ConnectFailure, LoadClient } from "./load_client.ts";
import { LoadStats } from "./stats.ts";
import {
  type ClockTicks,
  clockTicks,
  type CpuTicks,
  cpuUsage,
  readCpuTicks,
  readMemory,
  readSocketInodes,
  sampleUdpDrops,
  type UdpDropSample,
} from "./proc.ts";
import { SpawnedServer } from "./server_process.ts";
import { formatTable, type LoadResult, spreadOf } from "./report.ts";

/** Clients connecting at once; then a short pause, so the burst does not look like an attack. */
const CONNECT_BATCH = 20;
const CONNECT_PAUSE_MS = 50;
/** SAR waits 5 s for TCP and 30 s for the reply; a local server answers in milliseconds. */
const CONNECT_TIMEOUT_MS = 5000;
const DISCONNECT_BATCH = 50;
/** How long a disconnecting client waits for the server to close before closing itself. */
const DISCONNECT_GRACE_MS = 2000;
const SERVER_READY_TIMEOUT_MS = 30_000;
const SERVER_STOP_TIMEOUT_MS = 10_000;
/** If anything still runs this long after the report, it is a leak: exit anyway. */
const EXIT_WATCHDOG_MS = 5000;
const MIB = 1024;

function progress(message: string): void {
  console.error(`[load] ${message}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface ConnectOutcome {
  clients: (LoadClient | undefined)[];
  failures: Map<string, number>;
  seconds: number;
}

async function connectAll(
  plans: ClientPlan[],
  options: LoadOptions,
  port: number,
  stats: LoadStats,
): Promise<ConnectOutcome> {
  const clients: (LoadClient | undefined)[] = new Array(plans.length).fill(undefined);
  const failures = new Map<string, number>();
  const started = performance.now();
  for (let first = 0; first < plans.length; first += CONNECT_BATCH) {
    const batch = plans.slice(first, first + CONNECT_BATCH);
    await Promise.all(batch.map(async (plan) => {
      try {
        clients[plan.index] = await LoadClient.connect({
          ...plan,
          host: options.host,
          port,
          rateMs: options.rateMs,
          staleness: plan.sampleStaleness
            ? (plan.tcpOnly ? stats.stalenessTcp : stats.stalenessUdp)
            : undefined,
          connectTimeoutMs: CONNECT_TIMEOUT_MS,
          stats,
        });
      } catch (error) {
        const reason = error instanceof ConnectFailure ? error.reason : String(error);
        failures.set(reason, (failures.get(reason) ?? 0) + 1);
      }
    }));
    const done = Math.min(first + CONNECT_BATCH, plans.length);
    if (done % 100 === 0 || done === plans.length) {
      progress(
        `connecting: ${done}/${plans.length} attempted, ${
          clients.filter(Boolean).length
        } connected`,
      );
    }
    if (done < plans.length) await sleep(CONNECT_PAUSE_MS);
  }
  return { clients, failures, seconds: (performance.now() - started) / 1000 };
}

async function disconnectAll(clients: LoadClient[]): Promise<void> {
  for (const client of clients) client.stopSending();
  for (let first = 0; first < clients.length; first += DISCONNECT_BATCH) {
    await Promise.all(
      clients.slice(first, first + DISCONNECT_BATCH).map((c) => c.disconnect(DISCONNECT_GRACE_MS)),
    );
  }
}

/** /proc figures at one edge of the measured window. */
interface Sample {
  at: number;
  serverCpu: CpuTicks | null;
  selfCpu: CpuTicks | null;
  serverUdp: UdpDropSample | null;
  clientUdp: UdpDropSample | null;
}

/** Which UDP sockets are the server's and which are the clients', by inode. */
interface SocketOwners {
  server: Set<number> | null;
  self: Set<number> | null;
}

async function sample(pid: number | undefined, port: number, owners: SocketOwners) {
  const { server, self } = owners;
  const at = performance.now();
  const [serverCpu, selfCpu, serverUdp, clientUdp] = await Promise.all([
    pid === undefined ? null : readCpuTicks(pid),
    readCpuTicks("self"),
    // Without the server's inodes (no pid, or not readable), its socket is the one on its
    // port that is not ours.
    sampleUdpDrops(
      pid ?? "self",
      (row) =>
        row.localPort === port &&
        (server ? server.has(row.inode) : !(self?.has(row.inode) ?? false)),
    ),
    self ? sampleUdpDrops("self", (row) => self.has(row.inode)) : null,
  ]);
  return { at, serverCpu, selfCpu, serverUdp, clientUdp } satisfies Sample;
}

function tally(map: Map<string, number>): Record<string, number> {
  return Object.fromEntries(map);
}

async function run(options: LoadOptions): Promise<number> {
  const timestamp = new Date().toISOString();
  const ticks = await clockTicks();
  let server: SpawnedServer | undefined;
  if (options.spawn) {
    progress("starting the server");
    try {
      server = await SpawnedServer.start({
        hostname: options.host,
        port: options.port,
        config: options.config,
        readyTimeoutMs: SERVER_READY_TIMEOUT_MS,
      });
    } catch (error) {
      console.error(`error: Could not start the server: ${(error as Error).message}`);
      return 1;
    }
    progress(`server pid ${server.pid} listening on ${server.hostname}:${server.port}`);
  }
  // A spawned server must not outlive the run, whether it fails or is interrupted.
  const interrupted = () => {
    progress("interrupted");
    server?.interrupt();
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", interrupted);
  try {
    return await measure(options, timestamp, ticks, server);
  } finally {
    Deno.removeSignalListener("SIGINT", interrupted);
    if (server && !server.exited) await server.stop(SERVER_STOP_TIMEOUT_MS);
  }
}

async function measure(
  options: LoadOptions,
  timestamp: string,
  ticks: ClockTicks,
  server: SpawnedServer | undefined,
): Promise<number> {
  const port = server?.port ?? options.port!;
  const pid = server?.pid ?? options.pid;
  if (pid !== undefined && (await readCpuTicks(pid)) === null) {
    progress(`cannot read /proc/${pid}: server CPU and memory will be n/a`);
  }

  const plans = planClients(
    options.clients,
    options.tcpOnlyRatio,
    options.maps,
    options.stalenessReceivers,
  );
  const stats = new LoadStats(options.clients);
  progress(`connecting ${options.clients} clients in batches of ${CONNECT_BATCH}`);
  const connect = await connectAll(plans, options, port, stats);
  const clients = connect.clients.filter((c): c is LoadClient => c !== undefined);
  progress(`connected ${clients.length}, failed ${options.clients - clients.length}`);

  for (const client of clients) client.start();
  progress(`warm-up ${options.warmupSeconds} s (not counted)`);
  await sleep(options.warmupSeconds * 1000);

  const owners: SocketOwners = {
    server: pid === undefined ? null : await readSocketInodes(pid),
    self: await readSocketInodes("self"),
  };
  const running = connect.clients.map((c) => c !== undefined && !c.dropped);
  const start = await sample(pid, port, owners);
  stats.measuring = true;
  const opened = performance.now();
  progress(`measuring ${options.seconds} s`);
  await sleep(options.seconds * 1000);
  stats.measuring = false;
  const closed = performance.now();
  const end = await sample(pid, port, owners);
  const [serverMemory, selfMemory] = await Promise.all([
    pid === undefined ? null : readMemory(pid),
    readMemory("self"),
  ]);
  const exitedEarly = server?.exited ?? false;

  progress("disconnecting");
  await disconnectAll(clients);
  let exitCode: number | null = null;
  if (server) {
    progress("stopping the server (SIGINT)");
    const exit = await server.stop(SERVER_STOP_TIMEOUT_MS);
    exitCode = exit.code;
    if (exit.killed) progress("the server did not stop within 10 s and was killed");
  }

  // Counters use the window as it was open; CPU figures the time between their samples.
  const seconds = (closed - opened) / 1000;
  const perSecond = (value: number) => value / seconds;
  // Per-client figures are over the clients connected when the window opened.
  const inWindow = plans.filter((_, i) => running[i]);
  const rates = (select: (plan: ClientPlan) => boolean) =>
    spreadOf(inWindow.filter(select).map((plan) => perSecond(stats.ticks[plan.index])));
  const windowClients = inWindow.length;
  const totalTicks = stats.ticks.reduce((sum, n) => sum + n, 0);
  const totalPackets = stats.bulkPackets.reduce((sum, n) => sum + n, 0);
  const tcpOnlyClients = plans.filter((plan, i) => plan.tcpOnly && connect.clients[i]).length;
  const serverCpu = cpuUsage(start.serverCpu, end.serverCpu, end.at - start.at, ticks.perSecond);
  const selfCpu = cpuUsage(start.selfCpu, end.selfCpu, end.at - start.at, ticks.perSecond);
  const sampled = inWindow.filter((plan) => plan.sampleStaleness);

  const result: LoadResult = {
    settings: {
      clients: options.clients,
      tcpOnlyRatio: options.tcpOnlyRatio,
      rateMs: options.rateMs,
      seconds: options.seconds,
      warmupSeconds: options.warmupSeconds,
      maps: options.maps,
      host: options.host,
      port,
      spawn: options.spawn,
      pid: pid ?? null,
      backend: server?.backend ?? null,
      stalenessReceivers: options.stalenessReceivers,
      timestamp,
      clockTicks: ticks.perSecond,
      clockTicksAssumed: ticks.assumed,
    },
    connect: {
      connected: clients.length,
      failed: options.clients - clients.length,
      failures: tally(connect.failures),
      tcpOnlyClients,
      udpClients: clients.length - tcpOnlyClients,
      seconds: connect.seconds,
    },
    window: { seconds, clients: windowClients },
    bulk: {
      ticksPerClientPerSecond: rates(() => true),
      udpTicksPerClientPerSecond: rates((plan) => !plan.tcpOnly),
      tcpTicksPerClientPerSecond: rates((plan) => plan.tcpOnly),
      packetsPerClientPerSecond: windowClients ? perSecond(totalPackets) / windowClients : null,
      entriesPerTick: totalTicks ? stats.entries / totalTicks : null,
      malformed: stats.malformed,
    },
    staleness: {
      udpReceivers: sampled.filter((plan) => !plan.tcpOnly).length,
      tcpReceivers: sampled.filter((plan) => plan.tcpOnly).length,
      all: stats.staleness.summary(),
      udp: stats.stalenessUdp.summary(),
      tcp: stats.stalenessTcp.summary(),
      unstampedEntries: stats.unstamped,
    },
    traffic: {
      receivedBytesPerSecond: perSecond(stats.udpBytes + stats.tcpBytes),
      udpBytesPerSecond: perSecond(stats.udpBytes),
      tcpBytesPerSecond: perSecond(stats.tcpBytes),
      updatesSentPerSecond: perSecond(stats.updatesSent),
      updatesSentPerClientPerSecond: windowClients
        ? perSecond(stats.updatesSent) / windowClients
        : null,
      updatesSkipped: stats.updatesSkipped,
      sendErrors: stats.sendErrors,
      tcpHeartbeatsAnswered: stats.tcpHeartbeats,
      udpHeartbeatsAnswered: stats.udpHeartbeats,
    },
    drops: { droppedClients: stats.dropped, reasons: tally(stats.dropReasons) },
    server: {
      cpuPercent: serverCpu?.total ?? null,
      userCpuPercent: serverCpu?.user ?? null,
      systemCpuPercent: serverCpu?.system ?? null,
      peakRssMiB: serverMemory ? serverMemory.peakRssKiB / MIB : null,
      rssMiB: serverMemory ? serverMemory.rssKiB / MIB : null,
      udpDrops: start.serverUdp?.sockets && end.serverUdp?.sockets
        ? end.serverUdp.drops - start.serverUdp.drops
        : null,
      udpRxQueueBytes: end.serverUdp?.sockets ? end.serverUdp.rxQueueBytes : null,
      logWarnings: server ? server.log.warnings : null,
      logErrors: server ? server.log.errors : null,
      exitCode,
      exitedEarly,
    },
    generator: {
      cpuPercent: selfCpu?.total ?? null,
      userCpuPercent: selfCpu?.user ?? null,
      systemCpuPercent: selfCpu?.system ?? null,
      peakRssMiB: selfMemory ? selfMemory.peakRssKiB / MIB : null,
      clientUdpDrops: start.clientUdp && end.clientUdp
        ? end.clientUdp.drops - start.clientUdp.drops
        : null,
      clientUdpSockets: end.clientUdp?.sockets ?? null,
    },
  };

  console.log(formatTable(result));
  if (server && server.log.samples.length > 0) {
    console.log("Server log, first warnings and errors:");
    for (const line of server.log.samples) console.log(`  | ${line}`);
  }
  console.log(JSON.stringify(result));
  return 0;
}

async function main(): Promise<number> {
  let options: LoadOptions | undefined;
  try {
    options = parseOptions(Deno.args);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`error: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
  if (!options) {
    console.log(USAGE);
    return 0;
  }
  return await run(options);
}

if (import.meta.main) {
  Deno.exitCode = await main();
  // Every socket and timer is closed by now, so the process ends by itself; should something
  // leak, say so and end anyway, so that a run is always bounded in time.
  const watchdog = setTimeout(() => {
    console.error("[load] something was still running after the report; exiting anyway");
    Deno.exit();
  }, EXIT_WATCHDOG_MS);
  Deno.unrefTimer(watchdog);
}

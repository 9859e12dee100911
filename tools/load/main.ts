/**
 * `deno task load`: the load generator. Runs N SAR-like clients against a ghost server on
 * this machine and reports what they received and what the server process used.
 *
 * Phases, each bounded in time: (spawn the server) → connect in paced batches → traffic:
 * warm-up, not counted, then the measured window → DISCONNECT and close every client →
 * (stop the server with SIGINT). Progress goes to standard error; the table and, as the very
 * last line, one JSON object with every figure go to standard output.
 *
 * The staleness receivers run in a worker of their own (`receivers.ts` says why) and go
 * through the same phases, told by message; the rest of the clients run on the main thread.
 * Their counters are merged into the main thread's at the end, so the report is the same as
 * if every client had run here.
 *
 * @module
 */
import { type LoadOptions, parseOptions, USAGE, UsageError } from "./options.ts";
import { type ClientPlan, planClients } from "./plan.ts";
import { disconnectAll, failureReason, LoadClient } from "./load_client.ts";
import { LoadStats } from "./stats.ts";
import {
  type ClockTicks,
  clockTicks,
  type CpuTicks,
  cpuUsage,
  type Memory,
  readCpuTicks,
  readMemory,
  readSocketInodes,
  sampleUdpDrops,
  type UdpDropSample,
} from "./proc.ts";
import { ReceiverWorker, WorkerFailure } from "./receivers.ts";
import { SpawnedServer } from "./server_process.ts";
import { formatTable, type LoadResult, spreadOf } from "./report.ts";
import { LiveViewers } from "./viewers.ts";
import { loadConfig } from "../../src/config/mod.ts";

/** Clients connecting at once; then a short pause, so the burst does not look like an attack. */
const CONNECT_BATCH = 20;
const CONNECT_PAUSE_MS = 50;
/** SAR waits 5 s for TCP and 30 s for the reply; a local server answers in milliseconds. */
const CONNECT_TIMEOUT_MS = 5000;
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

/**
 * Waits `ms`, or throws the receiver worker's failure as soon as it fails, so that a worker
 * failing during a long warm-up or window is reported at once and leaves no timer behind.
 */
async function pause(ms: number, receivers: ReceiverWorker | undefined): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const elapsed = new Promise<void>((resolve) => timer = setTimeout(resolve, ms));
  try {
    await Promise.race(receivers ? [elapsed, receivers.failed] : [elapsed]);
  } finally {
    clearTimeout(timer);
  }
}

interface ConnectOutcome {
  /** Whether each planned client connected, in this thread or in the receiver worker. */
  connected: boolean[];
  failures: Map<string, number>;
  seconds: number;
}

/**
 * Connects the planned clients in batches of {@linkcode CONNECT_BATCH}, with a pause between
 * batches. The server gives ids in connection order, so each batch's staleness receivers are
 * connected by the worker while the rest of the batch connects here: every client connects
 * with its batch, as planned (within a batch the connects race, as they always did).
 *
 * @param clients filled in, by client number, with the clients of this thread that connect
 * @throws {WorkerFailure} when the worker fails, once this thread's part of the batch is done
 */
async function connectAll(
  plans: ClientPlan[],
  options: LoadOptions,
  port: number,
  stats: LoadStats,
  receivers: ReceiverWorker | undefined,
  clients: (LoadClient | undefined)[],
): Promise<ConnectOutcome> {
  const connected: boolean[] = new Array(plans.length).fill(false);
  const failures = new Map<string, number>();
  const fail = (reason: string) => failures.set(reason, (failures.get(reason) ?? 0) + 1);
  const started = performance.now();
  for (let first = 0; first < plans.length; first += CONNECT_BATCH) {
    const batch = plans.slice(first, first + CONNECT_BATCH);
    const here = Promise.all(
      batch.filter((plan) => !plan.sampleStaleness).map(async (plan) => {
        try {
          clients[plan.index] = await LoadClient.connect({
            ...plan,
            host: options.host,
            port,
            rateMs: options.rateMs,
            connectTimeoutMs: CONNECT_TIMEOUT_MS,
            stats,
          });
          connected[plan.index] = true;
        } catch (error) {
          fail(failureReason(error));
        }
      }),
    );
    const there = receivers?.connect(batch.filter((plan) => plan.sampleStaleness)) ?? [];
    // Settled, not raced: a failing worker must not leave this thread's connects running.
    const [ours, theirs] = await Promise.allSettled([here, there]);
    if (ours.status === "rejected") throw ours.reason;
    if (theirs.status === "rejected") throw theirs.reason;
    for (const { index, failure } of theirs.value) {
      if (failure === null) connected[index] = true;
      else fail(failure);
    }
    const done = Math.min(first + CONNECT_BATCH, plans.length);
    if (done % 100 === 0 || done === plans.length) {
      progress(
        `connecting: ${done}/${plans.length} attempted, ${
          connected.filter(Boolean).length
        } connected`,
      );
    }
    if (done < plans.length) await sleep(CONNECT_PAUSE_MS);
  }
  return { connected, failures, seconds: (performance.now() - started) / 1000 };
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
  let viewers: LiveViewers | undefined;
  try {
    if (server && options.viewers > 0) viewers = await openViewers(options, server);
    return await measure(options, timestamp, ticks, server, viewers);
  } catch (error) {
    if (!(error instanceof ViewersError)) throw error;
    console.error(`error: ${error.message}`);
    return 1;
  } finally {
    Deno.removeSignalListener("SIGINT", interrupted);
    await viewers?.close();
    if (server && !server.exited) await server.stop(SERVER_STOP_TIMEOUT_MS);
  }
}

/** The viewers could not be opened; the message says why. */
class ViewersError extends Error {}

/** Opens the live viewers on the spawned server's HTTP API, with the config's first token. */
async function openViewers(options: LoadOptions, server: SpawnedServer): Promise<LiveViewers> {
  const config = await loadConfig(options.config!);
  const token = config.http.tokens[0];
  if (!config.http.enabled || !token) {
    throw new ViewersError(
      `--viewers needs [http] enabled and a [[http.tokens]] in ${options.config}`,
    );
  }
  const port = await server.waitForHttp(SERVER_READY_TIMEOUT_MS);
  if (port === undefined) {
    throw new ViewersError("The server's log never said the HTTP API listens");
  }
  progress(`opening ${options.viewers} live viewers subscribed to positions`);
  try {
    return await LiveViewers.open(
      `ws://${options.host}:${port}/api/v1/live`,
      token.token,
      options.viewers,
      CONNECT_TIMEOUT_MS,
    );
  } catch (error) {
    throw new ViewersError((error as Error).message);
  }
}

/** What happened between connecting the clients and disconnecting them. */
interface Traffic {
  connect: ConnectOutcome;
  /** Whether each planned client was connected, and not dropped, when the window opened. */
  running: boolean[];
  start: Sample;
  end: Sample;
  /** `performance.now()` when the window opened and closed. */
  opened: number;
  closed: number;
  serverMemory: Memory | null;
  selfMemory: Memory | null;
  /** Whether the spawned server had exited by the end of the window. */
  exitedEarly: boolean;
}

/**
 * The clients' run: connect, warm-up, the measured window, disconnect. The staleness
 * receivers go through the same phases in `receivers`, told by message at each edge (their
 * window opens and closes a message's delivery after this thread's, on both edges alike);
 * their counters are merged into `stats` once they have disconnected.
 *
 * @param clients filled in with this thread's clients, for the caller to close on failure
 * @throws {WorkerFailure} when the receiver worker fails at any point
 */
async function runTraffic(
  plans: ClientPlan[],
  options: LoadOptions,
  port: number,
  pid: number | undefined,
  server: SpawnedServer | undefined,
  stats: LoadStats,
  receivers: ReceiverWorker | undefined,
  clients: (LoadClient | undefined)[],
): Promise<Traffic> {
  progress(`connecting ${options.clients} clients in batches of ${CONNECT_BATCH}`);
  const connect = await connectAll(plans, options, port, stats, receivers, clients);
  const local = clients.filter((c): c is LoadClient => c !== undefined);
  const connected = connect.connected.filter(Boolean).length;
  progress(`connected ${connected}, failed ${options.clients - connected}`);

  for (const client of local) client.start();
  await receivers?.start();
  progress(`warm-up ${options.warmupSeconds} s (not counted)`);
  await pause(options.warmupSeconds * 1000, receivers);

  const owners: SocketOwners = {
    server: pid === undefined ? null : await readSocketInodes(pid),
    self: await readSocketInodes("self"),
  };
  const running = clients.map((c) => c !== undefined && !c.dropped);
  const start = await sample(pid, port, owners);
  stats.measuring = true;
  const opened = performance.now();
  progress(`measuring ${options.seconds} s`);
  // Awaited together, so that a failure of either is handled, and reported at once.
  const [remoteRunning] = await Promise.all([
    receivers?.measure() ?? [],
    pause(options.seconds * 1000, receivers),
  ]);
  stats.measuring = false;
  const closed = performance.now();
  const [end] = await Promise.all([sample(pid, port, owners), receivers?.stop()]);
  for (const index of remoteRunning) running[index] = true;
  const [serverMemory, selfMemory] = await Promise.all([
    pid === undefined ? null : readMemory(pid),
    readMemory("self"),
  ]);
  const exitedEarly = server?.exited ?? false;

  progress("disconnecting");
  const [ours, theirs] = await Promise.allSettled([
    disconnectAll(local, DISCONNECT_GRACE_MS),
    receivers?.disconnect(DISCONNECT_GRACE_MS),
  ]);
  if (ours.status === "rejected") throw ours.reason;
  if (theirs.status === "rejected") throw theirs.reason;
  if (theirs.value) stats.merge(theirs.value);
  return {
    connect,
    running,
    start,
    end,
    opened,
    closed,
    serverMemory,
    selfMemory,
    exitedEarly,
  };
}

async function measure(
  options: LoadOptions,
  timestamp: string,
  ticks: ClockTicks,
  server: SpawnedServer | undefined,
  viewers: LiveViewers | undefined,
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
  const receiverCount = plans.filter((plan) => plan.sampleStaleness).length;
  const clients: (LoadClient | undefined)[] = new Array(plans.length).fill(undefined);
  let receivers: ReceiverWorker | undefined;
  let traffic: Traffic;
  try {
    if (receiverCount > 0) {
      progress(`starting a worker for the ${receiverCount} staleness receivers`);
      receivers = await ReceiverWorker.start({
        clients: options.clients,
        host: options.host,
        port,
        rateMs: options.rateMs,
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
      });
    }
    traffic = await runTraffic(plans, options, port, pid, server, stats, receivers, clients);
  } catch (error) {
    if (!(error instanceof WorkerFailure)) throw error;
    // Without the receivers there is no staleness to report: fail the run, but tidily.
    // The failure has terminated the worker, and its sockets with it; close ours.
    console.error(`error: ${error.message}`);
    progress("disconnecting");
    await disconnectAll(
      clients.filter((c): c is LoadClient => c !== undefined),
      DISCONNECT_GRACE_MS,
    );
    return 1;
  } finally {
    // Its clients have disconnected by now, or it failed; either way it must not linger.
    receivers?.terminate();
  }
  const { connect, running, start, end, opened, closed, serverMemory, selfMemory, exitedEarly } =
    traffic;
  const connected = connect.connected.filter(Boolean).length;

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
  const tcpOnlyClients = plans.filter((plan, i) => plan.tcpOnly && connect.connected[i]).length;
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
      viewers: options.viewers,
      receiversInWorker: receiverCount > 0,
      timestamp,
      clockTicks: ticks.perSecond,
      clockTicksAssumed: ticks.assumed,
    },
    connect: {
      connected,
      failed: options.clients - connected,
      failures: tally(connect.failures),
      tcpOnlyClients,
      udpClients: connected - tcpOnlyClients,
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
    viewers: viewers ? viewers.summary(opened, closed) : null,
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

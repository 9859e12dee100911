/**
 * Reading a process's CPU time, memory and UDP socket drops from Linux's /proc, so the load
 * generator can measure a server it does not control. Every reader returns null (rather
 * than throwing) where /proc is missing or unreadable, and the report says "n/a".
 *
 * Deno lets only `--allow-all` read /proc directly; with narrower permissions the files are
 * read through `cat` and `ls` instead (needs `--allow-run`). Either way the reads happen only
 * at the edges of the measured window.
 *
 * @module
 */

/** CPU time a process has used since it started, in clock ticks. */
export interface CpuTicks {
  user: number;
  system: number;
}

/** Resident memory of a process, in KiB. */
export interface Memory {
  /** Peak resident set size (VmHWM). */
  peakRssKiB: number;
  /** Current resident set size (VmRSS). */
  rssKiB: number;
}

/** One row of /proc/net/udp or /proc/net/udp6 (only the columns used here). */
export interface UdpRow {
  localPort: number;
  /** Bytes waiting in the receive queue. */
  rxQueue: number;
  inode: number;
  /** Datagrams dropped since the socket was created (receive buffer full, mostly). */
  drops: number;
}

/** The kernel's clock tick (USER_HZ), and whether it had to be assumed. */
export interface ClockTicks {
  perSecond: number;
  assumed: boolean;
}

/** The value Linux uses on every common architecture, when `getconf` cannot be run. */
const DEFAULT_CLOCK_TICKS = 100;

/** Asks `getconf CLK_TCK` once; falls back to 100 (and says so) when that fails. */
export async function clockTicks(): Promise<ClockTicks> {
  try {
    const output = await new Deno.Command("getconf", {
      args: ["CLK_TCK"],
      stdout: "piped",
      stderr: "null",
    }).output();
    const value = Number(new TextDecoder().decode(output.stdout).trim());
    if (output.success && Number.isInteger(value) && value > 0) {
      return { perSecond: value, assumed: false };
    }
  } catch {
    // No getconf, or no --allow-run: use the default below.
  }
  return { perSecond: DEFAULT_CLOCK_TICKS, assumed: true };
}

/** Runs a command and returns its standard output, or null when it fails. */
async function commandOutput(command: string, args: string[]): Promise<string | null> {
  try {
    const output = await new Deno.Command(command, { args, stdout: "piped", stderr: "null" })
      .output();
    return output.success ? new TextDecoder().decode(output.stdout) : null;
  } catch {
    return null;
  }
}

/** Deno refuses /proc unless --allow-all was given. */
function isRefusedByDeno(error: unknown): boolean {
  return error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied;
}

/** `/proc/<pid>/<rest>`, with "self" spelled as this process's pid (which `cat` needs). */
function procPath(pid: number | "self", rest: string): string {
  return `/proc/${pid === "self" ? Deno.pid : pid}/${rest}`;
}

async function readText(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    return isRefusedByDeno(error) ? await commandOutput("cat", [path]) : null;
  }
}

/**
 * Parses utime and stime (fields 14 and 15) from the text of /proc/PID/stat. The command
 * name in field 2 may contain spaces and parentheses, so fields are counted after its last
 * ")".
 */
export function parseCpuTicks(stat: string): CpuTicks | null {
  const end = stat.lastIndexOf(")");
  if (end < 0) return null;
  // Field 3 (state) is the first one after the name.
  const fields = stat.slice(end + 2).split(" ");
  const user = Number(fields[14 - 3]);
  const system = Number(fields[15 - 3]);
  if (!Number.isFinite(user) || !Number.isFinite(system)) return null;
  return { user, system };
}

/** CPU ticks used by `pid` ("self" for this process). */
export async function readCpuTicks(pid: number | "self"): Promise<CpuTicks | null> {
  const stat = await readText(procPath(pid, "stat"));
  return stat === null ? null : parseCpuTicks(stat);
}

/** Parses VmHWM and VmRSS from the text of /proc/PID/status. */
export function parseMemory(status: string): Memory | null {
  const peak = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  const current = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!peak || !current) return null;
  return { peakRssKiB: Number(peak[1]), rssKiB: Number(current[1]) };
}

/** Peak and current resident memory of `pid`. */
export async function readMemory(pid: number | "self"): Promise<Memory | null> {
  const status = await readText(procPath(pid, "status"));
  return status === null ? null : parseMemory(status);
}

/** Parses the rows of /proc/net/udp or /proc/net/udp6 (the header line is skipped). */
export function parseUdpTable(text: string): UdpRow[] {
  const rows: UdpRow[] = [];
  for (const line of text.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 13) continue;
    // local_address is "HEXIP:HEXPORT", tx_queue:rx_queue two hex numbers.
    const localPort = parseInt(fields[1].slice(fields[1].lastIndexOf(":") + 1), 16);
    const rxQueue = parseInt(fields[4].slice(fields[4].indexOf(":") + 1), 16);
    rows.push({ localPort, rxQueue, inode: Number(fields[9]), drops: Number(fields[12]) });
  }
  return rows;
}

/**
 * The UDP sockets (IPv4 and IPv6) in the network namespace of `pid`, or null when /proc has
 * no such table.
 */
export async function readUdpTable(pid: number | "self"): Promise<UdpRow[] | null> {
  const [v4, v6] = await Promise.all([
    readText(procPath(pid, "net/udp")),
    readText(procPath(pid, "net/udp6")),
  ]);
  if (v4 === null && v6 === null) return null;
  return [...parseUdpTable(v4 ?? ""), ...parseUdpTable(v6 ?? "")];
}

/**
 * Inodes of the sockets `pid` has open, from its /proc/PID/fd links ("socket:[123]"), or null
 * when they cannot be read (another user's process).
 */
export async function readSocketInodes(pid: number | "self"): Promise<Set<number> | null> {
  const directory = procPath(pid, "fd");
  const inodes = new Set<number>();
  try {
    for await (const entry of Deno.readDir(directory)) {
      let target: string;
      try {
        target = await Deno.readLink(`${directory}/${entry.name}`);
      } catch {
        continue; // closed since the listing
      }
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (match) inodes.add(Number(match[1]));
    }
  } catch (error) {
    if (!isRefusedByDeno(error)) return null;
    // `ls -l` shows each link as "N -> socket:[123]".
    const listing = await commandOutput("ls", ["-l", directory]);
    if (listing === null) return null;
    for (const match of listing.matchAll(/socket:\[(\d+)\]/g)) inodes.add(Number(match[1]));
  }
  return inodes;
}

/** Total drops and receive-queue bytes of a set of UDP sockets. */
export interface UdpDropSample {
  /** Sockets matched. */
  sockets: number;
  drops: number;
  rxQueueBytes: number;
}

/**
 * Sums the drop counters of the UDP sockets selected by `select`.
 *
 * @param pid whose network namespace to read
 */
export async function sampleUdpDrops(
  pid: number | "self",
  select: (row: UdpRow) => boolean,
): Promise<UdpDropSample | null> {
  const rows = await readUdpTable(pid);
  if (rows === null) return null;
  const sample: UdpDropSample = { sockets: 0, drops: 0, rxQueueBytes: 0 };
  for (const row of rows) {
    if (!select(row)) continue;
    sample.sockets++;
    sample.drops += row.drops;
    sample.rxQueueBytes += row.rxQueue;
  }
  return sample;
}

/** CPU use over an interval, in % of one core. */
export interface CpuUsage {
  total: number;
  user: number;
  system: number;
}

/**
 * CPU use between two samples taken `elapsedMs` apart, in % of one core (200 % = two cores
 * busy), or null when a sample is missing.
 */
export function cpuUsage(
  start: CpuTicks | null,
  end: CpuTicks | null,
  elapsedMs: number,
  ticksPerSecond: number,
): CpuUsage | null {
  if (!start || !end || elapsedMs <= 0) return null;
  const percent = (ticks: number) => ticks / ticksPerSecond / (elapsedMs / 1000) * 100;
  const user = percent(end.user - start.user);
  const system = percent(end.system - start.system);
  return { total: user + system, user, system };
}

/**
 * The RELIABILITY.md table from the JSON lines `attack_suite.sh` writes: one row per
 * scenario, each figure next to its target (✗ where it misses).
 *
 * @module
 */
import type { LoadResult } from "./report.ts";

type Row = LoadResult & { scenario: string };

/** The targets: 20 players, under each attack. */
export const TARGETS = {
  minUpdatesPerSecond: 19.5,
  stalenessP99Ms: 80,
  rssMiB: 250,
  rssAfterMiB: 150,
  logBytesPerMinute: 1024 * 1024,
  cpuPercent: 50,
};

function mark(ok: boolean | null, text: string): string {
  return ok === null ? text : ok ? text : `**${text}** ✗`;
}

/** One markdown row for one run. */
export function tableRow(row: Row): string {
  const rate = row.bulk.ticksPerClientPerSecond.min;
  const p99 = row.staleness.all.count > 0 ? row.staleness.all.p99 : null;
  const attack = row.attack;
  const rss = attack?.serverRssMaxMiB ?? row.server.peakRssMiB;
  const after = attack?.serverRssAfterCooldownMiB ?? null;
  const log = attack?.logBytesPerMinute ?? null;
  const cpu = row.server.cpuPercent;
  const n = attack?.newcomers;
  const r = attack?.report;
  const cells = [
    row.scenario,
    r ? `${r.opened} conn, ${r.sent} sent, ${(r.sentBytes / 1024 / 1024).toFixed(1)} MiB` : "—",
    mark(row.server.exitedEarly ? false : true, row.server.exitedEarly ? "exited" : "up"),
    mark(row.drops.droppedClients === 0, String(row.drops.droppedClients)),
    mark(rate === null ? null : rate >= TARGETS.minUpdatesPerSecond, rate?.toFixed(1) ?? "n/a"),
    mark(p99 === null ? null : p99 <= TARGETS.stalenessP99Ms, p99 === null ? "n/a" : `${p99}`),
    n ? mark(n.joined === n.attempted, `${n.joined}/${n.attempted}`) : "n/a",
    mark(rss === null ? null : rss <= TARGETS.rssMiB, rss?.toFixed(0) ?? "n/a"),
    mark(
      after === null ? null : after < TARGETS.rssAfterMiB && attack!.cooldownSeconds <= 60,
      after === null ? "n/a" : `${after.toFixed(0)} (${attack!.cooldownSeconds} s)`,
    ),
    mark(
      log === null ? null : log < TARGETS.logBytesPerMinute,
      log === null ? "n/a" : `${(log / 1024).toFixed(0)}`,
    ),
    mark(cpu === null ? null : cpu <= TARGETS.cpuPercent, cpu?.toFixed(0) ?? "n/a"),
  ];
  return `| ${cells.join(" | ")} |`;
}

/** The header of the table. */
export const TABLE_HEADER = [
  "| scenario | attacker did | server | players dropped | min updates/s | staleness p99 ms | newcomers joined | max RSS MiB | RSS after (when) | log KiB/min | server CPU % |",
  "|---|---|---|---|---|---|---|---|---|---|---|",
].join("\n");

if (import.meta.main) {
  const path = Deno.args[0] ?? "attack_results.jsonl";
  const rows = (await Deno.readTextFile(path)).split("\n").filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Row);
  console.log(TABLE_HEADER);
  for (const row of rows) console.log(tableRow(row));
}

/**
 * Summarises the JSON lines of bench/matrix.sh: per setting, the median (and range) of each
 * figure over the rounds. Usage: deno run --allow-read bench/summary.ts OUT.jsonl
 */
interface Summary {
  min: number;
  mean: number;
}
interface Run {
  setting: string;
  result: {
    connect: { connected: number; failed: number };
    bulk: { ticksPerClientPerSecond: Summary };
    staleness: { all: { p50: number; p99: number } };
    drops: { droppedClients: number };
    server: {
      cpuPercent: number;
      userCpuPercent: number;
      systemCpuPercent: number;
      peakRssMiB: number;
      udpDrops: number;
    };
  };
}

const runs: Run[] = Deno.readTextFileSync(Deno.args[0]).split("\n").filter(Boolean).map((line) =>
  JSON.parse(line)
);
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const figure = (values: number[], digits = 1) =>
  values.length > 1
    ? `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}–${
      Math.max(...values).toFixed(digits)
    })`
    : values[0].toFixed(digits);
const settings = [...new Set(runs.map((run) => run.setting))];
const cpp = runs.filter((run) => run.setting === "cpp").map((run) => run.result.server.cpuPercent);
console.log(
  "| setting | runs | CPU % of a core | user | system | × C++ | peak RSS MiB | staleness p50 / p99 ms | ticks/s min | dropped clients | UDP drops |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const setting of settings) {
  const r = runs.filter((run) => run.setting === setting).map((run) => run.result);
  const cpu = r.map((x) => x.server.cpuPercent);
  const ratio = cpp.length ? (median(cpu) / median(cpp)).toFixed(2) : "n/a";
  console.log(
    `| ${setting} | ${r.length} | ${figure(cpu)} | ${
      figure(r.map((x) => x.server.userCpuPercent))
    } | ${figure(r.map((x) => x.server.systemCpuPercent))} | ${ratio} | ${
      figure(r.map((x) => x.server.peakRssMiB))
    } | ${figure(r.map((x) => x.staleness.all.p50), 0)} / ${
      figure(r.map((x) => x.staleness.all.p99), 0)
    } | ${Math.min(...r.map((x) => x.bulk.ticksPerClientPerSecond.min)).toFixed(2)} | ${
      Math.max(...r.map((x) => x.drops.droppedClients))
    } | ${figure(r.map((x) => x.server.udpDrops), 0)} |`,
  );
}

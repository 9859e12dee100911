import assert from "node:assert/strict";
import { clientAddress, isIpv4Loopback, MAX_CLIENTS } from "../../tools/load/addresses.ts";
import { planClients } from "../../tools/load/plan.ts";
import { parseOptions, UsageError } from "../../tools/load/options.ts";
import { parseCpuTicks, parseMemory, parseUdpTable } from "../../tools/load/proc.ts";

Deno.test("client addresses are unique loopback addresses without .0 or .255", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const address = clientAddress(i);
    assert.ok(isIpv4Loopback(address), address);
    assert.ok(!address.endsWith(".0") && !address.endsWith(".255"), address);
    seen.add(address);
  }
  assert.equal(seen.size, 1000);
  assert.equal(clientAddress(MAX_CLIENTS - 1), "127.1.255.254");
  assert.throws(() => clientAddress(MAX_CLIENTS), RangeError);
});

Deno.test("plan spreads TCP-only clients, maps and staleness receivers", () => {
  const plans = planClients(200, 0.25, 3, 16);
  assert.equal(plans.filter((p) => p.tcpOnly).length, 50);
  assert.deepEqual(plans.slice(0, 4).map((p) => p.map), [
    "sp_a1_intro1",
    "sp_a1_intro2",
    "sp_a1_intro3",
    "sp_a1_intro1",
  ]);
  const receivers = plans.filter((p) => p.sampleStaleness);
  assert.equal(receivers.length, 16);
  assert.equal(receivers.filter((p) => p.tcpOnly).length, 4);
  assert.equal(planClients(3, 0, 1, 16).filter((p) => p.sampleStaleness).length, 3);
  assert.equal(planClients(10, 1, 1, 0).filter((p) => p.tcpOnly).length, 10);
});

Deno.test("options have the documented defaults and name the flag in errors", () => {
  const options = parseOptions(["--clients", "5"]);
  assert.equal(options?.port, 53000);
  assert.equal(options?.rateMs, 50);
  assert.equal(options?.tcpOnlyRatio, 0.25);
  assert.equal(parseOptions(["--clients", "5", "--spawn"])?.port, undefined);
  assert.equal(parseOptions(["--help"]), undefined);
  // `deno task load -- --clients 5` hands the "--" on.
  assert.equal(parseOptions(["--", "--clients", "7"])?.clients, 7);
  assert.throws(() => parseOptions([]), /--clients/);
  assert.throws(() => parseOptions(["--clients", "5", "--rate-ms", "0"]), /--rate-ms/);
  assert.throws(() => parseOptions(["--clients", "5", "--config", "x"]), /--config/);
  assert.throws(() => parseOptions(["--clients", "5", "--nope"]), UsageError);
});

Deno.test("proc parsers read stat, status and the UDP table", () => {
  const stat = "42 (a) b (c)) S 1 42 42 0 -1 4194560 100 0 0 0 1234 567 0 0 20 0 1 0 5";
  assert.deepEqual(parseCpuTicks(stat), { user: 1234, system: 567 });
  assert.deepEqual(parseMemory("Name:\tdeno\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n"), {
    peakRssKiB: 2048,
    rssKiB: 1024,
  });
  const table =
    "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n" +
    " 1987: 0100007F:CF08 00000000:0000 07 00000000:00000A00 00:00000000 00000000     0        0 16625 2 0000000061f98d87 17\n";
  assert.deepEqual(parseUdpTable(table), [
    { localPort: 0xcf08, rxQueue: 0xa00, inode: 16625, drops: 17 },
  ]);
});

Deno.test("--attack picks a scenario and turns on newcomers and the cool-down", () => {
  const plain = parseOptions(["--clients", "5"]);
  assert.equal(plain?.attack, undefined);
  assert.equal(plain?.newcomerMs, 0);
  assert.equal(plain?.cooldownSeconds, 0);
  const attack = parseOptions(["--clients", "5", "--attack", "udp-flood", "--attack-rate", "1000"]);
  assert.equal(attack?.attack, "udp-flood");
  assert.equal(attack?.attackRate, 1000);
  assert.equal(attack?.attackConnections, undefined);
  assert.equal(attack?.newcomerMs, 2500);
  assert.equal(attack?.cooldownSeconds, 10);
  assert.throws(
    () => parseOptions(["--clients", "5", "--attack", "nuke"]),
    /--attack must be one of/,
  );
  assert.throws(() => parseOptions(["--clients", "5", "--attack-rate", "9"]), /needs --attack/);
  assert.throws(
    () => parseOptions(["--clients", "5", "--attack", "churn", "--attack-rate", "999999"]),
    UsageError,
  );
});

Deno.test("--server-stderr takes read, stopped or closed, with --spawn only", () => {
  assert.equal(parseOptions(["--clients", "5"])?.serverStderr, "read");
  assert.equal(
    parseOptions(["--clients", "5", "--spawn", "--server-stderr", "closed"])?.serverStderr,
    "closed",
  );
  assert.throws(
    () => parseOptions(["--clients", "5", "--spawn", "--server-stderr", "gone"]),
    /--server-stderr must be read, stopped or closed/,
  );
  assert.throws(
    () => parseOptions(["--clients", "5", "--server-stderr", "stopped"]),
    /needs --spawn/,
  );
});

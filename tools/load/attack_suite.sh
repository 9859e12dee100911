#!/bin/sh
# Runs every attack scenario of the load generator against a freshly spawned server (the
# repository's config.toml), 20 legitimate players, one after the other, and appends each
# run's JSON report to $OUT (default attack_results.jsonl). Then:
#   deno run --allow-read tools/load/attack_table.ts attack_results.jsonl
# prints the RELIABILITY.md table. Usage: tools/load/attack_suite.sh [SECONDS] [SCENARIO ...]
set -eu
cd "$(dirname "$0")/../.."
SECONDS_PER_RUN="${1:-20}"
[ $# -gt 0 ] && shift
OUT="${OUT:-attack_results.jsonl}"
SCENARIOS="${*:-none conn-flood conn-flood-8000 slow-handshake chat-flood big-strings invalid-utf8 udp-flood udp-spoof churn stopped-reader stderr-closed stderr-stopped}"
for scenario in $SCENARIOS; do
  case "$scenario" in
    none) extra="--newcomer-ms 2500 --cooldown-seconds 10" ;;
    # RSS after a connection flood is read after a minute, the target's own delay: the runtime
    # gives memory back to the system in the tens of seconds after the flood.
    conn-flood) extra="--attack conn-flood --cooldown-seconds 60" ;;
    conn-flood-8000) extra="--attack conn-flood --attack-connections 8000 --attack-rate 8000 --cooldown-seconds 60" ;;
    # The server's standard error closed (EPIPE) or never read, under attacks that log a lot.
    stderr-closed) extra="--attack churn --server-stderr closed" ;;
    stderr-stopped) extra="--attack chat-flood --attack-rate 50 --server-stderr stopped" ;;
    *) extra="--attack $scenario" ;;
  esac
  echo "[suite] $scenario" >&2
  # shellcheck disable=SC2086 # $extra is a list of flags
  deno task load -- --clients 20 --spawn --seconds "$SECONDS_PER_RUN" $extra \
    | tail -n 1 | sed "s/^{/{\"scenario\":\"$scenario\",/" >>"$OUT"
done

#!/usr/bin/env bash
# Profiles a server under load: starts src/main.ts with the server task's flags (plus
# --perf-basic-prof so that perf can name JIT-compiled functions), runs `deno task load`
# against it, and meanwhile records `strace -c -f` for 10 s and then `perf record` for 10 s on
# that server's pid only. Writes server.log, load.json, strace.txt, perf.data and perf
# reports into OUTDIR. Usage:
#   bench/profile.sh OUTDIR "LOAD ARGS" [CONFIG]
# Example: bench/profile.sh /tmp/tcp "--clients 400 --tcp-only-ratio 1"
# LOAD ARGS must not set --seconds (this script needs a 40 s window) nor --port/--pid/--spawn.
# strace slows the server while attached: take CPU figures from bench/matrix.sh, not from here.
set -uo pipefail
cd "$(dirname "$0")/.."
outdir=$1 load=$2 config=${3:-}
mkdir -p "$outdir"
port=$(( 55000 + RANDOM % 1000 ))
# Its database and admin socket in OUTDIR, so it never meets another server's data/.
args=(run --allow-net --allow-read --allow-write --allow-ffi --allow-env=INIT_CWD
  "--v8-flags=--max-semi-space-size=1,--perf-basic-prof" src/main.ts --no-console
  --hostname 127.0.0.1 --port "$port" --data "$outdir/data")
[[ -n $config ]] && args+=(--config "$config")
deno "${args[@]}" > "$outdir/server.log" 2>&1 &
server=$!
load_pid=""
cleanup() {
  [[ -n $load_pid ]] && kill -INT "$load_pid" 2> /dev/null && wait "$load_pid" 2> /dev/null
  kill -INT "$server" 2> /dev/null
  wait "$server" 2> /dev/null
}
trap cleanup EXIT
for _ in $(seq 100); do grep -q "listening" "$outdir/server.log" && break; sleep 0.1; done
# shellcheck disable=SC2086
deno task load -- $load --seconds 40 --port "$port" --pid "$server" \
  > "$outdir/load.json" 2> "$outdir/load.log" &
load_pid=$!
sleep 12 # connecting and the 2 s warm-up
timeout -s INT 10 strace -c -f -p "$server" -o "$outdir/strace.txt"
perf record -e cpu-clock -F 499 -g -p "$server" -o "$outdir/perf.data" -- sleep 10 \
  2> "$outdir/perf.log" > /dev/null
wait "$load_pid"
echo "load exited with $?" >> "$outdir/load.log"
load_pid=""
perf report -i "$outdir/perf.data" --no-children --sort dso --stdio -g none 2> /dev/null \
  > "$outdir/perf_dso.txt"
perf report -i "$outdir/perf.data" --no-children --sort sym --stdio -g none 2> /dev/null \
  | head -n 80 > "$outdir/perf_sym.txt"

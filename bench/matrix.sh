#!/usr/bin/env bash
# Runs the load generator against several server settings, interleaved round after round so
# that the machine's drift affects every setting alike, and appends each run's JSON line to
# OUT. Usage:
#   bench/matrix.sh OUT ROUNDS "LOAD ARGS" SETTING...
# SETTING is "default" (the server spawned with no --config: what users run), a config name
# from bench/configs (the server is spawned with it), or cpp=/path/to/ghost_server_cli to
# measure the C++ GhostServer started on a free port.
# Example: bench/matrix.sh /tmp/m.jsonl 3 "--clients 400 --seconds 20" default cpp=/tmp/gs/ghost_server_cli mmsg_0
#
# Only processes this script started are ever signalled, by the pid it recorded: other people's
# servers and tests on the same machine are left alone.
set -uo pipefail
cd "$(dirname "$0")/.."
out=$1 rounds=$2 load=$3
shift 3

cpp_pid="" fifo="" keep_open=""
stop_cpp() {
  if [[ -n $cpp_pid ]]; then
    # TERM, not INT: a script's background jobs start with SIGINT ignored. The run is measured
    # by now, so how it exits does not matter; KILL makes sure it does.
    kill -TERM "$cpp_pid" 2> /dev/null
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$cpp_pid" 2> /dev/null || break; sleep 0.2; done
    kill -KILL "$cpp_pid" 2> /dev/null
    wait "$cpp_pid" 2> /dev/null
    cpp_pid=""
  fi
  if [[ -n $keep_open ]]; then exec {keep_open}>&-; keep_open=""; fi
  if [[ -n $fifo ]]; then rm -f "$fifo"; fifo=""; fi
}
trap stop_cpp EXIT
trap 'stop_cpp; exit 130' INT TERM

for round in $(seq "$rounds"); do
  for setting in "$@"; do
    if [[ $setting == cpp=* ]]; then
      binary=${setting#cpp=}
      port=$(( 54000 + RANDOM % 1000 ))
      # The C++ console reads commands from stdin and stops at its end: give it a FIFO that this
      # script holds open, instead of a pipe from a helper process that would need killing.
      fifo=$(mktemp -u /tmp/ghost_stdin.XXXXXX)
      mkfifo "$fifo"
      "$binary" "$port" "/tmp/ghost_log.$port" < "$fifo" > /dev/null 2>&1 &
      cpp_pid=$!
      exec {keep_open}> "$fifo"
      sleep 1
      # shellcheck disable=SC2086
      line=$(deno task load -- $load --port "$port" --pid "$cpp_pid" 2> /dev/null | tail -n 1)
      stop_cpp
      name=cpp
    elif [[ $setting == default ]]; then
      # shellcheck disable=SC2086
      line=$(deno task load -- $load --spawn 2> /dev/null | tail -n 1)
      name=default
    else
      # shellcheck disable=SC2086
      line=$(deno task load -- $load --spawn --config "bench/configs/$setting.toml" 2> /dev/null | tail -n 1)
      name=$setting
    fi
    echo "{\"setting\":\"$name\",\"round\":$round,\"result\":$line}" >> "$out"
    echo "round $round $name done" >&2
  done
done

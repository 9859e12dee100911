#!/usr/bin/env bash
# Runs the load generator against several server settings, interleaved round after round so
# that the machine's drift affects every setting alike, and appends each run's JSON line to
# OUT. Usage:
#   bench/matrix.sh OUT ROUNDS "LOAD ARGS" SETTING...
# SETTING is a config name from bench/configs (the server is spawned with it), or
# cpp=/path/to/ghost_server_cli to measure the C++ GhostServer started on a free port.
# Example: bench/matrix.sh /tmp/m.jsonl 3 "--clients 400 --seconds 20" cpp=/tmp/gs/ghost_server_cli mmsg_0
set -uo pipefail
cd "$(dirname "$0")/.."
out=$1 rounds=$2 load=$3
shift 3
for round in $(seq "$rounds"); do
  for setting in "$@"; do
    if [[ $setting == cpp=* ]]; then
      binary=${setting#cpp=}
      port=$(( 54000 + RANDOM % 1000 ))
      # Its console reads standard input and ends at EOF: feed it a FIFO held open by a
      # sleep, and remember both pids, so that only the processes started here are stopped.
      fifo=$(mktemp -u)
      mkfifo "$fifo"
      sleep infinity > "$fifo" &
      holder=$!
      "$binary" "$port" "/tmp/ghost_log.$port" < "$fifo" > /dev/null 2>&1 &
      pid=$!
      sleep 1
      # shellcheck disable=SC2086
      line=$(deno task load -- $load --port "$port" --pid "$pid" 2> /dev/null | tail -n 1)
      kill -INT "$pid" 2> /dev/null
      wait "$pid" 2> /dev/null
      kill "$holder" 2> /dev/null
      wait "$holder" 2> /dev/null
      rm -f "$fifo"
      name=cpp
    else
      # shellcheck disable=SC2086
      line=$(deno task load -- $load --spawn --config "bench/configs/$setting.toml" 2> /dev/null | tail -n 1)
      name=$setting
    fi
    echo "{\"setting\":\"$name\",\"round\":$round,\"result\":$line}" >> "$out"
    echo "round $round $name done" >&2
  done
done

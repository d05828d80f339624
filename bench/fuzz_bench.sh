#!/usr/bin/env bash
# The `fuzz` section of bench/results.json: per fuzz target, executions per second, coverage (cov = edges, ft =
# features; at start-up on the seeds and at the end) and corpus size, from the last `make fuzz`
# (build/fuzz/results.json). When there is none, runs make fuzz with BENCH_FUZZ_SECONDS (default 30) per target.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
res=$top/build/fuzz/results.json
if [ ! -f "$res" ]; then
  make -C "$top" --no-print-directory fuzz FUZZ_SECONDS="${BENCH_FUZZ_SECONDS:-30}" || true
fi
[ -f "$res" ] || { echo "fuzz bench: no build/fuzz/results.json" >&2; exit 1; }
/usr/bin/python3 "$top/bench/results.py" set fuzz - < "$res"

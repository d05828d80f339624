#!/usr/bin/env bash
# make bench: every benchmark in turn, each merging its section into a fresh bench/results.json (the previous
# file is kept as bench/results.prev.json), then one table of everything. A benchmark that fails does not stop
# the others; its row is missing from the table and make bench exits 1 at the end, naming it.
# Benchmarks are never timed tests: a figure that misses its target is reported, not failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
res=$top/bench/results.json
[ -f "$res" ] && mv -f "$res" "$top/bench/results.prev.json"
failed=()
for b in image/bench.sh bench/diskboot_bench.sh bench/ingest_bench.sh bench/hash_bench.sh bench/measure_bench.sh bench/verify_bench.sh \
         bench/demo_bench.sh bench/scaling_bench.sh bench/deps_bench.sh bench/fuzz_bench.sh; do
  echo "== $b" >&2
  "$top/$b" || failed+=("$b")
done
/usr/bin/python3 - "$top" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(git -C "$top" rev-parse HEAD 2>/dev/null)" \
  "${failed[@]}" <<'PY'
import datetime, sys
sys.path.insert(0, sys.argv[1] + "/bench")
import results
results.set_section("run", {"finished_on": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                            "nproc": int(sys.argv[2]), "loadavg": sys.argv[3], "kettle_commit": sys.argv[4],
                            "failed": sys.argv[5:]})
PY
echo
/usr/bin/python3 "$top/bench/results.py" table
[ ${#failed[@]} -eq 0 ] || { echo "bench: failed: ${failed[*]}" >&2; exit 1; }

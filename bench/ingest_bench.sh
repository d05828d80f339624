#!/usr/bin/env bash
# make bench, ingest entry: the guest's input ingest (one pass over the device: SHA-256 of the device and of the
# nested toolchain, extraction with every check; split between PID 1 and the parser child as in the guest, and in
# one process as before the split) against native `sha256sum` of the device plus `tar -x` of the
# toolchain, on a ~300 MB toolchain tar, the same library code on the host, alternating in one run (the hidden
# Catch2 test "ingest throughput vs tar -x + sha256sum", tests/unit/disk/ingest_bench.cpp). Target >= 0.9x.
# Env KETTLE_BENCH_RUNS (default 3). Needs ~1.2 GB of temporary space.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
tests=$top/build/cmake/kettle-unit-tests
[ -x "$tests" ] || { echo "ingest bench: $tests not built (make tools)" >&2; exit 2; }
out=$("$tests" "ingest throughput vs tar -x + sha256sum" | grep '^bench ingest' || true)
grep -v '^bench ingest json:' <<<"$out"
json=$(sed -n 's/^bench ingest json: //p' <<<"$out")
[ -n "$json" ] || { echo "ingest bench: the test printed no result" >&2; exit 1; }
load=$(cut -d' ' -f1 /proc/loadavg)
/usr/bin/python3 - "$top/bench/results.py" "$json" "$load" "$(nproc)" <<'PY'
import json, os, sys
sys.path.insert(0, os.path.dirname(sys.argv[1]))
import results
d = json.loads(sys.argv[2])
d.update({"loadavg_1min": float(sys.argv[3]), "nproc": int(sys.argv[4]), "target_ratio": 0.9,
          "what": "kettle ingest as the guest runs it (PID 1 hashes the device and pipes it to a child that parses, "
                  "hashes the toolchain and extracts; unconfined on the host) and in one process as before, "
                  "vs sha256sum in.img && tar -xf tc.tar"})
results.set_section("ingest", d)
PY

#!/usr/bin/env bash
# make bench, hash entry: SHA-256 throughput of the library behind kettle's Hasher (nettle: the x86 SHA extensions
# where the CPU has them, chosen at run time) against mbedTLS 3.6 (no x86 SHA extensions), in the same static musl
# binary, 256 MiB in 1 MiB updates, alternating, best of 5 (the hidden Catch2 test "SHA-256 throughput: nettle ...",
# tests/unit/core/hash.cpp). The same digest is required.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
tests=$top/build/cmake/kettle-unit-tests
[ -x "$tests" ] || { echo "hash bench: $tests not built (make tools)" >&2; exit 2; }
json=$("$tests" "SHA-256 throughput: nettle (SHA extensions where present) against mbedTLS" | sed -n 's/^bench hash json: //p')
[ -n "$json" ] || { echo "hash bench: the test printed no result" >&2; exit 1; }
echo "hash bench: $json"
/usr/bin/python3 - "$top/bench/results.py" "$json" "$(cut -d' ' -f1 /proc/loadavg)" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)" <<'PY'
import json, os, sys
sys.path.insert(0, os.path.dirname(sys.argv[1]))
import results
d = json.loads(sys.argv[2])
d.update({"loadavg_1min": float(sys.argv[3]), "cpu": sys.argv[4].strip(),
          "what": "SHA-256 MB/s in kettle's static musl binary: nettle 3.10 (fat) vs mbedTLS 3.6"})
results.set_section("hash", d)
PY

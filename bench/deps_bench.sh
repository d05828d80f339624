#!/usr/bin/env bash
# make bench, deps entry (needs a finished `make demo-deps`): npm dependency checking, side by side.
#  - in the guest: the deps phase of the demo-deps run (QEMU TCG, emulated CPU): its time from status.json
#    (parser.deps.milliseconds) over the tarball bytes and packages it checked and laid out;
#  - on this host: the same library code (hidden Catch2 test "deps throughput vs npm ci --offline") against
#    `npm ci --offline --ignore-scripts` of the same lockfile from npm's own cache, alternating, best of N.
# Figures only; nothing is asserted.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
tests=$top/build/cmake/kettle-unit-tests
D=$top/build/demo-deps
[ -f "$D/bundle/status.json" ] || { echo "deps bench: run make demo-deps first" >&2; exit 2; }
W=$(mktemp -d /tmp/kettle-deps-bench-XXXXXX); trap 'rm -rf "$W"' EXIT
mkdir -p "$W/src" "$W/pkgs"
cp "$D/rxjs/package.json" "$D/rxjs/package-lock.json" "$W/src/"
cache=${KETTLE_DEPS_CACHE:-$HOME/.cache/kettle-deps}
python3 - "$W/src/package-lock.json" "$cache/npm" "$W/pkgs" <<'PY'
import base64, json, os, shutil, sys
lock, cache, dst = sys.argv[1:]
for k, v in json.load(open(lock))["packages"].items():
    if not k: continue
    alg, b64 = v["integrity"].split("-", 1)
    name = "%s-%s.tgz" % (alg, base64.b64decode(b64).hex())
    if not os.path.exists(os.path.join(dst, name)): shutil.copy(os.path.join(cache, name), dst)
PY
out=$(KETTLE_DEPS_BENCH_DIR="$W" "$tests" "deps throughput vs npm ci --offline" | grep '^bench deps' || true)
grep -v '^bench deps json:' <<<"$out"
json=$(sed -n 's/^bench deps json: //p' <<<"$out")
[ -n "$json" ] || { echo "deps bench: the test printed no result" >&2; exit 1; }
/usr/bin/python3 - "$top/bench/results.py" "$json" "$D/bundle/status.json" "$(cut -d' ' -f1 /proc/loadavg)" <<'PY'
import json, os, sys
sys.path.insert(0, os.path.dirname(sys.argv[1]))
import results
d = json.loads(sys.argv[2]); st = json.load(open(sys.argv[3]))
ms = st["parser"]["deps"]["milliseconds"]; lf = st["dependencies"]["lockfiles"][0]; n = st["dependencies"]["packages"]
d["guest_tcg"] = {"milliseconds": ms, "tarball_bytes": lf["bytes"], "packages": n,
                  "mb_s": round(lf["bytes"] / 1e6 / (ms / 1000.0), 2), "packages_s": round(n / (ms / 1000.0), 1)}
d["loadavg_1min"] = float(sys.argv[4])
d["what"] = ("npm: kettle's check + node_modules layout (host, same code as the guest) vs npm ci --offline "
             "--ignore-scripts (host), and the guest's deps phase under QEMU TCG from the demo-deps run")
print("bench deps guest (TCG): %.2f s for %d packages, %.1f MB/s, %.0f packages/s" %
      (ms / 1000.0, n, d["guest_tcg"]["mb_s"], d["guest_tcg"]["packages_s"]))
results.set_section("deps", d)
PY

#!/usr/bin/env bash
# make fuzz: run every libFuzzer target of the host build (build/host/fuzz) for FUZZ_SECONDS (default 60) each,
# one after the other (one core each: the machine is shared; FUZZ_JOBS=n runs n at a time), keeping everything under build/fuzz/:
#   seeds/<target>/    the seeds, made fresh (tests/fuzz/seeds.sh)
#   corpus/<target>/   the corpus, kept and grown from run to run
#   crashes/<target>/  crash-*, timeout-*, oom-*, leak-* inputs libFuzzer saved (each becomes a unit test with
#                      its input in tests/data/fuzz/<target>/ once fixed)
#   logs/<target>.log  libFuzzer's output
#   results.json       per target: executions, executions per second, coverage (cov = edges, ft = features) at
#                      start and at the end, corpus size, crashes; bench/fuzz_bench.sh copies it into
#                      bench/results.json
# FUZZ_TARGETS="json dsse" limits the run to some targets; FUZZ_JOBS=2 runs two targets at a time (default 1);
# FUZZ_DIR puts everything in another directory than build/fuzz (two runs side by side). Exit 1 when any target
# crashed (after all have run).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${KETTLE_HOST_BUILD:-$top/build/host}
F=${FUZZ_DIR:-$top/build/fuzz}
secs=${FUZZ_SECONDS:-60}
[[ "$secs" =~ ^[0-9]+$ ]] && [ "$secs" -gt 0 ] || { echo "fuzz: FUZZ_SECONDS must be a positive integer" >&2; exit 2; }
all=()
for t in "$top"/tests/fuzz/targets/*.cpp; do all+=("$(basename "$t" .cpp)"); done
read -r -a targets <<< "${FUZZ_TARGETS:-${all[*]}}"
for t in "${targets[@]}"; do
  [ -x "$B/fuzz/$t" ] || { echo "fuzz: no target $t in $B/fuzz (make fuzz builds them; targets: ${all[*]})" >&2; exit 2; }
done
mkdir -p "$F/logs" "$F/dicts"
"$top/tests/fuzz/seeds.sh" "$B" "$F/seeds" || exit 1
export ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1:check_initialization_order=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$top/tests/ubsan.supp"

# The dictionary of a target: the JSON tokens for the JSON formats, the tar tokens for the disk readers, plus
# tests/fuzz/dict/<target>.dict.
json_targets=" json dsse evidence statement request policy tdx_tcb_info tdx_qe_identity sim_amdsp "
tar_targets=" ingest output_disk "
dict_of() {
  local t=$1 out=$F/dicts/$1.dict
  : > "$out"
  [[ "$json_targets" == *" $t "* ]] && cat "$top/tests/fuzz/dict/json.dict" >> "$out"
  [[ "$tar_targets" == *" $t "* ]] && cat "$top/tests/fuzz/dict/tar.dict" >> "$out"
  [ -f "$top/tests/fuzz/dict/$t.dict" ] && cat "$top/tests/fuzz/dict/$t.dict" >> "$out"
  [ -s "$out" ] && echo "-dict=$out"
}

# One target: its libFuzzer run, then "<exit code> <crash files>" in logs/<target>.rc.
run_one() {
  local t=$1 log=$F/logs/$1.log rc
  mkdir -p "$F/corpus/$t" "$F/crashes/$t"
  echo "fuzz: $t for ${secs} s" >&2
  # timeout: a safety net over libFuzzer's own -max_total_time (which a hung input could outlive).
  timeout --signal=KILL $((secs + 300)) "$B/fuzz/$t" "$F/corpus/$t" "$F/seeds/$t" $(dict_of "$t") \
    -max_total_time="$secs" -timeout=25 -rss_limit_mb=2048 -max_len=262144 -print_final_stats=1 \
    -artifact_prefix="$F/crashes/$t/" >"$log" 2>&1
  rc=$?
  echo "$rc $(find "$F/crashes/$t" -type f | wc -l)" > "$F/logs/$t.rc"
}

# FUZZ_JOBS targets at a time (default 1).
jobs_max=${FUZZ_JOBS:-1}
[[ "$jobs_max" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz: FUZZ_JOBS must be a positive integer" >&2; exit 2; }
for t in "${targets[@]}"; do
  rm -f "$F/logs/$t.rc"
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
  run_one "$t" &
done
wait
crashed=()
rows=()
for t in "${targets[@]}"; do
  read -r rc n_crash < "$F/logs/$t.rc" || { rc=1; n_crash=0; }
  [ "$rc" -ne 0 ] || [ "$n_crash" -ne 0 ] && crashed+=("$t")
  rows+=("$t $rc $n_crash")
done

/usr/bin/python3 - "$F" "$secs" "${rows[@]}" <<'PY'
import json, os, re, sys, datetime
F, secs = sys.argv[1], int(sys.argv[2])
out = {"finished_on": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
       "fuzz_seconds": secs, "nproc": os.cpu_count(), "loadavg": open("/proc/loadavg").read().split()[:3],
       "targets": {}}
def cov(line):
    m = re.search(r"cov: (\d+) ft: (\d+)", line or "")
    return (int(m.group(1)), int(m.group(2))) if m else (None, None)
for row in sys.argv[3:]:
    t, rc, n_crash = row.split()
    text = open(f"{F}/logs/{t}.log", errors="replace").read()
    stat = dict(re.findall(r"^stat::(\w+):\s+(\d+)", text, re.M))
    inited = next((l for l in text.splitlines() if "INITED" in l), None)
    last = [l for l in text.splitlines() if re.match(r"#\d+\s", l) and "cov:" in l]
    corpus = os.listdir(f"{F}/corpus/{t}")
    c0, f0 = cov(inited)
    c1, f1 = cov(last[-1] if last else None)
    out["targets"][t] = {
        "exit_code": int(rc), "crashes": int(n_crash),
        "crash_files": sorted(os.listdir(f"{F}/crashes/{t}")),
        "executions": int(stat.get("number_of_executed_units", 0)),
        "exec_per_s": int(stat.get("average_exec_per_sec", 0)),
        "cov_start": c0, "ft_start": f0, "cov": c1, "ft": f1,
        "corpus_files": len(corpus),
        "corpus_bytes": sum(os.path.getsize(f"{F}/corpus/{t}/{n}") for n in corpus),
        "new_units": int(stat.get("new_units_added", 0)),
        "peak_rss_mb": int(stat.get("peak_rss_mb", 0)),
    }
with open(f"{F}/results.json", "w") as f:
    json.dump(out, f, indent=2, sort_keys=True)
    f.write("\n")
print(f"{'target':18} {'exec/s':>8} {'execs':>10} {'cov':>6} {'ft':>7} {'corpus':>7} {'crashes':>7}")
for t, r in out["targets"].items():
    print(f"{t:18} {r['exec_per_s']:>8} {r['executions']:>10} {r['cov'] or '-':>6} {r['ft'] or '-':>7} "
          f"{r['corpus_files']:>7} {r['crashes']:>7}")
print(f"({secs} s per target; build/fuzz/results.json, logs in build/fuzz/logs/)")
PY
if [ ${#crashed[@]} -ne 0 ]; then
  echo "fuzz: crashes or failures in: ${crashed[*]} (inputs in build/fuzz/crashes/<target>/, logs in build/fuzz/logs/)" >&2
  exit 1
fi

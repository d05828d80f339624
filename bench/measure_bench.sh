#!/usr/bin/env bash
# Time `kettle measure snp` against virtee/sev-snp-measure on the same inputs, check both print the same
# digest, and report the ratio. Usage: bench/measure_bench.sh [ORACLE_DIR] [RUNS]
#   ORACLE_DIR  a checkout of virtee/sev-snp-measure (default $SEV_SNP_MEASURE or /tmp/sev-snp-measure);
#               the benchmark is skipped (exit 0) when it is absent.
# Inputs: build/image (ovmf-amdsev.fd + kettle.efi) when built, else a synthetic 4 MiB firmware (zeros ending
# with the AmdSev 4 KiB fixture of tests/data) and a synthetic 16 MiB kernel.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
oracle=${1:-${SEV_SNP_MEASURE:-/tmp/sev-snp-measure}}
runs=${2:-10}
kettle=$top/build/bin/kettle
py=/usr/bin/python3
[ -x "$kettle" ] || { echo "measure bench: $kettle not built (make tools)" >&2; exit 2; }
results=$top/bench/results.py
if [ ! -f "$oracle/sev-snp-measure.py" ]; then
  echo "measure bench: sev-snp-measure not found at $oracle; skipped"
  "$py" "$results" set measure "{\"skipped\": true, \"oracle\": \"$oracle\"}"; exit 0
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
if [ -f "$top/build/image/ovmf-amdsev.fd" ] && [ -f "$top/build/image/kettle.efi" ]; then
  fw=$top/build/image/ovmf-amdsev.fd; kernel=$top/build/image/kettle.efi; what="build/image"
else
  fixture=$top/tests/data/snp/measure/ovmf_AmdSev_suffix.bin
  [ -f "$fixture" ] || { echo "measure bench: no build/image and no $fixture" >&2; exit 2; }
  head -c $((4 * 1024 * 1024 - 4096)) /dev/zero > "$tmp/fw.fd"; cat "$fixture" >> "$tmp/fw.fd"
  $py -c "import sys; sys.stdout.buffer.write(bytes(i % 251 for i in range(16 << 20)))" > "$tmp/kernel"
  fw=$tmp/fw.fd; kernel=$tmp/kernel; what="synthetic 4 MiB firmware + 16 MiB kernel"
fi
args=(--vcpus 2 --vcpu-type EPYC-Milan --guest-features 0x1)
ours=$("$kettle" measure snp --firmware "$fw" --kernel "$kernel" "${args[@]}")
theirs=$("$py" "$oracle/sev-snp-measure.py" --mode snp --ovmf "$fw" --kernel "$kernel" "${args[@]}")
if [ "$ours" != "$theirs" ]; then
  echo "measure bench: DIGESTS DIFFER: kettle $ours, sev-snp-measure $theirs" >&2; exit 1
fi
now() { date +%s%N; }
# Alternating, one of each per round, so both see the same machine load.
tk=0; ts=0
for _ in $(seq "$runs"); do
  t0=$(now); "$kettle" measure snp --firmware "$fw" --kernel "$kernel" "${args[@]}" >/dev/null; t1=$(now)
  "$py" "$oracle/sev-snp-measure.py" --mode snp --ovmf "$fw" --kernel "$kernel" "${args[@]}" >/dev/null; t2=$(now)
  tk=$(( tk + t1 - t0 )); ts=$(( ts + t2 - t1 ))
done
k=$(( tk / runs / 1000 )); s=$(( ts / runs / 1000 ))
echo "inputs: $what; shape: ${args[*]}; digest $ours (equal)"
echo "kettle measure snp: ${k} us/run; sev-snp-measure: ${s} us/run; ratio $(awk -v a="$s" -v b="$k" 'BEGIN{printf "%.1f", a/b}')x (target >= 50x)"
ratio=$(awk -v a="$s" -v b="$k" 'BEGIN{printf "%.2f", a/b}')
"$py" "$results" set measure "{\"inputs\": \"$what\", \"shape\": \"${args[*]}\", \"digest\": \"$ours\",
  \"runs\": $runs, \"kettle_us\": $k, \"sev_snp_measure_us\": $s, \"ratio\": $ratio,
  \"oracle\": \"$oracle\", \"oracle_commit\": \"$(git -C "$oracle" rev-parse HEAD 2>/dev/null || echo unknown)\"}"

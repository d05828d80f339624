#!/usr/bin/env bash
# bench/diskboot_bench.sh: make bench, section diskboot (bench/diskboot_bench.py): the cloud disk build, `kettle
# measure boot`, event-log replay, QEMU start -> PID 1 banner for a disk boot (NVMe, no -kernel) against a direct
# boot (-kernel) of the same UKI, side by side, and the UKI size with and without the issue-13 drivers (NVMe, TPM).
# "Without" is the kernel built from kernel-config/kettle.config minus its "cloud disks and measured boot" block,
# taken from the kernel cache when it is there (KETTLE_BENCH_BUILD_KERNEL=1 builds it, ~5-8 min). Env BENCH_RUNS.
. "$(dirname "$0")/../tools/build/common.sh"
img="$top/build/image"
[ -f "$img/kettle-disk.raw" ] || { echo "bench: $img/kettle-disk.raw missing: run make image" >&2; exit 1; }
frag="$top/kernel-config/kettle.config"
mkdir -p "$top/build/bench"
stripped="$top/build/bench/kettle.config.without-issue13"
# The fragment without the block: from its header line to the next "# ---" header (or the end), and the blank
# line before it.
python3 - "$frag" "$stripped" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
out, skip = [], False
for l in lines:
    if l.startswith("# --- cloud disks and measured boot"):
        skip = True
        if out and out[-1] == "":
            out.pop()
        continue
    if skip and l.startswith("# ---"):
        skip = False
        out.append("")
    if not skip:
        out.append(l)
open(sys.argv[2], "w").write("\n".join(out))
PY
HOSTPKGS=(gcc-12 binutils make bc bison flex libelf-dev libssl-dev zstd xz-utils dpkg perl-base)
key=$( { cat "$top/kernel-config/build.sh" "$stripped"; lock_rows linux-source-6.12; host_versions "${HOSTPKGS[@]}"; } | key_of)
before="$KETTLE_CACHE/kernel-$key"
if [ ! -f "$before/.done" ] && [ -n "${KETTLE_BENCH_BUILD_KERNEL:-}" ]; then
  echo "bench: building the kernel without the issue-13 drivers (cache key $key)" >&2
  tmp="$top/build/bench/kfrag"; rm -rf "$tmp"; mkdir -p "$tmp/kernel-config"
  cp "$top/kernel-config/build.sh" "$tmp/kernel-config/"; cp "$stripped" "$tmp/kernel-config/kettle.config"
  mkdir -p "$tmp/tools/build" "$tmp/tools/deps" "$tmp/deps"
  cp "$top/tools/build/common.sh" "$tmp/tools/build/"; cp -r "$top/tools/deps/." "$tmp/tools/deps/"
  cp "$top/deps/kettle.lock" "$tmp/deps/"
  "$tmp/kernel-config/build.sh" >/dev/null || echo "bench: that kernel build failed" >&2
fi
[ -f "$before/.done" ] && bz_before="$before/bzImage" || bz_before=""
exec /usr/bin/python3 "$top/bench/diskboot_bench.py" "$top" "$img" "${bz_before:-none}" "${BENCH_RUNS:-5}"

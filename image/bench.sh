#!/usr/bin/env bash
# image/bench.sh: make bench. Needs build/image (make image). Env BENCH_RUNS (default 5 per kernel).
. "$(dirname "$0")/../tools/build/common.sh"
img="$top/build/image"
[ -f "$img/kettle.efi" ] || { echo "bench: $img/kettle.efi missing: run make image" >&2; exit 1; }
pkg=$(awk -F'\t' '$2 ~ /^linux-image-.*-cloud-amd64$/ {print $2; exit}' "$top/deps/kettle.lock")
[ -n "$pkg" ] || { echo "bench: no cloud kernel pinned in deps/kettle.lock" >&2; exit 1; }
d="$top/build/bench/cloud-deb"
"$top/tools/deps/unpack" "$pkg" "$d"
vmlinuz="$top/build/bench/vmlinuz-cloud"
cp "$(ls "$d"/boot/vmlinuz-* | head -1)" "$vmlinuz"; rm -rf "$d"   # the modules tree is 100+ MB
exec /usr/bin/python3 "$top/image/bench.py" "$top" "$img" "$vmlinuz" \
  "$pkg $(awk -F'\t' -v p="$pkg" '$2==p {print $3; exit}' "$top/deps/kettle.lock")" "${BENCH_RUNS:-5}"

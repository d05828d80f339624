#!/usr/bin/env bash
# make bench, scaling entry: how start-up and guest memory grow with the toolchain, tarball path against image path,
# side by side under QEMU TCG. For toolchains of about 100 MB, 1 GB and 3 GB (the busybox rootfs of the tests plus
# padding files of random bytes that the build never reads), each size is run as a tarball on the input disk and
# as a toolchain image on its own disk (docs/formats.md §5), KETTLE_SCALING_RUNS (1) times each; all toolchains are made
# first, then the runs go round sizes and kinds in turn, so load drift on a shared machine hits every size alike.
# Figures per run: VM start -> build start (run.json, host view: from QEMU's start, timings.vm_start_s, to the guest's
# `KETTLE-PHASE build` marker in timings.phases; also from the start of `kettle run`, which adds writing the input
# disk), the guest's own phase times (status.json timings_ms), and the guest memory in use when
# the build starts (MemTotal - MemAvailable, read by the build command itself from /proc/meminfo). The tarball path
# gets --memory large enough for its tmpfs to hold the unpacked toolchain; the image path gets 512 MiB at every size.
# Env: KETTLE_SCALING_SIZES (MB, default "100 1000 3000"), KETTLE_SCALING_RUNS, KETTLE_SCALING_KINDS (default
# "tarball image"), KETTLE_SCALING_DIR (work directory, default build/bench-scaling; needs about 2.2 x the sum of the
# sizes free). Everything made is removed afterwards.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
K=$top/build/bin/kettle IMAGE=$top/build/image py=/usr/bin/python3
sizes=${KETTLE_SCALING_SIZES:-100 1000 3000} runs=${KETTLE_SCALING_RUNS:-1}
kinds=${KETTLE_SCALING_KINDS:-tarball image}
W=${KETTLE_SCALING_DIR:-$top/build/bench-scaling}
[ -x "$K" ] && [ -f "$IMAGE/kettle.efi" ] || { echo "scaling bench: build/bin/kettle or build/image missing" >&2; exit 2; }
rm -rf "$W"; mkdir -p "$W"; trap 'rm -rf "$W"' EXIT
export KETTLE_CACHE=${KETTLE_CACHE:-$HOME/.cache/kettle}

# The busybox rootfs (as tests/integration/common.sh makes it) and a source whose build reads /proc/meminfo first.
base=$W/base; mkdir -p "$base/root/bin" "$base/root/etc"
"$top/tools/deps/unpack" busybox-static "$base/deb"
cp "$base/deb/bin/busybox" "$base/root/bin/busybox"
for a in $("$base/root/bin/busybox" --list); do [ "$a" = busybox ] || ln -sf busybox "$base/root/bin/$a"; done
printf 'root:x:0:0::/root:/bin/sh\nbuilder:x:1000:1000::/src:/bin/sh\n' > "$base/root/etc/passwd"
src=$W/src; mkdir -p "$src"
printf '#!/bin/sh\nmkdir -p out\ncat /proc/meminfo > out/meminfo.txt\n' > "$src/build.sh"; chmod +x "$src/build.sh"
git -C "$src" init -q; git -C "$src" add -A
GIT_AUTHOR_DATE=2025-01-01T00:00:00Z GIT_COMMITTER_DATE=2025-01-01T00:00:00Z \
  git -C "$src" -c user.name=bench -c user.email=bench@kettle.invalid commit -qm bench

results=$W/results.jsonl; : > "$results"
for mb in $sizes; do
  echo "scaling bench: toolchain of about $mb MB" >&2
  root=$W/root-$mb; cp -a "$base/root" "$root"; mkdir -p "$root/pad"
  left=$mb i=0
  while [ "$left" -gt 0 ]; do  # padding in files of at most 256 MB, never read by the build
    n=$(( left > 256 ? 256 : left )); head -c "$((n << 20))" /dev/urandom > "$root/pad/pad-$i.bin"
    left=$(( left - n )); i=$((i + 1))
  done
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$root" -cf "$W/tc-$mb.tar" .
  rm -rf "$root"
  "$K" toolchain pack "$W/tc-$mb.tar" -o "$W/tc-$mb.img" >&2
done

# Runs outermost, then sizes, then kinds: a change in the machine's load during the bench falls on every size alike.
for r in $(seq 1 "$runs"); do
  for mb in $sizes; do
    tar_mib=$(( ( (mb + 200) * 10 / 7 + 255 ) / 256 * 256 )); [ "$tar_mib" -ge 512 ] || tar_mib=512
    for kind in $kinds; do
      if [ "$kind" = tarball ]; then tc=$W/tc-$mb.tar mem=$tar_mib; else tc=$W/tc-$mb.img mem=512; fi
      out=$W/out-$mb-$kind-$r
      echo "scaling bench: $mb MB, $kind, --memory ${mem}M, run $r" >&2
      TMPDIR=$W "$K" run --profile tcg --vcpus 2 --memory "${mem}M" --image "$IMAGE" --source "$src" \
        --toolchain "$tc" --artifacts out/meminfo.txt --timeout 600 --out "$out" -- /bin/sh ./build.sh 2> "$W/run.err" \
        || { tail -5 "$W/run.err" >&2; echo "scaling bench: the $kind run at $mb MB failed" >&2; exit 1; }
      "$py" - "$out" "$mb" "$kind" "$mem" "$(stat -c %s "$tc")" >> "$results" <<'PY'
import json, sys
out, mb, kind, mem, tc_bytes = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
run, st = json.load(open(f"{out}/run.json")), json.load(open(f"{out}/status.json"))
phases = {p["phase"]: p["started_s"] for p in run["timings"]["phases"]}
mi = {l.split(":")[0]: int(l.split()[1]) for l in open(f"{out}/artifacts/out/meminfo.txt") if l.strip()}
print(json.dumps({"size_mb": mb, "kind": kind, "memory_mib": mem, "toolchain_bytes": tc_bytes,
                  "input_disk_bytes": run["input_disk"]["bytes"],
                  "start_to_build_s": round(phases["build"] - run["timings"]["vm_start_s"], 3),
                  "kettle_run_to_build_s": phases["build"],
                  "guest_ms": {k: v for k, v in st["timings_ms"].items() if k in ("boot", "cmdline", "ingest", "toolchain", "checkout")},
                  "mem_used_at_build_mib": round((mi["MemTotal"] - mi["MemAvailable"]) / 1024, 1),
                  "mem_total_mib": round(mi["MemTotal"] / 1024, 1)}))
PY
      rm -rf "$out"
    done
  done
done

"$py" - "$results" "$top/bench/results.py" "$(cut -d' ' -f1 /proc/loadavg)" "$(nproc)" <<'PY'
import json, os, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
sys.path.insert(0, os.path.dirname(sys.argv[2]))
import results
sizes = []
for mb in sorted({r["size_mb"] for r in rows}):
    e = {"size_mb": mb}
    for kind in ("tarball", "image"):
        rs = [r for r in rows if r["size_mb"] == mb and r["kind"] == kind]
        if not rs:
            continue
        e[kind] = {"start_to_build_s": round(statistics.median(r["start_to_build_s"] for r in rs), 2),
                   "kettle_run_to_build_s": round(statistics.median(r["kettle_run_to_build_s"] for r in rs), 2),
                   "mem_used_at_build_mib": round(statistics.median(r["mem_used_at_build_mib"] for r in rs), 1),
                   "memory_mib": rs[0]["memory_mib"], "toolchain_bytes": rs[0]["toolchain_bytes"],
                   "input_disk_bytes": rs[0]["input_disk_bytes"], "runs": rs}
    sizes.append(e)
starts = [s["image"]["start_to_build_s"] for s in sizes if "image" in s]
spread = max(starts) / min(starts) - 1 if starts else None
results.set_section("scaling", {"sizes": sizes, "image_start_spread": spread, "target_spread": 0.2,
                                "loadavg_1min": float(sys.argv[3]), "nproc": int(sys.argv[4]),
                                "what": "QEMU start -> build start (host view) and MemTotal-MemAvailable at build start, TCG, 2 vCPUs"})
for s in sizes:
    line = f"scaling bench: {s['size_mb']:>5} MB"
    for kind in ("tarball", "image"):
        if kind in s:
            e = s[kind]
            line += (f"  {kind} {e['start_to_build_s']:7.1f} s {e['mem_used_at_build_mib']:7.0f} MiB used"
                     f" (--memory {e['memory_mib']}M)")
    print(line)
if spread is not None:
    print(f"scaling bench: image start-up spread across sizes {spread:.1%} (target <= 20%)")
PY

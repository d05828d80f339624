#!/usr/bin/env bash
# make bench, demo entries: the phase times of the last `make demo` (build/demo/bundle: run.json timings.phases as
# seen by the host, status.json timings_ms as measured by the guest), and the demo build's time in the VM (QEMU
# TCG) against the same command run natively, now, with chroot(8) in the same toolchain rootfs.
# Runs `make demo` first when build/demo/bundle is absent (about 4 minutes). Usage: bench/demo_bench.sh
# The native build: the toolchain the bundle records (a tarball by its SHA-256, or an image by its root hash, then
# the rootfs tarball it was packed from) is found in $KETTLE_CACHE/toolchains and unpacked into a temporary
# directory; the committed tree at the recorded commit (git archive of build/demo/hello) goes to /src; the recorded
# argv, env and workdir run as uid 1000 with only PATH set (as the VM's sandbox does), with /dev/null, zero, full,
# random, urandom and tty as nodes and a private /tmp. Root is needed for chroot.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
: "${KETTLE_CACHE:=$HOME/.cache/kettle}"
py=/usr/bin/python3
results=$top/bench/results.py
bundle=$top/build/demo/bundle
demo_wall=null
if [ ! -f "$bundle/run.json" ] || [ ! -f "$bundle/status.json" ]; then
  echo "demo bench: $bundle absent: running make demo (about 4 minutes)" >&2
  t0=$(date +%s%N)
  make -C "$top" --no-print-directory demo >&2
  demo_wall=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN{printf "%.1f", (b-a)/1e9}')
fi

# 1. Phase times, and what the native run needs (toolchain digest, argv, env, workdir, commit, artifact digest).
eval "$("$py" - "$bundle" "$demo_wall" "$results" <<'EOF'
import base64, json, shlex, sys
bundle, demo_wall, results_py = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, __import__("os").path.dirname(results_py))
import results
run = json.load(open(f"{bundle}/run.json"))
st = json.load(open(f"{bundle}/status.json"))
env = json.loads(open(f"{bundle}/provenance.intoto.jsonl").readline())
stmt = json.loads(base64.b64decode(env["payload"]))
ext = stmt["predicate"]["buildDefinition"]["externalParameters"]
t = run["timings"]
# Host view: each phase lasts from its KETTLE-PHASE marker to the next one (the last until the VM exits); a phase
# that appears twice (output) is summed. "boot" is QEMU start -> PID 1's first marker (firmware, kernel, init).
ph, host = t["phases"], {}
# The last phase (poweroff) runs to the end of `kettle run` (QEMU exit, reading the output disk).
for i, p in enumerate(ph):
    end = ph[i + 1]["started_s"] if i + 1 < len(ph) else max(t["total_seconds"], p["started_s"])
    host[p["phase"]] = round(host.get(p["phase"], 0.0) + end - p["started_s"], 3)
build_s = host.get("build")
sect = {"bundle": bundle, "host_s": host, "guest_ms": st.get("timings_ms", {}), "vm_s": round(t["vm_seconds"], 3),
        "total_s": round(t["total_seconds"], 3), "ok": st.get("ok"),
        "fixed_overhead_s": None if build_s is None else round(t["total_seconds"] - build_s, 3),
        "make_demo_wall_s": None if demo_wall == "null" else float(demo_wall),
        "commit": ext["source_ref"], "argv": ext["argv"], "started_on": run.get("started_on")}
results.set_section("demo", sect)
tc = st["inputs"]["toolchain"]
art = {s["name"]: s["digest"]["sha256"] for s in stmt["subject"]}
# A tarball is identified by its SHA-256 and size, a toolchain image by its dm-verity root hash.
print(f"tc_sha256={tc.get('sha256', '')} tc_size={tc.get('size', '')} tc_root={tc.get('root_hash', '')} "
      f"commit={ext['source_ref']}")
print(f"workdir={shlex.quote(ext.get('workdir', '.'))} vm_build_ms={st['timings_ms'].get('build', 'null')}")
print("argv=(" + " ".join(shlex.quote(a) for a in ext["argv"]) + ")")
print("envs=(" + " ".join(shlex.quote(f"{k}={v}") for k, v in sorted(ext.get("env", {}).items())) + ")")
print(f"hello_sha256={art.get('hello', '')}")
EOF
)"
echo "demo bench: phases of $bundle -> bench/results.json section demo"

# 2. The same build natively in a chroot of the same toolchain rootfs.
[ "$(id -u)" = 0 ] || { echo "demo bench: the native chroot build needs root; skipped" >&2; exit 0; }
tc=
if [ -n "$tc_root" ]; then
  # The image's rootfs tarball: tools/demo.sh keeps it beside the image (<tarball minus .tar.zst>-<key>.img).
  for f in "$KETTLE_CACHE"/toolchains/*.img; do
    [ -f "$f" ] || continue
    "$top/build/bin/kettle" toolchain info "$f" | grep -q "\"root_hash\": \"$tc_root\"" || continue
    t="${f%-*.img}.tar.zst"; [ -f "$t" ] && { tc=$t; break; }
  done
  [ -n "$tc" ] || { echo "demo bench: no toolchain image with root hash $tc_root (and its tarball) in $KETTLE_CACHE/toolchains" >&2; exit 1; }
else
  for f in "$KETTLE_CACHE"/toolchains/*.tar.zst; do
    [ -f "$f" ] && [ "$(stat -c %s "$f")" = "$tc_size" ] || continue
    [ "$(sha256sum "$f" | cut -d' ' -f1)" = "$tc_sha256" ] && { tc=$f; break; }
  done
  [ -n "$tc" ] || { echo "demo bench: no toolchain with sha256 $tc_sha256 in $KETTLE_CACHE/toolchains" >&2; exit 1; }
fi
src=$top/build/demo/hello
git -C "$src" cat-file -e "$commit^{commit}" || { echo "demo bench: $src lacks commit $commit" >&2; exit 1; }
tmp=$(mktemp -d /var/tmp/kettle-native-build.XXXXXX); trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
mkdir -p "$root"
zstd -dcq "$tc" | tar -x -C "$root"
mkdir -p "$root/src" "$root/dev" "$root/tmp"
chmod 1777 "$root/tmp"
for n in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9" "tty 5 0"; do
  set -- $n; rm -f "$root/dev/$1"; mknod -m 666 "$root/dev/$1" c "$2" "$3"
done
git -C "$src" archive "$commit" | tar -x -C "$root/src"
chown -R 1000:1000 "$root/src"
echo "demo bench: native build in a chroot of $(basename "$tc") ($(nproc) host cores): ${argv[*]}" >&2
t0=$(date +%s%N)
set +e
env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin "${envs[@]}" \
  chroot --userspec=1000:1000 "$root" /bin/sh -c 'cd "/src/$0" && exec "$@"' "$workdir" "${argv[@]}" \
  > "$tmp/native.log" 2>&1
rc=$?
set -e
t1=$(date +%s%N)
native_ms=$(( (t1 - t0) / 1000000 ))
[ "$rc" = 0 ] || { tail -20 "$tmp/native.log" >&2; echo "demo bench: the native build failed ($rc)" >&2; exit 1; }
native_hello=$(sha256sum "$root/src/hello" | cut -d' ' -f1)
"$py" "$results" set demo_build "$("$py" - <<EOF
import json
vm, native = $vm_build_ms, $native_ms
print(json.dumps({"vm_s": vm / 1000, "vm_accel": "tcg", "native_s": native / 1000, "ratio": vm / native,
                  "native_host_cores": $(nproc), "toolchain": "$(basename "$tc")", "commit": "$commit",
                  "hello_sha256_vm": "$hello_sha256", "hello_sha256_native": "$native_hello",
                  "same_hello": "$hello_sha256" == "$native_hello"}))
EOF
)"
echo "demo bench: build in the VM (TCG) $((vm_build_ms / 1000)) s, natively in a chroot $((native_ms / 1000)) s"

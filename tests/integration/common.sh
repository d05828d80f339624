# Shared by the QEMU TCG integration tests (sourced). Exit code 4 means "skipped" to ctest.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
K=${KETTLE_BIN_DIR:-$top/build/bin}/kettle
IMAGE=${KETTLE_IMAGE:-$top/build/image}
: "${KETTLE_CACHE:=$HOME/.cache/kettle}"; export KETTLE_CACHE
[ -x "$K" ] || { echo "SKIP: $K not built"; exit 4; }
[ -f "$IMAGE/kettle.efi" ] && [ -f "$IMAGE/ovmf.fd" ] || { echo "SKIP: $IMAGE has no image (make image)"; exit 4; }
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: qemu-system-x86_64 not installed"; exit 4; }

T=$(mktemp -d /tmp/kettle-it-XXXXXX)
trap 'rm -rf "$T"' EXIT

fail() {
  echo "FAIL: $*" >&2
  for f in "${O:-/nonexistent}/status.json" "${O:-/nonexistent}/build.log"; do
    [ -f "$f" ] && { echo "--- $f" >&2; tail -c 3000 "$f" >&2; }
  done
  exit 1
}
# json FILE EXPR: evaluate a Python expression over the parsed JSON document `j`.
json() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# A tiny toolchain rootfs: Debian's busybox-static (pinned) with one link per applet, as a deterministic tar.
busybox_toolchain() {
  local out="$top/build/testdata/busybox-rootfs.tar"
  if [ ! -f "$out" ]; then
    local d="$T/bb"
    "$top/tools/deps/unpack" busybox-static "$d/deb"
    mkdir -p "$d/root/bin" "$d/root/tmp" "$d/root/etc"
    cp "$d/deb/bin/busybox" "$d/root/bin/busybox"
    for a in $("$d/root/bin/busybox" --list); do [ "$a" = busybox ] || ln -sf busybox "$d/root/bin/$a"; done
    printf 'root:x:0:0::/root:/bin/sh\nbuilder:x:1000:1000::/src:/bin/sh\n' > "$d/root/etc/passwd"
    mkdir -p "$(dirname "$out")"
    tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$d/root" -cf "$out.tmp" .
    mv "$out.tmp" "$out"
  fi
  echo "$out"
}

# make_source DIR: a git repository with a build script, committed with fixed identity and dates.
make_source() {
  local d=$1; shift
  mkdir -p "$d"
  git -C "$d" init -q
  cat > "$d/build.sh"
  chmod +x "$d/build.sh"
  printf 'hello from the source tree\n' > "$d/README"
  git -C "$d" add -A
  GIT_AUTHOR_DATE='2025-01-01T00:00:00Z' GIT_COMMITTER_DATE='2025-01-01T00:00:00Z' \
    git -C "$d" -c user.name=kettle-test -c user.email=test@kettle.invalid commit -qm source
}

# kettle_run OUT [flags...] -- CMD...: run a TCG build; sets RC to kettle run's exit code.
kettle_run() {
  local out=$1; shift
  set +e
  "$K" run --profile tcg --vcpus 1 --memory 512M --image "$IMAGE" --toolchain "$(busybox_toolchain)" \
      --out "$out" "$@" 2> "$T/run.stderr"
  RC=$?
  set -e
  echo "kettle run exit code $RC"; tail -5 "$T/run.stderr"
}

# disk_run KIND: make the hostile input disk KIND (hostile_disks.py) unless $T/KIND.img exists, boot it at
# 512 MiB; sets RC to kettle run's exit code.
disk_run() {
  local kind=$1
  [ -f "$T/$kind.img" ] || python3 "$top/tests/integration/hostile_disks.py" "$kind" "$T/$kind.img"
  set +e
  "$K" run --profile tcg --vcpus 1 --memory 512M --image "$IMAGE" --input-disk "$T/$kind.img" --out "$O" 2> "$T/run.stderr"
  RC=$?
  set -e
  echo "$kind: kettle run exit code $RC"; tail -3 "$T/run.stderr"
}

# expect_refused CODE PHASE TEXT: the run ended with CODE, status.json (strict UTF-8 JSON) and build.log came back,
# the failure is in PHASE with an error containing TEXT, no provenance, and the VM powered off without a panic.
expect_refused() {
  [ "$RC" = "$1" ] || fail "expected exit $1, got $RC"
  [ -f "$O/status.json" ] || fail "no status.json"
  [ -f "$O/build.log" ] || fail "no build.log"
  python3 -c 'import json,sys; json.loads(open(sys.argv[1],"rb").read().decode("utf-8"))' "$O/status.json" \
    || fail "status.json is not strict UTF-8 JSON"
  [ "$(json "$O/status.json" 'j["phase"]')" = "$2" ] || fail "phase $(json "$O/status.json" 'j["phase"]'), not $2"
  local err; err=$(json "$O/status.json" 'j["error"]')
  echo "$2: $err"
  case "$err" in *"$3"*) ;; *) fail "the error does not say '$3'" ;; esac
  [ ! -e "$O/provenance.intoto.jsonl" ] || fail "provenance for a refused run"
  grep -q "reboot: Power down" "$O/console.log" || fail "no clean power-off"
  ! grep -q "Kernel panic" "$O/console.log" || fail "kernel panic"
}

# check_parser_probes PHASE: status.json records the PHASE child's confinement probes; every path PID 1 could
# open (configfs, the output and input disks, the simulated AMD-SP port) was blocked for the child, and
# configfs and the output disk were among them (so the check is not vacuous).
check_parser_probes() {
  python3 - "$O/status.json" "$1" <<'PY' || fail "parser probes ($1)"
import json, sys
p = json.load(open(sys.argv[1]))["parser"][sys.argv[2]]
assert p["uid"] == 900, p
seen = {}
for r in p["probes"]:
    print("  %s child: %-22s %s (pid1 %s)" % (sys.argv[2], r["path"], r["child"], "opened" if r["pid1_opened"] else "could not open"))
    assert r["child"].startswith("blocked"), r
    seen[r["path"]] = r["pid1_opened"]
assert seen.get("/sys/kernel/config") is True, "configfs not probed or not reachable by PID 1"
assert any(v for k, v in seen.items() if k.startswith("/dev/vd")), "no disk probed"
assert "/dev/sev-guest" in seen and "mount configfs" in seen
PY
}

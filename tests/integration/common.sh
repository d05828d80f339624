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

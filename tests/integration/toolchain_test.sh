#!/usr/bin/env bash
# `kettle toolchain debian` twice with a tiny package set: both rootfs tarballs must have the same SHA-256, and
# neither may carry device nodes (the guest refuses them). Skipped (exit 4) when Debian's archive is unreachable.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
K=${KETTLE_BIN_DIR:-$top/build/bin}/kettle
[ -x "$K" ] || { echo "SKIP: $K not built"; exit 4; }
command -v mmdebstrap >/dev/null || { echo "SKIP: mmdebstrap not installed"; exit 4; }
T=$(mktemp -d /tmp/kettle-tc-XXXXXX); trap 'rm -rf "$T"' EXIT
/usr/lib/apt/apt-helper -qq download-file http://deb.debian.org/debian/dists/bookworm/Release "$T/Release" >/dev/null 2>&1 \
  || { echo "SKIP: Debian's archive is not reachable"; exit 4; }
for i in 1 2; do
  "$K" toolchain debian --suite bookworm --variant extract --packages busybox-static -o "$T/rootfs$i.tar" > "$T/out$i"
  cat "$T/out$i"
done
a=$(sha256sum "$T/rootfs1.tar" | cut -d' ' -f1); b=$(sha256sum "$T/rootfs2.tar" | cut -d' ' -f1)
[ "$a" = "$b" ] || { echo "FAIL: two runs differ: $a vs $b"; exit 1; }
grep -q "sha256:$a" "$T/out1" || { echo "FAIL: the printed digest is not the file's"; exit 1; }
# List to a file first: `tar | grep -q` under pipefail fails at random when grep stops reading early (SIGPIPE).
tar -tvf "$T/rootfs1.tar" > "$T/list"
grep -q ' \./bin/busybox$' "$T/list" || { echo "FAIL: bin/busybox missing"; exit 1; }
if grep -q '^[cb]' "$T/list"; then echo "FAIL: device nodes in the rootfs"; exit 1; fi
echo "PASS: identical rootfs $a, no device nodes"

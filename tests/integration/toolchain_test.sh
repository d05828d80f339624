#!/usr/bin/env bash
# `kettle toolchain debian` twice with a tiny package set: both rootfs tarballs must have the same SHA-256, and
# neither may carry device nodes (the guest refuses them); then twice as a toolchain image (the default output):
# both must have the same root hash and bytes, the same as `kettle toolchain pack` of the tarball. Skipped (exit 4)
# when Debian's archive is unreachable.
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
# The recipe's manifest: the InRelease apt verified (gpgv checked it again), the Packages index it lists, and the
# same manifest for both runs (an `extract` variant installs nothing, so the package list is empty).
python3 - "$T/rootfs1.tar.recipe.json" "$T/rootfs2.tar.recipe.json" <<'PY' || { echo "FAIL: recipe manifest"; exit 1; }
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
assert a["schema"] == "kettle-toolchain-recipe/v2", a["schema"]
ix = a["apt_index"]
assert len(ix) == 1 and ix[0]["codename"] == "bookworm" and len(ix[0]["release_sha256"]) == 64, ix
assert ix[0]["packages_indexes"][0]["path"] == "main/binary-amd64/Packages", ix
assert a["apt_index"] == b["apt_index"] and a["packages"] == b["packages"] == []
print("recipe v2: InRelease of %s, %d packages" % (ix[0]["date"], len(a["packages"])))
PY
if ! command -v mkfs.erofs >/dev/null || ! { command -v veritysetup >/dev/null || [ -x /usr/sbin/veritysetup ]; }; then
  echo "SKIP: erofs-utils or cryptsetup-bin not installed: image output not tested"; exit 4
fi
for i in 1 2; do
  "$K" toolchain debian --suite bookworm --variant extract --packages busybox-static -o "$T/tc$i.img" > "$T/img$i"
  cat "$T/img$i"
done
r1=$(cut -d' ' -f1 "$T/img1"); r2=$(cut -d' ' -f1 "$T/img2")
case "$r1" in root_hash=????????????????????????????????????????????????????????????????) ;; *) echo "FAIL: no root hash printed"; exit 1;; esac
[ "$r1" = "$r2" ] || { echo "FAIL: two image runs differ: $r1 vs $r2"; exit 1; }
cmp -s "$T/tc1.img" "$T/tc2.img" || { echo "FAIL: two image runs have the same root hash but different bytes"; exit 1; }
"$K" toolchain pack "$T/rootfs1.tar" -o "$T/packed.img" > "$T/packed"
[ "$(cut -d' ' -f1 "$T/packed")" = "$r1" ] || { echo "FAIL: pack of the tarball gives another root hash"; exit 1; }
info=$("$K" toolchain info "$T/tc1.img")
grep -q "\"root_hash\": \"${r1#root_hash=}\"" <<<"$info" || { echo "FAIL: info"; exit 1; }
echo "PASS: identical images, $r1"

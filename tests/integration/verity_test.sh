#!/usr/bin/env bash
# verity_test.sh CASE: the toolchain as a dm-verity protected EROFS image on its own disk (docs/formats.md §5), end
# to end in QEMU TCG. The toolchain is the busybox rootfs plus /opt/read.bin (which the builds read) and
# /opt/unread.bin (which they never read), packed with `kettle toolchain pack`.
#   image          the same build with the image and with the tarball of the same rootfs: same artifacts; the
#                  image run verifies offline, records the root hash, and carries no toolchain on its input disk
#   tamper-read    one byte flipped in a block of /opt/read.bin: the build reads it, ignores the error and exits 0,
#                  and still fails with toolchain-integrity, without artifacts or provenance
#   tamper-unread  one byte flipped in a block of /opt/unread.bin: the build succeeds with the same artifacts
#   wrong-root     the input disk of a good run replayed with another image on the toolchain disk (a host swapping
#                  disks): fails in phase toolchain, before checkout and build
. "$(dirname "$0")/common.sh"
case=${1:?case}
S="$T/src"; O="$T/out"
command -v mkfs.erofs >/dev/null && { command -v veritysetup >/dev/null || [ -x /usr/sbin/veritysetup ]; } \
  || { echo "SKIP: erofs-utils or cryptsetup-bin not installed"; exit 4; }

# The rootfs tarball (busybox + /opt files), cached in build/testdata; the image is packed per test.
verity_rootfs() {
  local out="$top/build/testdata/verity-rootfs.tar"
  if [ ! -f "$out" ]; then
    local d="$T/vr"; mkdir -p "$d/opt"
    tar -xf "$(busybox_toolchain)" -C "$d"
    python3 - "$d/opt" <<'PY'
import sys
d = sys.argv[1]
# Distinct 4096-byte blocks, so each block of each file occurs once in the image.
open(d + "/read.bin", "wb").write(b"".join((b"read-block-%06d-" % i).ljust(4096, b"r") for i in range(16)))
open(d + "/unread.bin", "wb").write(b"".join((b"unread-block-%06d-" % i).ljust(4096, b"u") for i in range(64)))
PY
    tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$d" -cf "$out.tmp.$$" .
    mv "$out.tmp.$$" "$out"
  fi
  echo "$out"
}
pack() {  # pack IMAGE [EPOCH]
  "$K" toolchain pack "$(verity_rootfs)" -o "$1" --epoch "${2:-1704067200}" > "$1.out" || fail "kettle toolchain pack failed"
}
root_of() { "$K" toolchain info "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["root_hash"])'; }
# flip IMAGE FILE BLOCK: flip one byte in the middle of block BLOCK of FILE (/opt/...) as stored in IMAGE.
flip() {
  python3 - "$1" "$2" "$3" <<'PY'
import sys
img, name, blk = sys.argv[1], sys.argv[2], int(sys.argv[3])
prefix = (b"read-block-%06d-" if "/read" in name else b"unread-block-%06d-") % blk
data = open(img, "rb").read()
# At block starts only: "read-block-…" is also a substring of every "unread-block-…" block.
offs = [o for o in range(0, len(data), 4096) if data.startswith(prefix, o)]
assert len(offs) == 1, "block not found once, block-aligned"
off = offs[0]
b = bytearray(data); b[off + 2000] ^= 0x01
open(img, "r+b").write(b)
print(f"flipped byte {off + 2000} (block {off // 4096}) of {img}")
PY
}
# run_image OUT IMAGE [flags] -- CMD: kettle run with the toolchain image; sets RC.
run_image() {
  local out=$1 img=$2; shift 2
  set +e
  "$K" run --profile tcg --vcpus 1 --memory 512M --image "$IMAGE" --toolchain "$img" --source "$S" --out "$out" "$@" 2> "$T/run.stderr"
  RC=$?
  set -e
  echo "kettle run exit code $RC"; tail -5 "$T/run.stderr"
}
BUILD='#!/bin/sh
set -e
mkdir -p out
stat -c "%a %u %g %n" /bin/busybox /etc/passwd /opt/read.bin /opt/unread.bin /src /tmp > out/modes.txt
sha256sum /opt/read.bin > out/read.sha256
echo built > out/done.txt
'

case "$case" in
image)
  make_source "$S" <<<"$BUILD"
  pack "$T/tc.img"
  root=$(root_of "$T/tc.img")
  run_image "$O" "$T/tc.img" --artifacts 'out/*' --nonce 00112233 -- /bin/sh ./build.sh
  [ "$RC" = 0 ] || fail "image run exited $RC"
  [ "$(json "$O/status.json" 'j["inputs"]["toolchain"]["root_hash"]')" = "$root" ] || fail "status root hash"
  [ "$(json "$O/status.json" 'j["inputs"]["toolchain"]["verity"]')" = verified ] || fail "status verity"
  # The input disk holds request, source and files only: a few KiB, not the toolchain.
  [ "$(json "$O/run.json" 'j["input_disk"]["bytes"] < 1048576')" = True ] || fail "the input disk is not small"
  "$K" verify "$O" --allow-sim --image "$IMAGE" --vcpus 1 --vcpu-type EPYC-v4 --nonce 00112233 > "$T/v.txt" \
    || { cat "$T/v.txt"; fail "the image run does not verify"; }
  python3 - "$O/provenance.intoto.jsonl" "$root" "$T/tc.img.out" <<'PY' || fail "provenance toolchain entry"
import base64, json, sys
env = json.loads(open(sys.argv[1]).readline())
st = json.loads(base64.b64decode(env["payload"]))
dep = [d for d in st["predicate"]["buildDefinition"]["resolvedDependencies"] if d["name"] == "toolchain"][0]
assert dep["digest"] == {"dmVerityRootHash": sys.argv[2]}, dep
v = dep["annotations"]["verity"]
assert (v["hashAlgorithm"], v["dataBlockSize"], v["hashBlockSize"], v["hashStartBlock"]) == ("sha256", 4096, 4096, v["dataBlocks"] + 1)
assert f"data_blocks={v['dataBlocks']}" in open(sys.argv[3]).read(), "pack printed another D"
ext = st["predicate"]["buildDefinition"]["externalParameters"]
assert ext["toolchain_image"] == {"root_hash": sys.argv[2], "data_blocks": v["dataBlocks"]}, ext
print("provenance: toolchain", dep["digest"], "dataBlocks", v["dataBlocks"])
PY
  # The same build with the tarball of the same rootfs sees the same tree (modes, owners, content).
  O2="$T/out-tar"
  set +e
  "$K" run --profile tcg --vcpus 1 --memory 512M --image "$IMAGE" --toolchain "$(verity_rootfs)" --out "$O2" \
    --source "$S" --artifacts 'out/*' -- /bin/sh ./build.sh 2> "$T/run2.stderr"
  rc=$?
  set -e
  [ "$rc" = 0 ] || { tail -5 "$T/run2.stderr"; fail "tarball run exited $rc"; }
  cat "$O/artifacts/out/modes.txt"
  for f in modes.txt read.sha256 done.txt; do
    cmp -s "$O/artifacts/out/$f" "$O2/artifacts/out/$f" || fail "out/$f differs between the image and the tarball"
  done
  ;;
tamper-read)
  make_source "$S" <<'SH'
#!/bin/sh
mkdir -p out
# Ignore the read error on purpose: the result must still be refused.
cat /opt/read.bin > out/copy.bin || echo "kettle-test: the read failed"
echo done > out/done.txt
exit 0
SH
  pack "$T/tc.img"
  flip "$T/tc.img" /opt/read.bin 7
  run_image "$O" "$T/tc.img" --artifacts 'out/*' -- /bin/sh ./build.sh
  [ "$RC" = 1 ] || fail "expected exit 1, got $RC"
  [ "$(json "$O/status.json" 'j["phase"]')" = build ] || fail "phase"
  err=$(json "$O/status.json" 'j["error"]')
  echo "error: $err"
  case "$err" in "toolchain-integrity: "*) ;; *) fail "error is not toolchain-integrity" ;; esac
  [ "$(json "$O/status.json" 'j["inputs"]["toolchain"]["verity"]')" = corrupted ] || fail "status verity"
  [ "$(json "$O/status.json" 'j["exit_code"]')" = 0 ] || fail "the build itself should have exited 0"
  grep -q "Input/output error\|the read failed" "$O/build.log" || fail "the build did not see the read error"
  [ ! -e "$O/provenance.intoto.jsonl" ] && [ ! -e "$O/artifacts" ] || fail "artifacts or provenance for a corrupted toolchain"
  ;;
tamper-unread)
  make_source "$S" <<<"$BUILD"
  pack "$T/tc.img"
  run_image "$O" "$T/tc.img" --artifacts 'out/*' -- /bin/sh ./build.sh
  [ "$RC" = 0 ] || fail "untampered run exited $RC"
  flip "$T/tc.img" /opt/unread.bin 40
  O2="$T/out-tampered"
  run_image "$O2" "$T/tc.img" --artifacts 'out/*' -- /bin/sh ./build.sh
  [ "$RC" = 0 ] || { O=$O2; fail "a tampered block the build never reads failed the run ($RC)"; }
  [ "$(json "$O2/status.json" 'j["inputs"]["toolchain"]["verity"]')" = verified ] || fail "status verity"
  a=$(cd "$O/artifacts" && find . -type f | sort | xargs sha256sum)
  b=$(cd "$O2/artifacts" && find . -type f | sort | xargs sha256sum)
  [ "$a" = "$b" ] || fail "the artifacts changed: $a vs $b"
  echo "same artifacts:"; echo "$a"
  ;;
wrong-root)
  make_source "$S" <<<"$BUILD"
  pack "$T/a.img"
  pack "$T/b.img" 0     # the same rootfs with other timestamps: another root hash
  [ "$(root_of "$T/a.img")" != "$(root_of "$T/b.img")" ] || fail "the two images have the same root hash"
  mkdir -p "$T/tmp"
  TMPDIR="$T/tmp" run_image "$O" "$T/a.img" --keep-disks --artifacts 'out/*' -- /bin/sh ./build.sh
  [ "$RC" = 0 ] || fail "the good run exited $RC"
  in=$(ls "$T"/tmp/kettle-run.*/input.img)
  O2="$T/out-swapped"
  set +e
  "$K" run --profile tcg --vcpus 1 --memory 512M --image "$IMAGE" --input-disk "$in" --toolchain "$T/b.img" \
    --out "$O2" 2> "$T/run2.stderr"
  rc=$?
  set -e
  O=$O2
  [ "$rc" = 1 ] || { tail -5 "$T/run2.stderr"; fail "expected exit 1, got $rc"; }
  [ "$(json "$O2/status.json" 'j["phase"]')" = toolchain ] || fail "not refused in phase toolchain"
  err=$(json "$O2/status.json" 'j["error"]')
  echo "error: $err"
  case "$err" in "toolchain-integrity: "*"does not match the root hash $(root_of "$T/a.img")"*) ;;
    *) fail "error does not name the requested root hash" ;; esac
  [ "$(json "$O2/status.json" '"exit_code" in j')" = False ] || fail "the build ran"
  [ "$(json "$O2/status.json" '"source" in j')" = False ] || fail "the checkout ran"
  grep -q "reboot: Power down" "$O2/console.log" || fail "no clean power-off"
  ;;
*) fail "unknown case $case" ;;
esac
echo "PASS verity $case"

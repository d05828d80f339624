#!/usr/bin/env bash
# vm_test.sh CASE: one end-to-end build in QEMU TCG with the busybox toolchain. See the cases below.
. "$(dirname "$0")/common.sh"
case=${1:?case}
S="$T/src"; O="$T/out"
case "$case" in
happy)  # two artifacts, a complete bundle, attested by the simulated AMD-SP
  make_source "$S" <<'SH'
#!/bin/sh
set -e
mkdir -p out
echo "artifact one" > out/one.txt
cat README > out/two.txt
echo "built as $(id -u)"
SH
  kettle_run "$O" --source "$S" --artifacts 'out/*.txt' --nonce 00112233 -- /bin/sh ./build.sh
  [ "$RC" = 0 ] || { cat "$O/console.log" 2>/dev/null | tail -40; fail "kettle run exited $RC"; }
  [ "$(cat "$O/artifacts/out/one.txt")" = "artifact one" ] || fail "artifact one"
  cmp -s "$O/artifacts/out/two.txt" "$S/README" || fail "artifact two"
  [ "$(json "$O/status.json" 'j["ok"]')" = True ] || fail "status not ok"
  grep -q "built as 1000" "$O/build.log" || fail "the build did not run as uid 1000"
  for f in provenance.intoto.jsonl evidence.json console.log run.json; do [ -s "$O/$f" ] || fail "$f missing"; done
  [ "$(json "$O/status.json" 'j["attestation"]["attested"]')" = True ] || fail "not attested"
  [ "$(json "$O/evidence.json" 'j["platform"]')" = sim-snp ] || fail "platform"
  # The parser children could open none of the report interfaces or disks PID 1 can open (docs/formats.md §7).
  check_parser_probes ingest; check_parser_probes checkout
  # Offline verification: SIMULATED evidence passes only with --allow-sim; a wrong nonce fails.
  V() { "$K" verify "$1" --image "$IMAGE" --vcpus 1 --vcpu-type EPYC-v4 "${@:2}" > "$T/verify.txt" 2>&1; }
  V "$O" --allow-sim --nonce 00112233 || { cat "$T/verify.txt"; fail "the bundle does not verify"; }
  grep -q "^VERIFIED (SIMULATED" "$T/verify.txt" || fail "the summary does not say SIMULATED"
  set +e
  V "$O" --nonce 00112233; [ $? = 1 ] || fail "sim evidence verified without --allow-sim"
  V "$O" --allow-sim --nonce 00112234; [ $? = 1 ] || fail "a wrong nonce verified"
  # Freshness is never skipped silently: without --nonce or --no-nonce the nonce-carrying bundle is a usage error.
  V "$O" --allow-sim; [ $? = 2 ] || fail "verify without --nonce/--no-nonce did not exit 2"
  grep -q "pass --nonce VALUE" "$T/verify.txt" || fail "the message does not say what to pass"
  # kettle run printed the exact verify command for this bundle; it passes as printed (with this test's image).
  cmd=$(grep -A1 "verify this bundle with:" "$T/run.stderr" | tail -1)
  case "$cmd" in "  $(readlink -f "$K") verify $O --image "*" --vcpus 1 --vcpu-type EPYC-v4 --nonce 00112233 --allow-sim") ;;
    *) fail "verify hint: $cmd";; esac
  eval "$cmd" > "$T/verify.txt" 2>&1 || { cat "$T/verify.txt"; fail "the printed verify command failed"; }
  [ "$(json "$O/run.json" 'j["measured_shape"]["vcpu_type"]')" = EPYC-v4 ] || fail "run.json measured_shape"
  # Tampering with any signed file of the bundle fails verification, naming a check.
  for f in provenance.intoto.jsonl evidence.json build.log artifacts/out/one.txt artifacts/out/two.txt; do
    rm -rf "$T/tamper"; cp -a "$O" "$T/tamper"
    python3 - "$T/tamper/$f" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); i = len(b) // 2
b[i] = ord("A") if b[i] != ord("A") else ord("B")
open(p, "wb").write(b)
PY
    V "$T/tamper" --allow-sim --nonce 00112233; rc=$?
    [ $rc = 1 ] || fail "tampered $f: verify exited $rc"
    echo "tampered $f: $(grep FAIL "$T/verify.txt" | head -1)"
  done
  rm -rf "$T/tamper"; cp -a "$O" "$T/tamper"; echo extra > "$T/tamper/artifacts/out/three.txt"
  V "$T/tamper" --allow-sim --nonce 00112233; [ $? = 1 ] || fail "an unlisted artifact verified"
  rm -rf "$T/tamper"; cp -a "$O" "$T/tamper"; rm "$T/tamper/artifacts/out/one.txt"
  V "$T/tamper" --allow-sim --nonce 00112233; [ $? = 1 ] || fail "a missing artifact verified"
  set -e
  ;;
fail)  # a failing build returns exit 1, its status and its log
  make_source "$S" <<'SH'
#!/bin/sh
echo "about to fail"
exit 7
SH
  kettle_run "$O" --source "$S" -- /bin/sh ./build.sh
  [ "$RC" = 1 ] || fail "expected exit 1, got $RC"
  [ "$(json "$O/status.json" 'j["exit_code"]')" = 7 ] || fail "exit code not recorded"
  [ "$(json "$O/status.json" 'j["phase"]')" = build ] || fail "phase"
  grep -q "about to fail" "$O/build.log" || fail "log lost"
  [ ! -e "$O/provenance.intoto.jsonl" ] || fail "a failed build must not carry provenance"
  # The terminal shows why: the exit code and the tail of build.log.
  grep -q "the build command exited with code 7" "$T/run.stderr" || fail "exit code not printed"
  grep -q "^  | about to fail" "$T/run.stderr" || fail "build.log tail not printed"
  ;;
timeout)  # a build that outlives its timeout is killed, and reported
  make_source "$S" <<'SH'
#!/bin/sh
echo "sleeping"
sleep 600 &
sleep 600
SH
  kettle_run "$O" --source "$S" --timeout 5 -- /bin/sh ./build.sh
  [ "$RC" = 1 ] || fail "expected exit 1, got $RC"
  [ "$(json "$O/status.json" 'j["timed_out"]')" = True ] || fail "timeout not reported"
  grep -q sleeping "$O/build.log" || fail "log lost"
  ;;
escape)  # each escape attempt fails inside the sandbox and is reported; the run still ends cleanly
  make_source "$S" <<'SH'
#!/bin/sh
mkdir -p out
try() { name=$1; shift; if "$@" >/dev/null 2>&1; then r=ESCAPED; else r=blocked; fi; echo "$r $name" | tee -a out/attempts.txt; }
try write-vda sh -c 'echo x > /dev/vda'
try write-vdb sh -c 'echo x > /dev/vdb'
try read-sev-guest cat /dev/sev-guest
try read-configfs ls /sys/kernel/config
try write-tsm mkdir /sys/kernel/config/tsm/report/x
try mknod-vda mknod /tmp/vda b 253 0
try mount-proc-sys mount -t sysfs sysfs /tmp
try net-connect nc -w 2 192.0.2.1 80
try chroot-out chroot / true
try setuid-root su -c true
# PID 1 of the build's PID namespace ignores SIGKILL from inside it (kill(2) still returns 0), and the real
# PID 1 is not visible at all: the attempt fails when PID 1 is still there afterwards.
kill -9 1; sleep 1
if kill -0 1 2>/dev/null; then r=blocked; else r=ESCAPED; fi; echo "$r kill-init" | tee -a out/attempts.txt
echo "still here as $(id -u)"
SH
  kettle_run "$O" --source "$S" --artifacts out/attempts.txt -- /bin/sh ./build.sh
  [ "$RC" = 0 ] || fail "expected exit 0, got $RC"
  cat "$O/artifacts/out/attempts.txt"
  if grep -q ESCAPED "$O/artifacts/out/attempts.txt"; then fail "an escape attempt succeeded"; fi
  [ "$(grep -c '^blocked ' "$O/artifacts/out/attempts.txt")" = 11 ] || fail "not every attempt reported"
  # The attested record of the attempts verifies: containment did not cost the provenance.
  "$K" verify "$O" --allow-sim --no-nonce --image "$IMAGE" --vcpus 1 --vcpu-type EPYC-v4 >/dev/null || fail "verify"
  grep -q "still here as 1000" "$O/build.log" || fail "kill -9 1 ended the build"
  ;;
forkbomb)  # a fork bomb hits pids.max; the build is killed and the run ends cleanly
  make_source "$S" <<'SH'
#!/bin/sh
echo "forking"
b() { b | b & }; b
SH
  kettle_run "$O" --source "$S" --timeout 20 -- /bin/sh ./build.sh
  [ "$RC" = 1 ] || fail "expected exit 1, got $RC"
  [ -f "$O/status.json" ] || fail "no status"
  grep -q forking "$O/build.log" || fail "log lost"
  ;;
fill)  # filling the workspace fails with ENOSPC, not a dead VM
  make_source "$S" <<'SH'
#!/bin/sh
dd if=/dev/zero of=/src/fill bs=1M 2>&1 | tail -1
dd if=/dev/zero of=/tmp/fill bs=1M 2>&1 | tail -1
echo "after fill"
exit 3
SH
  kettle_run "$O" --source "$S" --timeout 120 -- /bin/sh ./build.sh
  [ "$RC" = 1 ] || fail "expected exit 1, got $RC"
  grep -q "after fill" "$O/build.log" || fail "the build did not survive a full disk"
  [ "$(json "$O/status.json" 'j["exit_code"]')" = 3 ] || fail "exit code"
  ;;
hostile)  # hostile input disks get a clear status in the ingest phase and a clean power-off
  python3 - "$T" <<'PY'
import io, json, sys, tarfile
t = sys.argv[1]
req = json.dumps({"version": 1, "argv": ["/bin/true"], "source_ref": "refs/heads/main"}).encode()
def disk(path, members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, data, kind in members:
            ti = tarfile.TarInfo(name); ti.mtime = 0
            if kind == "sym": ti.type = tarfile.SYMTYPE; ti.linkname = data; data = b""
            if kind == "chr": ti.type = tarfile.CHRTYPE; ti.devmajor, ti.devminor = 1, 3; data = b""
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    b = buf.getvalue(); b += b"\0" * (-len(b) % 4096)
    open(path, "wb").write(b)
disk(t + "/traversal.img", [("request.json", req, "reg"), ("source/../../etc/evil", b"x", "reg")])
disk(t + "/symlink.img", [("request.json", req, "reg"), ("source/HEAD", "/etc/passwd", "sym")])
disk(t + "/device.img", [("request.json", req, "reg"), ("files/null", b"", "chr")])
open(t + "/garbage.img", "wb").write(bytes(range(256)) * 64)
PY
  for d in traversal symlink device garbage; do
    O="$T/out-$d"
    set +e
    "$K" run --profile tcg --vcpus 1 --memory 512M --image "$IMAGE" --input-disk "$T/$d.img" --out "$O" 2> "$T/run.stderr"
    RC=$?
    set -e
    [ "$RC" = 1 ] || { tail -5 "$T/run.stderr"; fail "$d: expected exit 1, got $RC"; }
    [ "$(json "$O/status.json" 'j["phase"]')" = ingest ] || fail "$d: not refused at ingest"
    echo "$d: $(json "$O/status.json" 'j["error"]')"
    grep -q "reboot: Power down" "$O/console.log" || fail "$d: no clean power-off"
    [ ! -e "$O/provenance.intoto.jsonl" ] || fail "$d: provenance for a refused input"
  done
  ;;
redteam)  # escapes the escape case does not try, symlinked artifacts, then hostile mutations of the real bundle
  make_source "$S" <<'SH'
#!/bin/sh
mkdir -p out
try() { name=$1; shift; if "$@" >/dev/null 2>&1; then r=ESCAPED; else r=blocked; fi; echo "$r $name" | tee -a out/attempts.txt; }
try reaper-environ cat /proc/1/environ
try reaper-fds sh -c 'ls /proc/1/fd/ | grep -q .'
try reaper-root-initramfs test -e /proc/1/root/init
try reaper-cwd-up test -e /proc/1/cwd/../../init
try write-inputs touch /inputs/x
try write-rootfs touch /bin/x
try hardlink-toolchain ln /bin/busybox /src/bb
try mount-tmpfs mount -t tmpfs t /tmp
try unshare-user unshare -U true
try unshare-mount unshare -m true
try sysrq sh -c 'echo h > /proc/sysrq-trigger'
try proc-sys-write sh -c 'echo 1 > /proc/sys/kernel/panic'
try setuid-copy sh -c 'cp /bin/busybox /src/sbb && chmod 4755 /src/sbb && [ "$(/src/sbb id -u)" = 0 ]'
try mknod-null mknod /tmp/null c 1 3
try dev-mem cat /dev/mem
try kmsg-write sh -c 'echo KETTLE-RESULT ok phase=done > /dev/kmsg'
# Artifacts through links: a file link out of /src, a directory link to /, a FIFO and a hard link to the
# toolchain (EXDEV) must never become artifacts; only regular files under /src do.
ln -s /proc/1/environ out/link-environ
ln -s / out/rootlink
mkfifo out/pipe
echo "real" > out/real.txt
echo "still here as $(id -u)"
SH
  kettle_run "$O" --source "$S" --artifacts 'out/**' --nonce 00112233 -- /bin/sh ./build.sh
  [ "$RC" = 0 ] || fail "expected exit 0, got $RC"
  cat "$O/artifacts/out/attempts.txt"
  if grep -q ESCAPED "$O/artifacts/out/attempts.txt"; then fail "an escape attempt succeeded"; fi
  [ "$(grep -c '^blocked ' "$O/artifacts/out/attempts.txt")" = 16 ] || fail "not every attempt reported"
  got=$(cd "$O/artifacts" && find . ! -type d | sort | tr '\n' ' ')
  [ "$got" = "./out/attempts.txt ./out/real.txt " ] || fail "artifacts through links: $got"
  python3 "$top/tests/integration/redteam_verify.py" "$K" "$O" -- --allow-sim --nonce 00112233 \
      --image "$IMAGE" --vcpus 1 --vcpu-type EPYC-v4 || fail "a hostile bundle mutation was not refused"
  ;;
symlinks)  # issue 20: a link to a library is an artifact, a glob matching nothing is a warning, hostile links skipped
  make_source "$S" <<'SH'
#!/bin/sh
set -e
mkdir -p build
echo "library 1.2" > build/libx.so.1.2
ln -s libx.so.1.2 build/libx.so.1
ln -s libx.so.1 build/libx.so
ln -s ../../etc/passwd build/up.so
ln -s /etc/passwd build/abs.so
ln -s loop.so build/loop.so
ln -s . build/dir.so
echo "built"
SH
  git -C "$S" tag v1.0
  kettle_run "$O" --source "$S" --rev v1.0 --source-uri https://example.org/x.git \
      --artifacts 'build/*.so' --artifacts 'build/*.a' --nonce 00112233 -- /bin/sh ./build.sh
  [ "$RC" = 0 ] || fail "expected exit 0, got $RC"
  got=$(cd "$O/artifacts" && find . ! -type d | sort | tr '\n' ' ')
  [ "$got" = "./build/libx.so " ] || fail "artifacts: $got"
  [ -f "$O/artifacts/build/libx.so" ] && [ ! -L "$O/artifacts/build/libx.so" ] || fail "the artifact is not a regular file"
  [ "$(cat "$O/artifacts/build/libx.so")" = "library 1.2" ] || fail "the artifact is not the target's bytes"
  grep -q 'warning: artifact pattern "build/\*.a" matched no regular file' "$T/run.stderr" || fail "no warning on the terminal"
  for w in 'build/*.a" matched no regular file' 'build/up.so" skipped: its target is absolute or leaves' \
           'build/abs.so" skipped: its target is absolute' 'build/loop.so" skipped: it is part of a loop' \
           'build/dir.so" skipped: its target is a directory'; do
    python3 -c 'import json,sys; w=json.load(open(sys.argv[1]))["warnings"]; sys.exit(not any(sys.argv[2] in x for x in w))' \
      "$O/status.json" "$w" || fail "status.json warnings lack: $w"
  done
  # The statement: the link's subject names its target; the source URI claim and the requested ref are there.
  python3 - "$O/provenance.intoto.jsonl" <<'PY' || fail "statement"
import base64, json, sys
st = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
subj = st["subject"]
assert [s["name"] for s in subj] == ["build/libx.so"], subj
assert subj[0]["annotations"] == {"symlinkTarget": "build/libx.so.1.2"}, subj
ep = st["predicate"]["buildDefinition"]["externalParameters"]
assert ep["requested_ref"] == "v1.0" and ep["source_uri"] == "https://example.org/x.git", ep
src = [d for d in st["predicate"]["buildDefinition"]["resolvedDependencies"] if d["name"] == "source"][0]
assert src["uri"].startswith("git+https://example.org/x.git@"), src
PY
  "$K" verify "$O" --allow-sim --nonce 00112233 --image "$IMAGE" --vcpus 1 --vcpu-type EPYC-v4 > "$T/v.txt" 2>&1 \
    || { cat "$T/v.txt"; fail "verify"; }
  # --require-artifacts turns the warning into a failure of the collect phase.
  O="$T/out-require"
  kettle_run "$O" --source "$S" --require-artifacts --artifacts 'build/*.so' --artifacts 'build/*.a' -- /bin/sh ./build.sh
  [ "$RC" = 1 ] || fail "--require-artifacts: expected exit 1, got $RC"
  [ "$(json "$O/status.json" 'j["phase"]')" = collect ] || fail "--require-artifacts: phase"
  [ "$(json "$O/status.json" '"pattern \"build/*.a\" matched no regular file (the request requires" in j["error"]')" = True ] \
    || fail "--require-artifacts: error"
  ;;
# ---- issue 19: every hostile input ends in a status (each at 512 MiB; exit 1, or 2 when the host refuses first) ----
utf8)  # bytes that are not UTF-8 (a build's file name, an input member name) never cost status.json or build.log
  make_source "$S" <<'SH'
#!/bin/sh
mkdir -p out
echo bad > "out/$(printf 'bad\377name')"
echo ok > out/ok.txt
echo "made a file named with byte 0xFF"
SH
  kettle_run "$O" --source "$S" --artifacts 'out/*' --nonce 00112233 -- /bin/sh ./build.sh
  expect_refused 1 collect 'the file name "out/bad\xFFname" matched by an artifact pattern is not valid UTF-8'
  grep -q 'made a file named with byte 0xFF' "$O/build.log" || fail "build.log lost"
  O="$T/out-badname"; disk_run badname
  expect_refused 1 ingest 'files/bad\xFFname" is not valid UTF-8'
  ;;
gitcycle)  # a blob stored as a REF_DELTA whose base is itself: the checkout child dies, PID 1 reports it
  python3 "$top/tests/integration/hostile_disks.py" gitcycle "$T/gitcycle.img" "$(busybox_toolchain)"
  disk_run gitcycle
  expect_refused 1 checkout 'checkout: out of memory: the checkout child reached its limit'
  ;;
bomb)  # ~1 GiB of zeros in a few hundred KiB of zstd, and more entries than the tmpfs has inodes
  disk_run bomb
  expect_refused 1 ingest 'total extracted size is over the limit of'
  echo "extraction budget: $(json "$O/status.json" 'j["parser"]["ingest"]["max_total_bytes"]') bytes"
  O="$T/out-inodes"; disk_run inodes
  expect_refused 1 ingest 'more than'
  echo "entry limit: $(json "$O/status.json" 'j["parser"]["ingest"]["max_entries"]')"
  ;;
bigblob)  # a legitimate, highly compressible 400 MB file: more than a 512 MiB VM can check out
  make_source "$S" <<'SH'
#!/bin/sh
true
SH
  head -c 400000000 /dev/zero > "$S/big.bin"
  git -C "$S" add big.bin
  GIT_AUTHOR_DATE='2025-01-01T00:00:00Z' GIT_COMMITTER_DATE='2025-01-01T00:00:00Z' \
    git -C "$S" -c user.name=kettle-test -c user.email=test@kettle.invalid commit -qm big
  kettle_run "$O" --source "$S" -- /bin/sh ./build.sh
  expect_refused 1 checkout 'checkout: out of memory: the checkout child reached its limit'
  ;;
glob)  # 40 `**` segments against a 40-deep tree: exponential for the old matcher, one pass now
  make_source "$S" <<'SH'
#!/bin/sh
mkdir -p "$(printf 'd/%.0s' $(seq 40))"
echo deep > "$(printf 'd/%.0s' $(seq 40))file"
SH
  pat=$(printf '**/%.0s' $(seq 40))nomatch
  kettle_run "$O" --source "$S" --artifacts "$pat" --require-artifacts --timeout 60 -- /bin/sh ./build.sh
  expect_refused 1 collect 'matched no regular file'
  ;;
oddsize)  # a disk of 4196 bytes: QEMU would pad it and the guest attest another digest; the host refuses first
  disk_run oddsize
  [ "$RC" = 2 ] || fail "expected exit 2, got $RC"
  grep -q 'not a multiple of 512' "$T/run.stderr" || fail "no reason given: $(cat "$T/run.stderr")"
  [ ! -e "$O/console.log" ] || fail "a VM was launched"
  ;;
repolinks)  # commondir and a worktree's gitdir would let libgit2 read objects and refs from outside source/
  disk_run commondir
  expect_refused 1 ingest 'source/commondir: git alternates, commondir and gitdir files are not allowed'
  O="$T/out-worktree"; disk_run worktree
  expect_refused 1 ingest 'commondir and gitdir files are not allowed'
  ;;
sparse)  # a GNU sparse member is named as such
  disk_run sparse
  expect_refused 1 ingest 'files/holes: sparse entries are not supported'
  ;;
*) fail "unknown case $case" ;;
esac
echo "PASS $case"

#!/usr/bin/env bash
# cloud_test.sh CASE: `kettle run --profile gcp-tdx` and `kettle cloud` against the fake gcloud
# (tests/integration/fake_gcloud.py, put on PATH as `gcloud`), which records every call, refuses flags that Google's
# reference pages do not document, and stands in for the VM by booting the imported boot disk under QEMU TCG with
# NVMe disks. After every case no resource of the run may be left in the fake's records (only the shared boot and
# blank-output images, which are kept on purpose).
#   plan       --dry-run prints the gcloud commands of docs/cloud.md "What one run does", in that order (no VM)
#   refuse     gcloud missing from PATH, or logged out: a clear refusal, nothing created (no VM)
#   gcloudfail `kettle cloud upload-image`, then a run that reuses both images and whose instance cannot be
#              created: the images and disks made so far are deleted (no VM)
#   success    a build end to end: upload, disks, instance, console progress, export, read-back, verify, cleanup
#   fail       a failing build: exit 1, its status and log come back, everything is deleted
#   timeout    a VM that never stops: exit 3 after --vm-timeout, everything is deleted
#   interrupt  SIGINT while the VM runs: exit 3, everything is deleted
#   killed     kettle is SIGKILLed while the VM runs: `kettle cloud cleanup OUT` deletes what it left
#   parallel   three builds at once, distinct names, all deleted
. "$(dirname "$0")/common.sh"
case=${1:?case}
S="$T/src"; O="$T/out"
[ -f "$IMAGE/kettle-gcp.tar.gz" ] || { echo "SKIP: $IMAGE has no kettle-gcp.tar.gz (make image)"; exit 4; }

REAL_GCLOUD=$(command -v gcloud || true)  # Google's own CLI, when installed: an outside parser of our argv (plan)
export FAKE_GCLOUD_STATE="$T/cloud" FAKE_GCLOUD_IMAGE="$IMAGE" KETTLE_BIN_DIR="${KETTLE_BIN_DIR:-$top/build/bin}"
# Disks in MiB (kettle run --small-disks-for-testing, which GCP refuses): the stand-in guest hashes its whole input
# disk under TCG, a few MiB instead of GCP's 10 GB minimum. The plan case keeps GCP's real sizes.
export FAKE_GCLOUD_SMALL_DISKS=1
mkdir -p "$FAKE_GCLOUD_STATE" "$T/bin"
printf '#!/bin/sh\nexec python3 %s "$@"\n' "$top/tests/integration/fake_gcloud.py" > "$T/bin/gcloud"
chmod +x "$T/bin/gcloud"
export PATH="$T/bin:$PATH"
# Stop any stand-in VM a failed case left running (only the ones this test started, by their recorded pid).
trap 'for r in "$FAKE_GCLOUD_STATE"/instances/*/*.json; do [ -f "$r" ] && kill -KILL -- "-$(json "$r" "j[\"pid\"]")" 2>/dev/null; done; rm -rf "$T"' EXIT

CLOUD=(--profile gcp-tdx --project kettle-test --zone us-central1-a --bucket kettle-test-bucket
       --small-disks-for-testing --output-size 32M --poll-seconds 1 --image "$IMAGE")

build_source() {
  make_source "$S" <<'SH'
#!/bin/sh
set -e
mkdir -p out
echo "built on a fake GCP VM" > out/result.txt
[ -z "$SLOW" ] || sleep "$SLOW"
[ -z "$FAIL" ] || { echo "failing on purpose" >&2; exit 7; }
SH
}

# cloud_run OUT [flags] -- CMD: sets RC.
cloud_run() {
  local out=$1; shift
  set +e
  "$K" run "${CLOUD[@]}" --toolchain "$(busybox_toolchain)" --source "$S" --out "$out" "$@" 2> "$out.stderr"
  RC=$?
  set -e
  echo "kettle run exit code $RC"; tail -4 "$out.stderr"
}

# Nothing of any run is left: no instance, no disk, no per-run image, no object; no refused call.
expect_clean() {
  python3 - "$FAKE_GCLOUD_STATE" <<'PY' || fail "resources left in the fake cloud"
import glob, os, sys
s = sys.argv[1]
left = glob.glob(f"{s}/instances/*/*.json") + glob.glob(f"{s}/disks/*/*.json")
left += [i for i in glob.glob(f"{s}/images/*.json") if not os.path.basename(i).startswith(("kettle-boot-", "kettle-blank-"))]
left += [o for o in glob.glob(f"{s}/gcs/**", recursive=True) if os.path.isfile(o)]
if left:
    print("left:", left)
    sys.exit(1)
PY
  [ ! -s "$FAKE_GCLOUD_STATE/errors.log" ] || { cat "$FAKE_GCLOUD_STATE/errors.log"; fail "the fake refused a call"; }
  if [ -f "${1:-/nonexistent}/cloud-resources.json" ]; then
    [ "$(json "$1/cloud-resources.json" 'sum(r["state"] != "deleted" for r in j["resources"])')" = 0 ] \
      || fail "cloud-resources.json lists resources not deleted"
  fi
}

# The verbs of the recorded calls, one per line ("compute instances create", "storage cp", ...).
verbs() { python3 -c 'import json,sys
for l in open(sys.argv[1]):
    a=json.loads(l); print(" ".join(a[:3] if a[0]=="compute" else a[:2]))' "$FAKE_GCLOUD_STATE/calls.jsonl"; }

wait_for_call() {  # wait_for_call WORD: until a recorded call contains WORD (at most 600 s)
  for _ in $(seq 600); do grep -q "$1" "$FAKE_GCLOUD_STATE/calls.jsonl" 2>/dev/null && return 0; sleep 1; done
  fail "no '$1' call within 600 s"
}

# signal_hanging_run SIG: a run (in $O) whose VM never stops, sent SIG (INT, KILL) once kettle follows the console;
# sets RC to its exit status.
signal_hanging_run() {
  build_source
  set +e
  FAKE_GCLOUD_VM=hang "$K" run "${CLOUD[@]}" --toolchain "$(busybox_toolchain)" --source "$S" --out "$O" \
      -- /bin/sh ./build.sh 2> "$O.stderr" &
  local pid=$!
  set -e
  wait_for_call get-serial-port-output
  kill "-$1" "$pid"
  set +e; wait "$pid"; RC=$?; set -e
}

case "$case" in
plan)
  build_source
  set +e
  "$K" run --profile gcp-tdx --project my-project --zone us-central1-a --bucket my-bucket --run-id r0123456789ab \
      --image "$IMAGE" --toolchain "$(busybox_toolchain)" --source "$S" --out "$O" --dry-run -- /bin/sh ./build.sh > "$T/plan" 2> "$T/err"
  RC=$?
  set -e
  [ "$RC" = 0 ] || { cat "$T/err"; fail "--dry-run exited $RC"; }
  [ ! -e "$O" ] || fail "--dry-run wrote $O"
  [ ! -e "$FAKE_GCLOUD_STATE/calls.jsonl" ] || fail "--dry-run called gcloud"
  # Hashes and the scratch directory vary; the rest must be the documented plan, line for line.
  sed -E 's/[0-9a-f]{64}/SHA256/g; s/[0-9a-f]{48}/SHA256_48/g; s#/[^ ]*/kettle-run\.[A-Za-z0-9]+/#WORK/#g; s#'"$IMAGE"'#IMAGE#g' \
      "$T/plan" > "$T/plan.norm"
  sed -n '/^<!-- dry-run plan begin -->$/,/^<!-- dry-run plan end -->$/p' "$top/docs/cloud.md" | sed '1,2d;$d' | sed '$d' \
      > "$T/doc.plan"
  diff -u "$T/doc.plan" "$T/plan.norm" || fail "--dry-run differs from docs/cloud.md"
  echo "dry run: $(wc -l < "$T/plan") gcloud commands, as documented"
  # Google's own gcloud, with an empty configuration (no account, no project): it parses every flag and value of
  # each command and stops only at the missing account. An unknown flag or a bad value would stop it earlier.
  if [ -z "$REAL_GCLOUD" ]; then echo "(Google Cloud CLI not installed: its parser was not consulted)"; exit 0; fi
  mkdir -p "$T/gcloud-config"
  python3 - "$T/plan" "$REAL_GCLOUD" "$T/gcloud-config" <<'PY' || fail "Google's gcloud refused a planned command"
import concurrent.futures, os, shlex, subprocess, sys
env = dict(os.environ, CLOUDSDK_CONFIG=sys.argv[3], CLOUDSDK_CORE_DISABLE_PROMPTS="1")
# One command per shape (its words and the names of its flags): the same shape differs only in values of the same
# kind (names, URLs), and each gcloud start costs seconds of Python on this machine.
shapes = {}
for line in open(sys.argv[1]):
    argv = shlex.split(line)
    argv[0] = sys.argv[2]
    nverb = 3 if argv[1] == "compute" else 2
    key = tuple(a if i < nverb else a.split("=", 1)[0] if a.startswith("--") else "ARG" for i, a in enumerate(argv[1:]))
    shapes.setdefault(key, (line.strip(), argv))
def parse(item):
    line, argv = item
    r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
    ok = "do not currently have an active account" in r.stderr or (argv[1:3] == ["auth", "list"] and r.returncode == 0)
    return line, ok, r.stderr[:600]
with concurrent.futures.ThreadPoolExecutor(4) as pool:
    results = list(pool.map(parse, shapes.values()))
bad = [(l, e) for l, ok, e in results if not ok]
for l, e in bad:
    print("refused:", l, "\n", e)
if bad:
    sys.exit(1)
print(f"Google's gcloud parsed all {len(results)} command shapes of the plan (each stopped only for want of an account)")
PY
  echo "gcloud version: $("$REAL_GCLOUD" --version 2>/dev/null | head -1)"
  ;;
refuse)
  build_source
  cloud_run "$O" --gcloud gcloud-not-installed-kettle-test -- /bin/sh ./build.sh
  [ "$RC" = 3 ] || fail "no gcloud: expected exit 3, got $RC"
  grep -q "is not on PATH" "$O.stderr" || fail "no clear message for a missing gcloud"
  rm -rf "$O"
  FAKE_GCLOUD_LOGGED_OUT=1 cloud_run "$O" -- /bin/sh ./build.sh
  [ "$RC" = 3 ] || fail "logged out: expected exit 3, got $RC"
  grep -q "gcloud auth login" "$O.stderr" || fail "no clear message for a logged-out gcloud"
  [ "$(verbs | sort -u)" = "auth list" ] || fail "gcloud was asked for more than the account: $(verbs)"
  expect_clean "$O"
  rm -rf "$O"
  # A region where a zone belongs: refused before gcloud runs, saying what a zone is.
  set +e
  "$K" run --profile gcp-tdx --project kettle-test --zone us-central1 --bucket b --toolchain "$(busybox_toolchain)" \
      --source "$S" --out "$O" -- /bin/sh ./build.sh 2> "$T/zone.err"
  RC=$?
  set -e
  [ "$RC" = 2 ] || fail "a region as --zone: expected exit 2, got $RC"
  grep -q "a zone is a region and a letter" "$T/zone.err" || { cat "$T/zone.err"; fail "no clear message for a region"; }
  # A zone of the right shape that the project cannot use: refused after `zones describe`, nothing created.
  rm -f "$FAKE_GCLOUD_STATE/calls.jsonl"
  cloud_run "$O" --zone us-west9-z -- /bin/sh ./build.sh
  [ "$RC" = 3 ] || fail "an unknown zone: expected exit 3, got $RC"
  grep -q "zone us-west9-z in project kettle-test cannot be used" "$O.stderr" || fail "no clear message for an unknown zone"
  grep -q "Unknown zone" "$O.stderr" || fail "gcloud's own reason is not passed on"
  [ "$(verbs | paste -sd '|')" = "auth list|compute zones describe" ] || fail "more than the preflight ran: $(verbs)"
  expect_clean "$O"
  echo "missing and logged-out gcloud, a region and an unknown zone: refused before anything was created"
  ;;
gcloudfail)
  build_source
  "$K" cloud upload-image --project kettle-test --bucket kettle-test-bucket --image "$IMAGE" --small-disks-for-testing \
      > "$T/upload.txt" \
    || fail "kettle cloud upload-image"
  grep -q "^boot image: kettle-boot-" "$T/upload.txt" || fail "upload-image output: $(cat "$T/upload.txt")"
  [ "$(verbs | grep -c 'compute images create')" = 2 ] || fail "upload-image did not import both shared images"
  rm "$FAKE_GCLOUD_STATE/calls.jsonl"
  FAKE_GCLOUD_FAIL="compute instances create" cloud_run "$O" -- /bin/sh ./build.sh
  [ "$RC" = 3 ] || fail "expected exit 3, got $RC"
  grep -q "creating the instance failed" "$O.stderr" || fail "the failure is not named"
  # Into a variable first: `verbs | grep -q` under pipefail fails at random when grep stops reading before python
  # has written everything (BrokenPipeError).
  v=$(verbs)
  grep -q "compute disks delete" <<<"$v" || fail "the disks were not deleted"
  [ "$(grep -c 'storage cp' <<<"$v")" = 1 ] || fail "the shared images were uploaded again: $(grep 'storage cp' <<<"$v")"
  expect_clean "$O"
  echo "instance creation failed; $(verbs | grep -c delete) deletes left nothing behind"
  ;;
success)
  build_source
  # SLOW: the build phase lasts longer than one console poll (a poll, a describe and --poll-seconds 1: about 3 s
  # under CI's load), so the progress check below cannot miss it. Without it the whole build can fall between two
  # polls, and the fake serves no serial output once the instance has stopped (CI failed so once).
  cloud_run "$O" --artifacts out/result.txt --nonce 00112233 --env SLOW=6 -- /bin/sh ./build.sh
  [ "$RC" = 0 ] || { tail -30 "$O/console.log" 2>/dev/null; cat "$FAKE_GCLOUD_STATE"/vm-*/hypervisor.log 2>/dev/null | tail -20; fail "exit $RC"; }
  [ "$(cat "$O/artifacts/out/result.txt")" = "built on a fake GCP VM" ] || fail "artifact"
  for f in status.json build.log provenance.intoto.jsonl evidence.json console.log run.json cloud-resources.json; do
    [ -f "$O/$f" ] || fail "$f missing from the bundle"
  done
  grep -q "KETTLE-PHASE" "$O/console.log" || fail "the console was not followed"
  grep -qE "\] build" "$O.stderr" || fail "no progress on stderr: the build phase was not shown"
  [ "$(json "$O/run.json" 'j["gcp"]["machine_type"]')" = c3-standard-4 ] || fail "run.json machine type"
  [ "$(json "$O/run.json" 'j["input_disk"]["sha256"]')" = "$(json "$O/status.json" 'j["inputs"]["device_sha256"]')" ] \
    || fail "the guest read another input disk"
  "$K" verify "$O" --allow-sim --nonce 00112233 --image "$IMAGE" --vcpus 1 --vcpu-type EPYC-v4 > "$T/verify.txt" 2>&1 \
    || { cat "$T/verify.txt"; fail "the bundle does not verify"; }
  grep -q "^VERIFIED (SIMULATED" "$T/verify.txt" || fail "verdict"
  expect_clean "$O"
  # The documented order of one run (docs/cloud.md), with the first upload of both shared images.
  want="auth list|compute zones describe|compute images describe|storage cp|compute images create|storage rm|compute images describe|storage cp|compute images create|storage rm|storage cp|compute images create|storage rm|compute disks create|compute disks create|compute instances create"
  got=$(verbs | grep -v -e get-serial-port-output -e "instances describe" | head -16 | paste -sd '|')
  [ "$got" = "$want" ] || fail "call order: $got"
  echo "build on the fake cloud: $(json "$O/run.json" 'j["gcp"]["instance"]'), $(wc -l < "$FAKE_GCLOUD_STATE/calls.jsonl") gcloud calls, verified"
  ;;
fail)
  build_source
  cloud_run "$O" --env FAIL=1 -- /bin/sh ./build.sh
  [ "$RC" = 1 ] || fail "expected exit 1, got $RC"
  grep -q "failing on purpose" "$O/build.log" || fail "the build log did not come back"
  [ "$(json "$O/status.json" 'j["phase"]')" = build ] || fail "status phase"
  expect_clean "$O"
  echo "failed build: status and log back, nothing left"
  ;;
timeout)
  build_source
  FAKE_GCLOUD_VM=hang cloud_run "$O" --vm-timeout 15 -- /bin/sh ./build.sh
  [ "$RC" = 3 ] || fail "expected exit 3, got $RC"
  grep -q "did not stop within 15 s" "$O.stderr" || fail "the timeout is not named"
  [ "$(json "$O/run.json" 'j["timings"]["timed_out"]')" = True ] || fail "run.json timed_out"
  expect_clean "$O"
  echo "VM that never stops: deleted after the timeout"
  ;;
interrupt)
  signal_hanging_run INT
  [ "$RC" = 3 ] || { cat "$O.stderr"; fail "expected exit 3, got $RC"; }
  grep -q interrupted "$O.stderr" || fail "the interrupt is not named"
  expect_clean "$O"
  echo "SIGINT during the VM: everything deleted"
  ;;
killed)
  signal_hanging_run KILL
  [ "$(json "$O/cloud-resources.json" 'sum(r["state"] == "created" for r in j["resources"])')" -ge 4 ] \
    || fail "the resource list does not hold the instance, disks and image"
  "$K" cloud list --project kettle-test > "$T/list.txt" || fail "kettle cloud list"
  grep -q "kettle-r[0-9a-f]*-output" "$T/list.txt" || fail "kettle cloud list does not show the output disk"
  "$K" cloud cleanup "$O" 2> "$T/cleanup.txt" || { cat "$T/cleanup.txt"; fail "kettle cloud cleanup"; }
  expect_clean "$O"
  echo "killed run: $(cat "$T/cleanup.txt")"
  ;;
parallel)
  build_source
  for i in 1 2 3; do
    ( rc=0; "$K" run "${CLOUD[@]}" --toolchain "$(busybox_toolchain)" --source "$S" --out "$T/p$i" \
        --artifacts out/result.txt -- /bin/sh ./build.sh 2> "$T/p$i.stderr" || rc=$?; echo "$rc" > "$T/p$i.rc" ) &
  done
  wait
  for i in 1 2 3; do
    [ "$(cat "$T/p$i.rc")" = 0 ] || { tail "$T/p$i.stderr"; fail "parallel build $i exited $(cat "$T/p$i.rc")"; }
    expect_clean "$T/p$i"
  done
  ids=$(for i in 1 2 3; do json "$T/p$i/run.json" 'j["gcp"]["run_id"]'; done | sort -u | wc -l)
  [ "$ids" = 3 ] || fail "the three builds did not get three run ids"
  echo "three builds in parallel: three run ids, nothing left"
  ;;
*) fail "unknown case $case" ;;
esac

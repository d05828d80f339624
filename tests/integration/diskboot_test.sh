#!/usr/bin/env bash
# diskboot_test.sh CASE: the cloud boot disk (build/image/kettle-disk.raw) and its measured boot.
#   layout  no VM: the disk, its ESP and kettle-gcp.tar.gz checked with outside tools (sgdisk, mtools, GNU tar,
#           gzip), the manifest digests, and `kettle measure boot`'s Authenticode digests of the UKI and of its
#           .linux kernel against osslsigncode
#   nvme    QEMU TCG boots kettle-disk.raw with OVMF (no -kernel), every disk on NVMe; a build runs end to end and
#           the bundle verifies (--allow-sim); then a forged second output disk is refused
#   tpm     the same boot with a TPM 2.0 (swtpm, SHA-256 and SHA-384 banks) and ovmf-tpm.fd: the TPM event log the
#           guest copied contains exactly the events `kettle measure boot` predicted for PCRs 4, 5, 9, 11, 12, 13,
#           and replays to the PCRs the guest read (tests/integration/boot_events.py)
#   direct-tpm  the same check for QEMU's direct boot (-kernel kettle.efi, how `kettle run` boots by default) against
#           `kettle measure boot --boot direct`: the event model behind `kettle measure tdx`'s RTMR1 and RTMR2
. "$(dirname "$0")/common.sh"
case=${1:?case}
S="$T/src"; O="$T/out"
[ -f "$IMAGE/kettle-disk.raw" ] || { echo "SKIP: $IMAGE has no kettle-disk.raw (make image)"; exit 4; }
for t in sgdisk mdir mcopy osslsigncode openssl objcopy; do
  command -v "$t" >/dev/null || { echo "SKIP: $t not installed (tools/deps/install-prereqs)"; exit 4; }
done
DISK="$IMAGE/kettle-disk.raw"
export MTOOLS_SKIP_CHECK=1

# osslsigncode's Authenticode digest of FILE with ALG (the method of tests/data/authenticode-oracle.json).
authenticode() {
  rm -f "$T/d.p7"  # osslsigncode never overwrites its output file
  osslsigncode extract-data -h "$2" -in "$1" -out "$T/d.p7" >/dev/null 2>&1 || fail "osslsigncode on $1"
  openssl asn1parse -inform DER -in "$T/d.p7" | grep 'HEX DUMP' | tail -1 | sed 's/.*\[HEX DUMP\]://' | tr 'A-F' 'a-f'
}
pred() { "$K" measure boot --image "$IMAGE" --json "$@" > "$T/pred.json" || fail "kettle measure boot"; }

build_source() {
  make_source "$S" <<'SH'
#!/bin/sh
set -e
mkdir -p out
echo "built on a disk-booted VM" > out/result.txt
echo "built as $(id -u)"
SH
}

case "$case" in
layout)
  for f in kettle.efi kettle-disk.raw kettle-gcp.tar.gz ovmf-tpm.fd; do
    [ "$(sha256sum < "$IMAGE/$f" | cut -c1-64)" = "$(json "$IMAGE/manifest.json" "j['files']['$f']['sha256']")" ] \
      || fail "$f differs from manifest.json"
  done
  # GPT: fixed disk and partition GUIDs, one partition, as the manifest says.
  sgdisk --verify "$DISK" >/dev/null || fail "sgdisk --verify"
  info=$(sgdisk --print "$DISK"; sgdisk --info=1 "$DISK")
  grep -qi "Disk identifier (GUID): $(json "$IMAGE/manifest.json" "j['disk']['disk_guid']")" <<<"$info" || fail "disk GUID"
  grep -qi "Partition unique GUID: $(json "$IMAGE/manifest.json" "j['disk']['esp']['partition_guid']")" <<<"$info" || fail "ESP GUID"
  grep -q "Partition GUID code: C12A7328-F81F-11D2-BA4B-00A0C93EC93B (EFI system partition)" <<<"$info" || fail "ESP type"
  [ "$(sgdisk --print "$DISK" | grep -cE '^ +[0-9]+ ')" = 1 ] || fail "not exactly one partition"
  # The ESP holds only \EFI\BOOT\BOOTX64.EFI, and it is kettle.efi.
  off=$(( $(json "$IMAGE/manifest.json" "j['disk']['esp']['first_lba']") * 512 ))
  files=$(mdir -/ -b -i "$DISK@@$off" ::/ | sort | tr '\n' ' ')
  [ "$files" = "::/EFI/ ::/EFI/BOOT/ ::/EFI/BOOT/BOOTX64.EFI " ] || fail "ESP holds: $files"
  mcopy -n -i "$DISK@@$off" ::/EFI/BOOT/BOOTX64.EFI "$T/boot.efi"
  cmp -s "$T/boot.efi" "$IMAGE/kettle.efi" || fail "BOOTX64.EFI is not kettle.efi"
  # GCP's form: gzip without name or time, one GNU sparse member disk.raw, equal to kettle-disk.raw.
  hdr=$(head -c 8 "$IMAGE/kettle-gcp.tar.gz" | od -An -tx1 | tr -d ' \n')
  [ "${hdr:0:6}" = 1f8b08 ] && [ "${hdr:6:2}" = 00 ] && [ "${hdr:8:8}" = 00000000 ] \
    || fail "gzip header $hdr carries a name or a time"
  listing=$(tar -tvzf "$IMAGE/kettle-gcp.tar.gz")
  grep -qE '^-rw-r--r-- 0/0 +1073741824 2025-01-01 00:00 disk.raw$' <<<"$listing" || fail "tar listing: $listing"
  [ "$(wc -l <<<"$listing")" = 1 ] || fail "more than one member"
  gzip -dc "$IMAGE/kettle-gcp.tar.gz" > "$T/gcp.tar"  # no "| head": gzip would die of SIGPIPE under pipefail
  head -c 512 "$T/gcp.tar" > "$T/h"
  [ "$(dd if="$T/h" bs=1 skip=257 count=8 status=none | od -An -c | tr -s ' ')" = " u s t a r \0" ] \
    || fail "not a GNU (oldgnu) tar header"
  [ "$(dd if="$T/h" bs=1 skip=156 count=1 status=none)" = S ] || fail "disk.raw is not a GNU sparse member"
  tar -xf "$T/gcp.tar" -C "$T"
  cmp -s "$T/disk.raw" "$DISK" || fail "the tar's disk.raw differs from kettle-disk.raw"
  # Authenticode, outside tool: the UKI as the firmware loads it, and .linux as systemd-stub hands it over.
  # osslsigncode zero-pads a file whose size is not a multiple of 8 before hashing it; the firmware hashes the file
  # as it is (edk2 Tcg2MeasurePeImage). Debian's stub carries a COFF symbol table, so kettle.efi usually ends
  # unaligned: both tools are then given the same 8-aligned copy, and the unpadded digest the firmware measures
  # is checked against a real firmware by the tpm case.
  cp "$IMAGE/kettle.efi" "$T/uki.efi"
  truncate -s $(( ($(stat -c %s "$T/uki.efi") + 7) / 8 * 8 )) "$T/uki.efi"
  "$K" measure boot --uki "$T/uki.efi" --disk "$DISK" --json > "$T/pred.json" || fail "kettle measure boot --uki"
  ev() { json "$T/pred.json" "[e for e in j['events'] if e['what'] == '$1'][0]['digests']['$2']"; }
  for alg in sha256 sha384; do
    [ "$(ev 'UKI Authenticode' $alg)" = "$(authenticode "$T/uki.efi" $alg)" ] || fail "UKI Authenticode $alg"
  done
  pred
  vsize=$(/usr/bin/python3 "$top/image/assemble.py" sections "$IMAGE/kettle.efi" \
          | python3 -c 'import json,sys; print([s for s in json.load(sys.stdin) if s["name"]==".linux"][0]["virtual_size"])')
  objcopy -O binary --only-section=.linux "$IMAGE/kettle.efi" "$T/linux.sec"
  head -c "$vsize" "$T/linux.sec" > "$T/vmlinuz"
  [ "$(sha256sum < "$T/vmlinuz" | cut -c1-64)" = "$(json "$IMAGE/manifest.json" "j['components']['vmlinuz']['sha256']")" ] \
    || fail ".linux is not the kernel the manifest names"
  [ $((vsize % 8)) = 0 ] || fail ".linux VirtualSize $vsize is not 8-aligned: osslsigncode would pad it"
  for alg in sha256 sha384; do
    [ "$(ev '.linux (kernel) Authenticode' $alg)" = "$(authenticode "$T/vmlinuz" $alg)" ] || fail "kernel Authenticode $alg"
  done
  echo "UKI (8-aligned copy) and kernel Authenticode (SHA-256, SHA-384) = osslsigncode; ESP, GPT and GCP tar as specified"
  ;;
nvme)
  build_source
  kettle_run "$O" --boot disk --source "$S" --artifacts out/result.txt --nonce 00112233 -- /bin/sh ./build.sh
  [ "$RC" = 0 ] || { tail -40 "$O/console.log" 2>/dev/null; fail "kettle run exited $RC"; }
  grep -q '^-kernel' <(json "$O/run.json" '"\n".join(j["qemu"]["argv"])') && fail "the VM was booted with -kernel"
  grep -qE 'kettle-init: disks: .*nvme[0-9]n1 \(input\)' "$O/build.log" || fail "the input disk was not found on NVMe"
  grep -qE 'nvme[0-9]n1 \(output\)' "$O/build.log" || fail "the output disk was not found on NVMe"
  [ "$(cat "$O/artifacts/out/result.txt")" = "built on a disk-booted VM" ] || fail "artifact"
  "$K" verify "$O" --allow-sim --nonce 00112233 --image "$IMAGE" --vcpus 1 --vcpu-type EPYC-v4 > "$T/verify.txt" 2>&1 \
    || { cat "$T/verify.txt"; fail "the bundle does not verify"; }
  grep -q "^VERIFIED (SIMULATED" "$T/verify.txt" || fail "verdict"
  [ "$(json "$O/evidence.json" 'len(j["boot_event_logs"])')" = 0 ] || fail "boot logs without a TPM or CCEL"
  echo "disk boot on NVMe: $(grep -o 'disks: .*' "$O/build.log" | head -1)"
  # An attacker's second disk that also carries the blank-output label: the guest refuses to choose.
  head -c 1048576 /dev/zero > "$T/forged.img"
  python3 -c 'import sys; f=open(sys.argv[1],"r+b"); f.write(b"KETTLE-BLANK-OUT\x01"+bytes(495))' "$T/forged.img"
  set +e
  "$K" run --profile tcg --vcpus 1 --memory 512M --image "$IMAGE" --boot disk --input-disk "$T/forged.img" \
      --out "$T/forged" 2> "$T/run.stderr"; RC=$?
  set -e
  [ "$RC" = 3 ] || fail "two output disks: expected exit 3 (no usable output), got $RC"
  grep -q 'look like the output disk' "$T/forged/console.log" || fail "the guest did not name the ambiguity"
  grep -q 'reboot: Power down' "$T/forged/console.log" || fail "no clean power-off"
  echo "two output-labelled disks: refused ($(grep -o '[0-9] devices look like the output disk[^"]*' "$T/forged/console.log" | head -1))"
  ;;
tpm|direct-tpm)
  for t in swtpm swtpm_setup; do command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 4; }; done
  [ -f "$IMAGE/ovmf-tpm.fd" ] || { echo "SKIP: no ovmf-tpm.fd"; exit 4; }
  if [ "$case" = tpm ]; then boot=disk; else boot=direct; fi
  mkdir -p "$T/tpm"
  swtpm_setup --tpm2 --tpmstate "$T/tpm" --pcr-banks sha256,sha384 --overwrite > "$T/swtpm_setup.log" 2>&1 \
    || { cat "$T/swtpm_setup.log"; fail "swtpm_setup"; }
  swtpm socket --tpm2 --tpmstate dir="$T/tpm" --ctrl type=unixio,path="$T/tpm/sock" --log file="$T/swtpm.log" &
  SWTPM=$!
  trap 'kill $SWTPM 2>/dev/null || true; rm -rf "$T"' EXIT
  for _ in $(seq 50); do [ -S "$T/tpm/sock" ] && break; sleep 0.1; done
  build_source
  kettle_run "$O" --boot $boot --tpm-socket "$T/tpm/sock" --source "$S" --artifacts out/result.txt -- /bin/sh ./build.sh
  [ "$RC" = 0 ] || { tail -40 "$O/console.log" 2>/dev/null; fail "kettle run exited $RC"; }
  json "$O/evidence.json" '[l["source"] for l in j["boot_event_logs"]]'
  python3 - "$O/evidence.json" "$T/tpm.log" <<'PY' || fail "no TPM event log in the evidence"
import base64, json, sys
logs = [l for l in json.load(open(sys.argv[1]))["boot_event_logs"] if l["source"] == "tpm"]
assert len(logs) == 1 and not logs[0]["truncated"]
open(sys.argv[2], "wb").write(base64.b64decode(logs[0]["data"]))
PY
  "$K" measure event-log --log "$T/tpm.log" --json --events > "$T/log.json" || fail "the captured log does not parse"
  [ "$case" = tpm ] && mkdir -p "$top/build/bench" && cp "$T/tpm.log" "$top/build/bench/tpm-event-log.bin"  # for make bench
  pred --boot $boot
  python3 "$top/tests/integration/boot_events.py" "$T/pred.json" "$T/log.json" "$O/evidence.json" \
    || fail "the measured boot differs from the prediction"
  ;;
*) fail "unknown case $case" ;;
esac
echo "PASS $case"

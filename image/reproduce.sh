#!/usr/bin/env bash
# image/reproduce.sh: build the boot image twice, in build/reproduce/a and build/reproduce/b, with different
# umask (022 / 077), parallelism (-j2 / -j1) and wall-clock time, and compare the SHA-256 of every file of the
# image: kettle.efi, ovmf-amdsev.fd, ovmf.fd, ovmf-tpm.fd, kettle-disk.raw and kettle-gcp.tar.gz. On a difference
# it names the file and, for the UKI, the differing component.
# PID 1 (init) is rebuilt from scratch in each directory; the initrd and UKI are assembled in each.
# Kernel and firmware: A uses the content-addressed cache; B reuses it too, unless REBUILD names them:
#   REBUILD="kernel firmware"  (make reproduce REBUILD="kernel firmware"): fresh uncached builds in B
#   (kernel with -j3, against the cached -j2 build; firmware at the same fixed path, minutes later).
. "$(dirname "$0")/../tools/build/common.sh"
R="$top/build/reproduce"; rm -rf "$R"; mkdir -p "$R"
rebuild=" ${REBUILD:-} "
build_one() {  # build_one NAME UMASK JOBS
  local d="$R/$1"; umask "$2"; local t0; t0=$(date +%s)
  NINJA_FLAGS="-j$3 init" "$top/tools/build/tools.sh" "$d/cmake" "$d/bin" >"$d.log" 2>&1 \
    || { echo "reproduce: init build $1 failed; $d.log" >&2; tail -20 "$d.log" >&2; exit 1; }
  local kd="" fd=""
  if [ "$1" = b ] && [[ $rebuild == *" kernel "* ]]; then
    kd=$(KERNEL_JOBS=3 "$top/kernel-config/build.sh" --out "$d/kernel" 2>>"$d.log") || { echo "reproduce: kernel rebuild failed; $d.log" >&2; exit 1; }
  fi
  if [ "$1" = b ] && [[ $rebuild == *" firmware "* ]]; then
    fd=$("$top/firmware/build.sh" --out "$d/firmware" 2>>"$d.log") || { echo "reproduce: firmware rebuild failed; $d.log" >&2; exit 1; }
  fi
  KETTLE_INIT="$d/bin/init" KERNEL_DIR=$kd FIRMWARE_DIR=$fd "$top/image/build.sh" "$d/image" 2>>"$d.log" \
    || { echo "reproduce: image build $1 failed; $d.log" >&2; tail -20 "$d.log" >&2; exit 1; }
  echo "reproduce: build $1 (umask $2, -j$3) done in $(( $(date +%s) - t0 )) s" >&2
}
( build_one a 022 2 )
sleep 2   # a different wall clock for the second build
( build_one b 077 1 )
/usr/bin/python3 - "$R/a/image/manifest.json" "$R/b/image/manifest.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
bad = False
print(f"{'file':18} {'sha256 (a)':20} {'sha256 (b)':20} result")
for name in ("kettle.efi", "ovmf-amdsev.fd", "ovmf.fd", "ovmf-tpm.fd", "kettle-disk.raw", "kettle-gcp.tar.gz"):
    ha, hb = a["files"][name]["sha256"], b["files"][name]["sha256"]
    print(f"{name:18} {ha[:16]+'…':20} {hb[:16]+'…':20} {'same' if ha == hb else 'DIFFERENT'}")
    if ha != hb:
        bad = True
        if name == "kettle.efi":
            diff = [c for c in sorted(set(a["components"]) | set(b["components"]))
                    if a["components"].get(c) != b["components"].get(c)]
            print(f"  kettle.efi differs in component(s): {', '.join(diff) or 'none: the UKI assembly itself (objcopy/PE)'}")
        elif name.startswith("kettle-"):
            same_uki = a["files"]["kettle.efi"] == b["files"]["kettle.efi"]
            print(f"  {name} differs" + (" with the same UKI: the disk assembly (sgdisk, mkfs.fat, mtools, tar, gzip)"
                                         if same_uki else " (the UKI differs too)"))
        else:
            print(f"  {name}: firmware differs (edk2 build at the fixed path is not reproducible?)")
sys.exit(1 if bad else 0)
PY
echo "reproduce: OK, kettle.efi, ovmf-amdsev.fd, ovmf.fd, ovmf-tpm.fd, kettle-disk.raw and kettle-gcp.tar.gz are identical across both builds" >&2

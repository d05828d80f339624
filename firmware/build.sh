#!/usr/bin/env bash
# firmware/build.sh [--out DIR]: build the three OVMF images from Debian's pinned edk2 2025.02 (trixie) source
# and print the directory holding them:
#   ovmf-amdsev.fd  OvmfPkg/AmdSev/AmdSevX64.dsc, RELEASE: SNP measured direct boot with kernel hashes
#                   (has the SNP_KERNEL_HASHES metadata section; refuses -kernel without SEV hashes)
#   ovmf.fd         OvmfPkg/OvmfPkgX64.dsc, RELEASE, defaults (TDX-capable, CC measurement on): TCG/KVM/TDX
#   ovmf-tpm.fd     OvmfPkg/OvmfPkgX64.dsc, RELEASE, -DTPM2_ENABLE=TRUE: the same firmware with TPM 2.0 measured
#                   boot (Tcg2Dxe, DxeTpm2MeasureBootLib), for the swtpm disk-boot tests (docs/measurement.md)
#   build-flags     the exact build commands
# Reproducibility: edk2's GenFw sizes a (zeroed) CodeView entry by the length of the absolute build path,
# so the tree is always built at the fixed path $EDK2_FIXED (one builder at a time, under a lock).
# Default: cached in $KETTLE_CACHE/ovmf-<key>, key = this recipe + the lock rows + host tool versions.
# With --out DIR: a fresh uncached build into DIR (used by `make reproduce REBUILD=firmware`).
# A clean environment: GNU make's MAKEFLAGS/MAKELEVEL (e.g. when run from `make reproduce`) change how GCC's
# LTO partitions edk2 modules, and ovmf.fd then differed by one byte in IScsiDxe.efi. So: env -i.
if [ -z "${KETTLE_FW_CLEAN_ENV:-}" ]; then
  exec env -i KETTLE_FW_CLEAN_ENV=1 HOME="$HOME" PATH=/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin \
    KETTLE_CACHE="${KETTLE_CACHE:-$HOME/.cache/kettle}" bash "$0" "$@"
fi
. "$(dirname "$0")/../tools/build/common.sh"
out=""
if [ "${1:-}" = "--out" ]; then out=$2; fi
EDK2_FIXED=/tmp/kettle-edk2-build   # never change its length: it shapes the images
HOSTPKGS=(gcc-12 binutils make nasm acpica-tools uuid-dev python3.11 dpkg patch)
key=$( { cat "$0"; lock_rows edk2; host_versions "${HOSTPKGS[@]}"; } | key_of)
AMDSEV_CMD="build -a X64 -t GCC5 -b RELEASE -n 2 -p OvmfPkg/AmdSev/AmdSevX64.dsc"
X64_CMD="build -a X64 -t GCC5 -b RELEASE -n 2 -p OvmfPkg/OvmfPkgX64.dsc"
# The same platform with TPM 2.0 measured boot; it shares Build/OvmfX64, so it runs after ovmf.fd is copied
# out and that directory is removed (a clean build, never an incremental one on top of the first).
TPM_CMD="build -a X64 -t GCC5 -b RELEASE -n 2 -p OvmfPkg/OvmfPkgX64.dsc -D TPM2_ENABLE=TRUE"

mkdir -p "$KETTLE_CACHE/locks"
if [ -z "$out" ]; then
  F="$KETTLE_CACHE/ovmf-$key"
  if [ -f "$F/.done" ]; then echo "$F"; exit 0; fi
  exec 9>"$KETTLE_CACHE/locks/ovmf-$key.lock"; flock 9
  if [ -f "$F/.done" ]; then echo "$F"; exit 0; fi
else
  F=$(realpath -m "$out")
fi
# The fixed path is shared by every firmware build on this machine: one at a time.
exec 8>"$KETTLE_CACHE/locks/edk2-fixed-path.lock"; flock 8
W=$EDK2_FIXED
rm -rf "$W"
log="$KETTLE_CACHE/work/ovmf-$key.log"; mkdir -p "$(dirname "$log")"; : > "$log"
trap 'rm -rf "$W"' EXIT
echo "firmware: building into $F (about 8 minutes on 2 cores; log $log)" >&2
t0=$(date +%s)
"$top/tools/deps/unpack" edk2 "$W"
# AmdSev's PREBUILD (grub.sh) wants a grub.efi; Debian's GRUB lacks the sevsecret module, so an empty
# placeholder, newer than grub.cfg and grub.sh, is used (the BDS Grub boot option then simply fails).
: > "$W/OvmfPkg/AmdSev/Grub/grub.efi"; touch -d '@1735689601' "$W/OvmfPkg/AmdSev/Grub/grub.efi"
touch -d '@1735689600' "$W/OvmfPkg/AmdSev/Grub/grub.cfg" "$W/OvmfPkg/AmdSev/Grub/grub.sh"
# Debian's python3 first (edk2 BaseTools run python3 by name).
export PATH=/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin PYTHON_COMMAND=/usr/bin/python3
t1=$(date +%s)
(
  cd "$W"; set +u --; . ./edksetup.sh >>"$log" 2>&1
  make -C BaseTools -j2 >>"$log" 2>&1
) || { echo "firmware: BaseTools failed; log $log" >&2; tail -30 "$log" >&2; exit 1; }
t2=$(date +%s)
# `set --` before sourcing edksetup.sh (it parses positional arguments), so the command is kept in $cmd.
bld() { local cmd=$1
        (cd "$W"; set +u --; . ./edksetup.sh >>"$log" 2>&1; $cmd >>"$log" 2>&1) \
          || { echo "firmware: failed: $cmd; log $log" >&2; tail -30 "$log" >&2; exit 1; }; }
bld "$AMDSEV_CMD"; t3=$(date +%s)
bld "$X64_CMD"; t4=$(date +%s)
stage="$F.tmp"; rm -rf "$stage"; mkdir -p "$stage"
cp "$W/Build/AmdSev/RELEASE_GCC5/FV/OVMF.fd" "$stage/ovmf-amdsev.fd"
cp "$W/Build/OvmfX64/RELEASE_GCC5/FV/OVMF.fd" "$stage/ovmf.fd"
rm -rf "$W/Build/OvmfX64"
bld "$TPM_CMD"; t5=$(date +%s)
cp "$W/Build/OvmfX64/RELEASE_GCC5/FV/OVMF.fd" "$stage/ovmf-tpm.fd"
cat > "$stage/build-flags" <<FLAGS
source=edk2 $(lock_rows edk2 | cut -f3 | head -1) (Debian trixie orig + debian tarballs, debian/patches/series applied)
build-path=$EDK2_FIXED
placeholder=OvmfPkg/AmdSev/Grub/grub.efi (empty)
basetools=make -C BaseTools
ovmf-amdsev.fd=$AMDSEV_CMD
ovmf.fd=$X64_CMD
ovmf-tpm.fd=$TPM_CMD
FLAGS
printf 'unpack %s\nbasetools %s\namdsev %s\nx64 %s\nx64-tpm %s\n' $((t1-t0)) $((t2-t1)) $((t3-t2)) $((t4-t3)) $((t5-t4)) \
  > "$stage/build-seconds"
echo "$((t5-t0))" > "$stage/.build-seconds"
publish "$stage" "$F"
touch "$F/.done"
echo "firmware: built in $((t5-t0)) s ($(tr '\n' ' ' < "$F/build-seconds"))" >&2
echo "$F"

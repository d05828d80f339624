#!/usr/bin/env bash
# image/build.sh [OUT_DIR]: assemble the Kettle boot image into OUT_DIR (default build/image):
#   kettle.efi (UKI), ovmf-amdsev.fd, ovmf.fd, ovmf-tpm.fd, kettle-disk.raw (GPT + FAT32 ESP holding the UKI as
#   \EFI\BOOT\BOOTX64.EFI, 1 GiB sparse), kettle-gcp.tar.gz (GCP's import form of it), manifest.json,
#   provenance.json, parts/ (initrd, identity).
# Kernel and firmware come from their content-addressed caches (built on first use: ~5 + ~5 minutes on
# 2 cores); PID 1 is build/bin/init from `make tools`. Overrides (used by make reproduce):
#   KETTLE_INIT=path  KERNEL_DIR=dir (from kernel-config/build.sh)  FIRMWARE_DIR=dir (from firmware/build.sh)
. "$(dirname "$0")/../tools/build/common.sh"
out=$(realpath -m "${1:-$top/build/image}")
t0=$(date +%s)
K=${KERNEL_DIR:-$("$top/kernel-config/build.sh")}
F=${FIRMWARE_DIR:-$("$top/firmware/build.sh")}
init=${KETTLE_INIT:-$top/build/bin/init}
[ -x "$init" ] || { echo "image: $init missing: run make tools" >&2; exit 1; }
mkdir -p "$out/parts"
"$top/tools/deps/unpack" systemd-boot-efi "$out/parts/stub-deb"
stub="$out/parts/stub-deb/usr/lib/systemd/boot/efi/linuxx64.efi.stub"
/usr/bin/python3 "$top/image/assemble.py" all --top "$top" --lock "$top/deps/kettle.lock" \
  --kernel "$K/bzImage" --kernel-release "$K/kernelrelease" --kernel-dir "$K" --firmware-dir "$F" \
  --init "$init" --stub "$stub" --osrel "$top/image/os-release" --cmdline "$top/image/cmdline.txt" \
  --ovmf-amdsev "$F/ovmf-amdsev.fd" --ovmf "$F/ovmf.fd" --ovmf-tpm "$F/ovmf-tpm.fd" --out "$out"
cp "$stub" "$out/parts/linuxx64.efi.stub"; rm -rf "$out/parts/stub-deb"
echo "image: $out/kettle.efi $(stat -c %s "$out/kettle.efi") B, sha256 $(sha256sum "$out/kettle.efi" | cut -c1-16)…; $(( $(date +%s) - t0 )) s" >&2

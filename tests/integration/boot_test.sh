#!/usr/bin/env bash
# boot_test.sh IMAGE_DIR MODE: boot IMAGE_DIR/kettle.efi with IMAGE_DIR/ovmf.fd under QEMU TCG (-kernel).
#   banner: PID 1 must print "KETTLE-INIT <version> kernel <release> tsm-report present" and the kernel
#           must power off cleanly ("reboot: Power down"), within the timeout.
#   refuse: the host passes another command line (-append); PID 1 must refuse and power off, no banner.
# Exit 0 pass, 1 fail, 4 skip (no image: run `make image`). Env: BOOT_TIMEOUT (s, default 300).
set -uo pipefail
dir=${1:?image dir}; mode=${2:-banner}
efi="$dir/kettle.efi"; fd="$dir/ovmf.fd"
if [ ! -f "$efi" ] || [ ! -f "$fd" ]; then echo "SKIP: $dir has no kettle.efi/ovmf.fd (run make image)"; exit 4; fi
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: qemu-system-x86_64 not installed"; exit 4; }
log=$(mktemp /tmp/kettle-boot-XXXXXX.log); trap 'rm -f "$log"' EXIT
want_cmdline=$(head -1 "$(dirname "$0")/../../image/cmdline.txt")
extra=()
[ "$mode" = refuse ] && extra=(-append "$want_cmdline init=/bin/sh")
start=$(date +%s.%N)
timeout "${BOOT_TIMEOUT:-300}" qemu-system-x86_64 -accel tcg -m 512 -smp 1 -nodefaults -display none \
  -no-reboot -monitor none -serial "file:$log" -bios "$fd" -kernel "$efi" "${extra[@]}"
rc=$?
secs=$(echo "$(date +%s.%N) - $start" | bc)
clean=$(tr -d '\r' < "$log")
fail() { echo "FAIL ($mode): $*"; echo "--- serial console (last 40 lines) ---"; tail -40 <<<"$clean"; exit 1; }
[ $rc -eq 124 ] && fail "timed out after ${BOOT_TIMEOUT:-300} s"
[ $rc -eq 0 ] || fail "qemu exited with $rc"
grep -q '^reboot: Power down' <<<"$clean" || fail "no clean power-off (missing 'reboot: Power down')"
grep -q 'Kernel panic' <<<"$clean" && fail "kernel panic"
case "$mode" in
  banner)
    line=$(grep -E '^KETTLE-INIT ' <<<"$clean" | head -1)
    grep -qE '^KETTLE-INIT [0-9]+\.[0-9]+\.[0-9]+ kernel 6\.12\.[0-9]+ tsm-report present$' <<<"$line" \
      || fail "banner missing or wrong: '$line'"
    echo "PASS (banner): '$line', powered off after $secs s" ;;
  refuse)
    grep -qE '^KETTLE-INIT REFUSED: kernel command line ' <<<"$clean" || fail "PID 1 did not refuse a foreign command line"
    grep -qE '^KETTLE-INIT [0-9]' <<<"$clean" && fail "banner printed despite a foreign command line"
    echo "PASS (refuse): $(grep -E '^KETTLE-INIT REFUSED' <<<"$clean" | head -1), powered off after $secs s" ;;
  *) echo "usage: boot_test.sh IMAGE_DIR banner|refuse"; exit 2 ;;
esac

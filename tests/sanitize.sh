#!/usr/bin/env bash
# make check-sanitize (also run by make check): the unit tests (ctest label `unit`: every Catch2 test
# case except those tagged [musl], and one replay of each fuzz target over its committed inputs) of the host
# build (tools/build/host.sh, build/host), under AddressSanitizer (leaks included) and UndefinedBehaviorSanitizer.
# Any sanitizer report fails its test. Not the VM tests: they boot the musl image and run under `make check`.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-$top/build/host}
[ -f "$B/CTestTestfile.cmake" ] || { echo "check-sanitize: $B is not configured (tools/build/host.sh)" >&2; exit 2; }
export ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$top/tests/ubsan.supp"
export KETTLE_DEBIAN_OVMF=${KETTLE_DEBIAN_OVMF:-$top/build/testdata/ovmf-debian/usr/share/ovmf/OVMF.fd}
start=$(date +%s)
cd "$B"
ctest -L unit --output-on-failure -j2 --timeout 900
echo "check-sanitize: unit tests under ASan+UBSan passed in $(( $(date +%s) - start )) s"

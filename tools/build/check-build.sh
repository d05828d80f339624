#!/usr/bin/env bash
# check-build.sh: every build `make check` needs, as four independent chains run side by side, so that one chain's
# serial stretches (configure scripts, edk2's Python build driver, linking) use the cores another leaves idle:
#   musl      make tools image (musl GCC toolchain, libraries, kettle + init + tests, then the image assembly)
#   kernel    kernel-config/build.sh (cached)
#   firmware  firmware/build.sh (the three OVMF images, cached)
#   host      tools/build/host.sh --tests-only (the host libraries and the ASan+UBSan unit tests)
# The image assembly needs the kernel and firmware: it calls their recipes, which wait on the cache lock held by
# the kernel and firmware chains and then find the finished build. Downloads (make deps) and the test firmware
# (make testdata) come first, once. Each line of output is prefixed with its chain's name; the script exits 1 when
# any chain failed, after all have ended, naming the failed ones. Warm, every chain is a cache hit or a no-op build.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
# Each chain runs its own -jN; none joins a caller's make jobserver.
unset MAKEFLAGS MFLAGS MAKELEVEL
make --no-print-directory deps testdata
declare -A pid=()
chain() {
  local name=$1; shift
  ( set -o pipefail; "$@" 2>&1 | sed -u "s/^/[$name] /" ) &
  pid[$name]=$!
}
start=$(date +%s)
chain musl make --no-print-directory tools image
chain kernel bash -c 'kernel-config/build.sh >/dev/null'
chain firmware bash -c 'firmware/build.sh >/dev/null'
chain host tools/build/host.sh --tests-only
failed=()
for name in musl kernel firmware host; do
  wait "${pid[$name]}" || failed+=("$name")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "check-build: failed: ${failed[*]} (see the lines prefixed [name] above)" >&2
  exit 1
fi
echo "check-build: musl, kernel, firmware and host builds done in $(( $(date +%s) - start )) s" >&2

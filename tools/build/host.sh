#!/usr/bin/env bash
# host.sh [--configure-only | --tests-only] [BUILD_DIR]: the host build (default build/host): kettle, init, the
# unit tests and the fuzz targets, compiled with the host clang and the sanitizer flags of tools/build/host-env.sh
# against the host-built pinned libraries (host-libs.sh). Not the shipped executables (those are the static musl
# build of tools.sh); this build exists to run the unit tests under ASan+UBSan (make check-sanitize), to fuzz
# (make fuzz) and for its compile_commands.json (make lint; --configure-only stops after cmake). --tests-only builds
# the cmake target sanitize-tests, what make check-sanitize runs (no init, no make-seeds).
# ninja runs $(nproc) jobs unless NINJA_FLAGS says otherwise (its default, nproc + 2, overloads a shared 2-core
# machine with ASan compiles).
. "$(dirname "$0")/common.sh"
. "$top/tools/build/host-env.sh"
configure_only=0 targets=()
case "${1:-}" in
  --configure-only) configure_only=1; shift ;;
  --tests-only) targets=(sanitize-tests); shift ;;
esac
B=${1:-$top/build/host}
P=$("$top/tools/build/host-libs.sh")
mkdir -p "$B"
want="$P|$HOST_CC|$HOST_CFLAGS"
if [ ! -f "$B/build.ninja" ] || [ "$(cat "$B/.kettle-env" 2>/dev/null)" != "$want" ]; then
  rm -rf "$B"; mkdir -p "$B"
  cmake -S "$top" -B "$B" -G Ninja -Wno-dev -DKETTLE_HOST=ON -DCMAKE_BUILD_TYPE=Host \
    -DCMAKE_C_COMPILER="$HOST_CC" -DCMAKE_CXX_COMPILER="$HOST_CXX" \
    -DCMAKE_C_FLAGS="$HOST_CFLAGS" -DCMAKE_CXX_FLAGS="$HOST_CFLAGS" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
    -DCMAKE_PREFIX_PATH="$P" -DKETTLE_PREFIX="$P" -DKETTLE_BIN_DIR="$B/bin" >"$B.configure.log" 2>&1 \
    || { cat "$B.configure.log" >&2; exit 1; }
  echo "$want" > "$B/.kettle-env"
fi
[ $configure_only = 0 ] || exit 0
# ninja's own status decides (with pipefail and `|| true`, PIPESTATUS would be that of `true`).
set +e
ninja -C "$B" ${NINJA_FLAGS:--j$(nproc)} "${targets[@]}" | grep -v '^ninja: Entering' | grep -v '^\[.*\] '
rc=${PIPESTATUS[0]}
set -e
[ "$rc" -eq 0 ] || { echo "build failed: ninja -C $B exited $rc" >&2; exit 1; }

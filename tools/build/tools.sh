#!/usr/bin/env bash
# Build build/bin/kettle, build/bin/init and the unit tests with the musl toolchain.
# tools.sh [BUILD_DIR] [BIN_DIR]: defaults build/cmake and build/bin.
. "$(dirname "$0")/common.sh"
B=${1:-$top/build/cmake}; BIN=${2:-$top/build/bin}
TC=$("$top/tools/build/toolchain.sh")
P=$("$top/tools/build/libs.sh" "$TC")
mkdir -p "$B" "$BIN"
want="$TC|$P|$BIN"
if [ ! -f "$B/build.ninja" ] || [ "$(cat "$B/.kettle-env" 2>/dev/null)" != "$want" ]; then
  rm -rf "$B"; mkdir -p "$B"
  cmake -S "$top" -B "$B" -G Ninja -Wno-dev -DCMAKE_TOOLCHAIN_FILE="$top/cmake/musl-toolchain.cmake" \
    -DKETTLE_TC="$TC" -DKETTLE_PREFIX="$P" -DKETTLE_BIN_DIR="$BIN" -DCMAKE_BUILD_TYPE=Release >"$B.configure.log" 2>&1 \
    || { cat "$B.configure.log" >&2; exit 1; }
  echo "$want" > "$B/.kettle-env"
fi
# ninja's own status decides (with pipefail and `|| true`, PIPESTATUS would be that of `true`).
set +e
ninja -C "$B" ${NINJA_FLAGS:-} | grep -v '^ninja: Entering' | grep -v '^\[.*\] '
rc=${PIPESTATUS[0]}
set -e
[ "$rc" -eq 0 ] || { echo "build failed: ninja -C $B exited $rc" >&2; exit 1; }
printf 'KETTLE_TC=%s\nKETTLE_PREFIX=%s\n' "$TC" "$P" > "$top/build/env"

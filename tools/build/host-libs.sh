#!/usr/bin/env bash
# host-libs.sh: the pinned libraries built again with the host clang and the sanitizer flags of
# tools/build/host-env.sh, for the sanitizer unit tests and the fuzz targets. Bookworm's own -dev packages are older
# (mbedTLS 2.28, Catch2 2) and are never used. Prints the prefix. Cached in $KETTLE_CACHE/hostlibs-<key>, key = this
# recipe + host-env.sh + tools/build/libs.sh + the pinned sources + the host clang.
#
# The package list and the build steps are those of tools/build/libs.sh (the musl build), read from it rather than
# copied: its PKGS= line, and its lines from `cd "$W/zlib"` to the Catch2 install, run here with the host compiler
# in CC/CXX/CFLAGS and our own cmake arguments in CM. libs.sh itself is unchanged, so the musl libraries keep their
# cache key.
. "$(dirname "$0")/common.sh"
. "$top/tools/build/host-env.sh"
recipe=$top/tools/build/libs.sh
pkgs_line=$(grep -m1 '^PKGS=(' "$recipe") || { echo "host-libs: no PKGS=( line in $recipe" >&2; exit 1; }
steps=$(sed -n '/^cd "\$W\/zlib"/,/^log ninja -C "\$W\/b-catch2" install$/p' "$recipe")
case "$steps" in
  'cd "$W/zlib"'*'log ninja -C "$W/b-catch2" install') ;;
  *) echo "host-libs: the build steps of $recipe (from cd \"\$W/zlib\" to the Catch2 install) were not found" >&2; exit 1 ;;
esac
eval "$pkgs_line"
key=$( { cat "$0" "$top/tools/build/host-env.sh" "$recipe"; lock_rows "${PKGS[@]}"; host_versions "${HOST_PKGS[@]}"; } | key_of)
P="$KETTLE_CACHE/hostlibs-$key"
if [ -f "$P/.done" ]; then echo "$P"; exit 0; fi
# One builder at a time: others wait here, then find the finished build.
mkdir -p "$KETTLE_CACHE/locks"; exec 9>"$KETTLE_CACHE/locks/$(basename "$P").lock"; flock 9
if [ -f "$P/.done" ]; then echo "$P"; exit 0; fi
W="$KETTLE_CACHE/work/hostlibs-$key"; rm -rf "$W"; mkdir -p "$W"
stage="$P.tmp"; rm -rf "$stage"; mkdir -p "$stage/lib" "$stage/include"
start=$(date +%s)
echo "host-libs: building $P" >&2
export CC=$HOST_CC CXX=$HOST_CXX AR=ar RANLIB=ranlib
# The target triplet libs.sh's autoconf steps (nettle) pass as --host: here the host's own, so no cross build.
T=$($HOST_CC -dumpmachine)
export CFLAGS="$HOST_CFLAGS -ffile-prefix-map=$W=." CXXFLAGS="$HOST_CFLAGS -ffile-prefix-map=$W=."
export PKG_CONFIG_LIBDIR="$stage/lib/pkgconfig"
# The prefix being filled comes first, so that libarchive and libgit2 find our zlib and zstd, not the host's.
# C++20 as in our code: clang 14 defaults to C++14, and Catch2 compiled so lacks its std::string_view support.
CM=(-G Ninja -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" -DCMAKE_PREFIX_PATH="$stage"
    -DCMAKE_CXX_STANDARD=20 -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$stage" -DCMAKE_INSTALL_LIBDIR=lib
    -Wno-dev)
log() { "$@" >>"$W/build.log" 2>&1 || { echo "host-libs: failed: $*; log: $W/build.log" >&2; tail -30 "$W/build.log" >&2; exit 1; }; }
for p in "${PKGS[@]}"; do log "$top/tools/deps/unpack" "$p" "$W/$p"; done
eval "$steps"
cd /
rm -rf "$stage/lib/pkgconfig" "$stage/share/doc"
publish "$stage" "$P"
rm -rf "$W"
echo "$(( $(date +%s) - start ))" > "$P/.build-seconds"
touch "$P/.done"
echo "host-libs: built in $(cat "$P/.build-seconds") s" >&2
echo "$P"

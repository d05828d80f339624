#!/usr/bin/env bash
# libs.sh TOOLCHAIN_DIR: build the static C/C++ libraries Kettle links, with the musl toolchain,
# from the pinned Debian sources. Prints the prefix. Cached in $KETTLE_CACHE/libs-<key>, key = this
# recipe + the toolchain key + the pinned sources. All objects use -ffile-prefix-map, -g0 and
# deterministic archives (Debian's binutils ar defaults to D).
. "$(dirname "$0")/common.sh"
TC=$1
PKGS=(zlib libzstd mbedtls nettle http-parser libarchive libgit2 nlohmann-json3 catch2)
key=$( { cat "$0" "$top/cmake/musl-toolchain.cmake"; basename "$TC"; lock_rows "${PKGS[@]}"; host_versions cmake ninja-build; } | key_of)
P="$KETTLE_CACHE/libs-$key"
if [ -f "$P/.done" ]; then echo "$P"; exit 0; fi
# One builder at a time: others wait here, then find the finished build.
mkdir -p "$KETTLE_CACHE/locks"; exec 9>"$KETTLE_CACHE/locks/$(basename "$P").lock"; flock 9
if [ -f "$P/.done" ]; then echo "$P"; exit 0; fi
W="$KETTLE_CACHE/work/libs-$key"; rm -rf "$W"; mkdir -p "$W"
stage="$P.tmp"; rm -rf "$stage"; mkdir -p "$stage/lib" "$stage/include"
start=$(date +%s)
echo "libs: building $P" >&2
T=x86_64-linux-musl
export PATH="$TC/bin:$PATH" CC=$T-gcc CXX=$T-g++ AR=$T-ar RANLIB=$T-ranlib
export CFLAGS="-O2 -g0 -ffile-prefix-map=$W=. -ffile-prefix-map=$TC=/toolchain"
export CXXFLAGS="$CFLAGS" PKG_CONFIG_LIBDIR="$stage/lib/pkgconfig"
export KETTLE_TC="$TC" KETTLE_PREFIX="$stage"
CM=(-G Ninja -DCMAKE_TOOLCHAIN_FILE="$top/cmake/musl-toolchain.cmake" -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_INSTALL_PREFIX="$stage" -DCMAKE_INSTALL_LIBDIR=lib -Wno-dev)
log() { "$@" >>"$W/build.log" 2>&1 || { echo "libs: failed: $*; log: $W/build.log" >&2; tail -30 "$W/build.log" >&2; exit 1; }; }
for p in "${PKGS[@]}"; do log "$top/tools/deps/unpack" "$p" "$W/$p"; done

cd "$W/zlib"; log ./configure --static --prefix="$stage"; log make -j2 libz.a; log make install
log cmake -S "$W/libzstd/build/cmake" -B "$W/b-zstd" "${CM[@]}" -DZSTD_BUILD_STATIC=ON -DZSTD_BUILD_SHARED=OFF \
    -DZSTD_BUILD_PROGRAMS=OFF -DZSTD_BUILD_TESTS=OFF -DZSTD_MULTITHREAD_SUPPORT=OFF
log ninja -C "$W/b-zstd" install
cd "$W/mbedtls"
# RSASSA-PSS in X.509 (AMD's ARK/ASK/VCEK chain) needs PKCS#1 v2.1 and the X.509 PSS option.
log python3 scripts/config.py set MBEDTLS_PKCS1_V21
log python3 scripts/config.py set MBEDTLS_X509_RSASSA_PSS_SUPPORT
log cmake -S . -B "$W/b-mbedtls" "${CM[@]}" -DENABLE_PROGRAMS=OFF -DENABLE_TESTING=OFF \
    -DUSE_STATIC_MBEDTLS_LIBRARY=ON -DUSE_SHARED_MBEDTLS_LIBRARY=OFF -DGEN_FILES=OFF -DMBEDTLS_FATAL_WARNINGS=OFF
log ninja -C "$W/b-mbedtls" install
# nettle: SHA-256 with the x86 SHA extensions. The fat build compiles every x86_64 variant and picks one at run time
# (SHA-NI where the CPU has it). Only libnettle (no public-key part, so no GMP). CFLAGS on the make line replaces
# nettle's own -ggdb3; the headers are copied, because `make install-headers` re-runs autoheader here.
cd "$W/nettle"
log ./configure --host=$T --prefix="$stage" --enable-fat --disable-shared --disable-public-key --disable-openssl \
    --disable-documentation --disable-gcov
log make -j2 CFLAGS="$CFLAGS" libnettle.a
cp libnettle.a "$stage/lib/"; mkdir -p "$stage/include/nettle"
for h in *.h; do [ "$h" = config.h ] || cp "$h" "$stage/include/nettle/"; done
cd "$W/http-parser"; log make package CC=$CC AR=$AR CFLAGS="$CFLAGS"
cp libhttp_parser.a "$stage/lib/"; cp http_parser.h "$stage/include/"
log cmake -S "$W/libarchive" -B "$W/b-archive" "${CM[@]}" -DENABLE_OPENSSL=OFF -DENABLE_MBEDTLS=OFF -DENABLE_NETTLE=OFF \
    -DENABLE_LIBB2=OFF -DENABLE_LZ4=OFF -DENABLE_LZO=OFF -DENABLE_LZMA=OFF -DENABLE_BZip2=OFF -DENABLE_LIBXML2=OFF \
    -DENABLE_EXPAT=OFF -DENABLE_PCREPOSIX=OFF -DENABLE_LIBGCC=OFF -DENABLE_CNG=OFF -DENABLE_XATTR=OFF -DENABLE_ACL=OFF \
    -DENABLE_ICONV=OFF -DENABLE_TAR=OFF -DENABLE_CPIO=OFF -DENABLE_CAT=OFF -DENABLE_TEST=OFF -DENABLE_WERROR=OFF \
    -DENABLE_ZLIB=ON -DENABLE_ZSTD=ON
log ninja -C "$W/b-archive" archive_static
cp "$W/b-archive/libarchive/libarchive.a" "$stage/lib/"
cp "$W/libarchive/libarchive/archive.h" "$W/libarchive/libarchive/archive_entry.h" "$stage/include/"
log cmake -S "$W/libgit2" -B "$W/b-git2" "${CM[@]}" -DBUILD_SHARED_LIBS=OFF -DBUILD_TESTS=OFF -DBUILD_CLI=OFF \
    -DBUILD_EXAMPLES=OFF -DUSE_HTTPS=OFF -DUSE_SSH=OFF -DUSE_GSSAPI=OFF -DUSE_NTLMCLIENT=OFF \
    -DUSE_SHA1=CollisionDetection -DUSE_SHA256=Builtin -DREGEX_BACKEND=regcomp -DUSE_HTTP_PARSER=system \
    -DUSE_BUNDLED_ZLIB=OFF -DUSE_THREADS=ON -DUSE_NSEC=ON -DENABLE_REPRODUCIBLE_BUILDS=ON
log ninja -C "$W/b-git2" install
mkdir -p "$stage/include/nlohmann"
cp "$W/nlohmann-json3/single_include/nlohmann/json.hpp" "$stage/include/nlohmann/"
log cmake -S "$W/catch2" -B "$W/b-catch2" "${CM[@]}" -DCATCH_INSTALL_DOCS=OFF -DCATCH_INSTALL_EXTRAS=ON -DBUILD_TESTING=OFF
log ninja -C "$W/b-catch2" install
cd /
rm -rf "$stage/lib/pkgconfig" "$stage/share/doc"
publish "$stage" "$P"
rm -rf "$W"
echo "$(( $(date +%s) - start ))" > "$P/.build-seconds"
touch "$P/.done"
echo "libs: built in $(cat "$P/.build-seconds") s" >&2
echo "$P"

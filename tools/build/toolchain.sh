#!/usr/bin/env bash
# Build the x86_64-linux-musl GCC 12 cross toolchain (C, C++) from Debian's gcc-12-source, with
# the host binutils and Debian's musl-dev. Prints the toolchain directory. Cached in
# $KETTLE_CACHE/toolchain-<key>, key = this recipe + the pinned gcc-12-source and musl-dev + host
# binutils/gcc versions. Pitfalls are noted next to each step below.
. "$(dirname "$0")/common.sh"
key=$( { cat "$0"; lock_rows gcc-12-source musl-dev; host_versions binutils gcc-12 g++-12 linux-libc-dev; } | key_of)
TC="$KETTLE_CACHE/toolchain-$key"
if [ -f "$TC/.done" ]; then echo "$TC"; exit 0; fi
# One builder at a time: others wait here, then find the finished build.
mkdir -p "$KETTLE_CACHE/locks"; exec 9>"$KETTLE_CACHE/locks/$(basename "$TC").lock"; flock 9
if [ -f "$TC/.done" ]; then echo "$TC"; exit 0; fi
T=x86_64-linux-musl
W="$KETTLE_CACHE/work/toolchain-$key"; rm -rf "$W"; mkdir -p "$W"
stage="$W/prefix"   # built at its final path via a rename at the end; the toolchain is relocatable
start=$(date +%s)
echo "toolchain: building $TC (about 12 minutes on 2 cores)" >&2
"$top/tools/deps/unpack" gcc-12-source "$W/gccsrc"
"$top/tools/deps/unpack" musl-dev "$W/musl"
tar -xf "$W/gccsrc/usr/src/gcc-12/gcc-12.2.0-dfsg.tar.xz" -C "$W"
for p in git-updates.diff gcc-gfdl-build.diff; do
  patch -d "$W/gcc-12.2.0" -s -p2 < "$W/gccsrc/usr/src/gcc-12/debian/patches/$p"
done
# Sysroot: musl headers + kernel UAPI headers, musl libc.a and crt files.
S="$stage/$T"; mkdir -p "$S/include" "$S/lib" "$stage/bin" "$S/bin"
cp -a "$W/musl/usr/include/$T/." "$S/include/"
cp -a /usr/include/linux /usr/include/asm-generic "$S/include/"
cp -a /usr/include/x86_64-linux-gnu/asm "$S/include/"
cp -a "$W/musl/usr/lib/$T/"*.o "$W/musl/usr/lib/$T/"*.a "$S/lib/"
for t in as ld ld.bfd ar nm ranlib strip objcopy objdump readelf size strings addr2line; do
  ln -sf "/usr/bin/x86_64-linux-gnu-$t" "$stage/bin/$T-$t"
  ln -sf "/usr/bin/x86_64-linux-gnu-$t" "$S/bin/$t"
done
mkdir -p "$W/build"; cd "$W/build"
export PATH="$stage/bin:$PATH"
../gcc-12.2.0/configure --prefix="$stage" --target=$T \
  --with-sysroot="$stage/$T" --with-native-system-header-dir=/include \
  --enable-languages=c,c++ --disable-multilib --disable-bootstrap --disable-nls \
  --disable-shared --disable-lto --disable-plugin --disable-werror \
  --disable-libsanitizer --disable-libgomp --disable-libitm --disable-libvtv \
  --disable-libquadmath --disable-libssp --disable-libstdcxx-pch \
  --enable-threads=posix --enable-tls --enable-__cxa_atexit \
  CFLAGS="-O2 -g0" CXXFLAGS="-O2 -g0" CFLAGS_FOR_TARGET="-O2 -g0" CXXFLAGS_FOR_TARGET="-O2 -g0" >"$W/configure.log" 2>&1
j=$(nproc)
make -j"$j" all-gcc >"$W/gcc.log" 2>&1
make -j"$j" all-target-libgcc >"$W/libgcc.log" 2>&1
make -j"$j" all-target-libstdc++-v3 all-target-libatomic >"$W/libstdcxx.log" 2>&1
make install-strip-gcc install-target-libgcc install-target-libstdc++-v3 install-target-libatomic >"$W/install.log" 2>&1
strip --strip-debug "$stage/lib/gcc/$T/12.2.0/libgcc.a" "$stage/lib/gcc/$T/12.2.0/libgcov.a" "$S/lib/"*.o
cd /
# The sysroot path is baked into the driver: rebuild-free relocation works because GCC computes it
# relative to the driver, so a rename is safe (tested when this recipe was written).
publish "$stage" "$TC"
rm -rf "$W"
echo "$(( $(date +%s) - start ))" > "$TC/.build-seconds"
touch "$TC/.done"
echo "toolchain: built in $(cat "$TC/.build-seconds") s" >&2
echo "$TC"

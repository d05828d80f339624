#!/usr/bin/env bash
# kernel-config/build.sh [--out DIR]: build the Kettle guest kernel (Linux 6.12 from Debian's pinned
# linux-source-6.12) and print the directory holding it:
#   bzImage        the EFI-stub kernel image
#   config         the final .config
#   kernelrelease  `uname -r` of the guest (e.g. 6.12.117)
#   build-flags    the environment and make command used
# Base: `make ARCH=x86_64 tinyconfig`, then kernel-config/kettle.config merged, then olddefconfig.
# Every line of the fragment must hold afterwards, or the build fails naming the option.
# Default: cached in $KETTLE_CACHE/kernel-<key>, key = this recipe + the fragment + the lock row + host
# tool versions. With --out DIR: a fresh uncached build into DIR (used by `make reproduce`).
# Env: KERNEL_JOBS (default 2).
. "$(dirname "$0")/../tools/build/common.sh"
out=""
if [ "${1:-}" = "--out" ]; then out=$2; fi
frag="$top/kernel-config/kettle.config"
HOSTPKGS=(gcc-12 binutils make bc bison flex libelf-dev libssl-dev zstd xz-utils dpkg perl-base)
key=$( { cat "$0" "$frag"; lock_rows linux-source-6.12; host_versions "${HOSTPKGS[@]}"; } | key_of)
# Fixed build identity: no date, user, host or rebuild counter from this machine.
export KBUILD_BUILD_TIMESTAMP='2025-01-01 00:00:00 UTC' KBUILD_BUILD_USER=kettle KBUILD_BUILD_HOST=kettle \
       KBUILD_BUILD_VERSION=1 ARCH=x86_64
J=${KERNEL_JOBS:-2}

# check_config FRAGMENT DOTCONFIG: every fragment line must be in .config; "is not set" may also be absent.
check_config() {
  local bad=0 line sym want have
  while IFS= read -r line; do
    case "$line" in
      CONFIG_*=*) sym=${line%%=*}; want=$line ;;
      "# CONFIG_"*" is not set") sym=${line#\# }; sym=${sym%% *}; want="" ;;
      *) continue ;;
    esac
    have=$(grep -E "^(# )?$sym[= ]" "$2" || true)
    if [ -n "$want" ]; then
      [ "$have" = "$want" ] || { echo "kernel: option did not stick: want '$want', got '${have:-<absent>}'" >&2; bad=1; }
    else
      case "$have" in ""|"# $sym is not set") ;; *) echo "kernel: option must be off: got '$have'" >&2; bad=1 ;; esac
    fi
  done < "$1"
  return $bad
}

if [ -z "$out" ]; then
  K="$KETTLE_CACHE/kernel-$key"
  if [ -f "$K/.done" ]; then echo "$K"; exit 0; fi
  mkdir -p "$KETTLE_CACHE/locks"; exec 9>"$KETTLE_CACHE/locks/kernel-$key.lock"; flock 9
  if [ -f "$K/.done" ]; then echo "$K"; exit 0; fi
  W="$KETTLE_CACHE/work/kernel-$key"
else
  K=$(realpath -m "$out"); W="$K.work"
fi
rm -rf "$W"; mkdir -p "$W"
start=$(date +%s)
echo "kernel: building into $K (about 5 minutes on 2 cores)" >&2
"$top/tools/deps/unpack" linux-source-6.12 "$W/deb"
tar -xf "$W/deb/usr/src/linux-source-6.12.tar.xz" -C "$W"
rm -rf "$W/deb"
S="$W/linux-source-6.12"
log="$W/build.log"
run() { "$@" >>"$log" 2>&1 || { echo "kernel: failed: $*; log: $log" >&2; tail -30 "$log" >&2; exit 1; }; }
run make -C "$S" tinyconfig
(cd "$S" && run scripts/kconfig/merge_config.sh -m .config "$frag")
run make -C "$S" olddefconfig
check_config "$frag" "$S/.config" || { echo "kernel: config fragment not satisfied; see above ($S/.config)" >&2; exit 1; }
if [ -n "${KERNEL_CONFIG_ONLY:-}" ]; then cp "$S/.config" "$KERNEL_CONFIG_ONLY"; rm -rf "$W"; echo "kernel: config ok" >&2; exit 0; fi
run make -C "$S" -j"$J" bzImage
stage="$K.tmp"; rm -rf "$stage"; mkdir -p "$stage"
cp "$S/arch/x86/boot/bzImage" "$stage/bzImage"
cp "$S/.config" "$stage/config"
make -s -C "$S" kernelrelease > "$stage/kernelrelease"
cat > "$stage/build-flags" <<FLAGS
base=make ARCH=x86_64 tinyconfig
fragment=kernel-config/kettle.config (merge_config.sh -m, then make olddefconfig)
make=make -jN bzImage
KBUILD_BUILD_TIMESTAMP=$KBUILD_BUILD_TIMESTAMP
KBUILD_BUILD_USER=$KBUILD_BUILD_USER
KBUILD_BUILD_HOST=$KBUILD_BUILD_HOST
KBUILD_BUILD_VERSION=$KBUILD_BUILD_VERSION
FLAGS
echo "$(( $(date +%s) - start ))" > "$stage/.build-seconds"
publish "$stage" "$K"
rm -rf "$W"
touch "$K/.done"
echo "kernel: built $(cat "$K/kernelrelease") in $(cat "$K/.build-seconds") s" >&2
echo "$K"

#!/usr/bin/env bash
# make demo: an attested build of GNU hello (Debian source package `hello`, pinned in deps/kettle.lock) inside
# the measured VM under QEMU TCG, then an offline verification of the bundle. See README.md "Walkthrough".
. "$(dirname "$0")/build/common.sh"
K="$top/build/bin/kettle"; IMAGE="$top/build/image"
DEMO="$top/build/demo"; rm -rf "$DEMO"; mkdir -p "$DEMO"
t0=$(date +%s)
phase() { echo "demo: [$(( $(date +%s) - t0 ))s] $*" >&2; }

# 1. Toolchain: Debian bookworm build-essential, made reproducibly with mmdebstrap (the rootfs tarball, kept for
#    bench/demo_bench.sh's native build), then packed into a toolchain image (EROFS + dm-verity tree, its own disk
#    in the VM); both cached by their inputs. `kettle toolchain debian -o X.img` does both steps in one.
suite=bookworm pkgs=build-essential epoch=1704067200
tc_key=$(printf '%s|%s|%s|%s' "$suite" "$pkgs" "$epoch" "$(sha256sum "$top/runner/toolchain_cmd.cpp" | cut -c1-16)" | key_of)
TAR="$KETTLE_CACHE/toolchains/$suite-$pkgs-$tc_key.tar.zst"
# Each file keeps its recipe beside it (FILE.recipe.json: suite, packages and versions, mmdebstrap version), which
# `kettle run` puts into the statement.
if [ ! -f "$TAR" ] || [ ! -f "$TAR.recipe.json" ]; then
  phase "making the toolchain rootfs ($suite: $pkgs) with mmdebstrap"
  mkdir -p "$(dirname "$TAR")"
  "$K" toolchain debian --suite "$suite" --packages "$pkgs" --epoch "$epoch" -o "$TAR.tmp.tar.zst" >&2
  mv "$TAR.tmp.tar.zst.recipe.json" "$TAR.recipe.json"
  mv "$TAR.tmp.tar.zst" "$TAR"
fi
img_key=$(printf '%s|%s|%s' "$(basename "$TAR")" "$(sha256sum "$top/runner/toolchain_image.cpp" | cut -c1-16)" \
  "$(dpkg-query -W -f='${Version}' erofs-utils cryptsetup-bin 2>/dev/null)" | key_of)
TC="${TAR%.tar.zst}-$img_key.img"
if [ ! -f "$TC" ] || [ ! -f "$TC.recipe.json" ]; then
  phase "packing it into a toolchain image (mkfs.erofs + veritysetup)"
  "$K" toolchain pack "$TAR" --epoch "$epoch" -o "$TC.tmp.img" >&2
  mv "$TC.tmp.img.recipe.json" "$TC.recipe.json"
  mv "$TC.tmp.img" "$TC"
fi
tc_id=$("$K" toolchain info "$TC" | python3 -c 'import json, sys; j = json.load(sys.stdin)
print("dm-verity root hash %s, %d blocks of 4096 bytes" % (j["root_hash"], j["data_blocks"]))')
phase "toolchain image $(basename "$TC"): $tc_id"

# 2. Source: GNU hello from Debian's source archive as a git repository with a deterministic commit id:
#    fixed author, committer, dates and message; files added in sorted order with fixed modes.
SRC="$DEMO/hello"
"$top/tools/deps/unpack" hello "$SRC"
rm -rf "$SRC/debian"   # Debian's packaging; the upstream tree is what we build
git -C "$SRC" init -q -b main
git -C "$SRC" -c core.fileMode=true add -A
GIT_AUTHOR_NAME="Kettle demo" GIT_AUTHOR_EMAIL="demo@kettle.invalid" GIT_AUTHOR_DATE="2025-01-01T00:00:00Z" \
GIT_COMMITTER_NAME="Kettle demo" GIT_COMMITTER_EMAIL="demo@kettle.invalid" GIT_COMMITTER_DATE="2025-01-01T00:00:00Z" \
  git -C "$SRC" -c commit.gpgsign=false commit -q -m "GNU hello $(awk -F'\t' '$2=="hello"{print $3; exit}' "$top/deps/kettle.lock") from Debian"
commit=$(git -C "$SRC" rev-parse HEAD)
phase "source: GNU hello, commit $commit"

# 3. The attested build. Equal mtimes after checkout keep make from re-running autotools.
OUT="$DEMO/bundle"
nonce=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
phase "building inside the VM (QEMU TCG, simulated AMD-SP)"
hello_dsc=$(awk -F'\t' '$2=="hello" && $5 ~ /\.dsc$/ {print $5; exit}' "$top/deps/kettle.lock")
"$K" run --profile tcg --vcpus 2 --memory 3G --image "$IMAGE" --source "$SRC" --toolchain "$TC" \
  --source-uri "https://deb.debian.org/debian/$hello_dsc" \
  --artifacts hello --nonce "$nonce" --timeout 1800 --out "$OUT" -- \
  /bin/sh -c 'find . -exec touch -h -d @1735689600 {} + && ./configure --quiet && make -j2 && strip hello'
phase "build done"

# 4. Offline verification (the simulated chain must be allowed explicitly).
"$K" verify "$OUT" --allow-sim --image "$IMAGE" --vcpus 2 --vcpu-type EPYC-v4 --nonce "$nonce" | tee "$DEMO/verify.txt"

# 5. Summary.
art=$(sha256sum "$OUT/artifacts/hello" | cut -d' ' -f1)
meas=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sim_amdsp"]["measurement"].get("launch_digest","?"))' "$OUT/run.json")
echo
echo "artifact:     hello  sha256:$art"
echo "toolchain:    $tc_id"
echo "commit:       $commit"
echo "measurement:  $meas (SNP launch digest of build/image, 2 vCPUs, EPYC-v4)"
echo "verdict:      $(tail -1 "$DEMO/verify.txt")"
echo "bundle:       $OUT"
echo "runs here:    $("$OUT/artifacts/hello")"
echo "total:        $(( $(date +%s) - t0 )) s"

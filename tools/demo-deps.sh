#!/usr/bin/env bash
# make demo-deps: an attested build with 163 npm dependencies (docs/dependencies.md). The project is RxJS 7.8.1's
# published TypeScript sources (the registry tarball, pinned by its sha512 below), with tools/demo-deps/ (our
# package.json, the package-lock.json npm resolved for it, the root tsconfig.json the published src/ extends, and
# build.sh). `kettle run` fetches every package the lockfile pins from registry.npmjs.org into the deps cache; the
# guest checks each against the lockfile of the checked-out commit, lays out node_modules/, and compiles the
# sources offline with the pinned TypeScript. Then: offline verification, the dependency list from the provenance,
# and the same build run natively (npm ci --ignore-scripts with the same lockfile) must give the same artifact.
. "$(dirname "$0")/build/common.sh"
K=${KETTLE_BIN_DIR:-$top/build/bin}/kettle; IMAGE=${KETTLE_IMAGE:-$top/build/image}
DEMO="$top/build/demo-deps"; rm -rf "$DEMO"; mkdir -p "$DEMO"
t0=$(date +%s)
phase() { echo "demo-deps: [$(( $(date +%s) - t0 ))s] $*" >&2; }

# 1. Toolchain: Debian bookworm's nodejs (18.19) and tar, made with mmdebstrap and packed into an image; cached.
suite=bookworm pkgs=nodejs,tar epoch=1704067200
tc_key=$(printf '%s|%s|%s|%s' "$suite" "$pkgs" "$epoch" "$(sha256sum "$top/runner/toolchain_cmd.cpp" | cut -c1-16)" | key_of)
TAR="$KETTLE_CACHE/toolchains/$suite-node-$tc_key.tar.zst"
if [ ! -f "$TAR" ]; then
  phase "making the toolchain rootfs ($suite: $pkgs) with mmdebstrap"
  mkdir -p "$(dirname "$TAR")"
  "$K" toolchain debian --suite "$suite" --packages "$pkgs" --epoch "$epoch" -o "$TAR.tmp.tar.zst" >&2
  mv "$TAR.tmp.tar.zst" "$TAR"
fi
TC="${TAR%.tar.zst}.img"
if [ ! -f "$TC" ]; then
  phase "packing it into a toolchain image"
  "$K" toolchain pack "$TAR" --epoch "$epoch" -o "$TC.tmp.img" >&2
  mv "$TC.tmp.img" "$TC"
fi

# 2. Source: the registry tarball of rxjs 7.8.1 (checked against its published integrity), its src/, and our
#    project files, as a git repository with a deterministic commit.
want=AA3TVj+0A2iuIoQkWEK/tqFjBq2j+6PO6Y0zJcvzLAFhEFIO3HL0vls9hWLncZbAAbK0mar7oZ4V079I/qPMxg==
curl -fsSL --proto =https -o "$DEMO/rxjs-7.8.1.tgz" https://registry.npmjs.org/rxjs/-/rxjs-7.8.1.tgz
got=$(openssl dgst -sha512 -binary "$DEMO/rxjs-7.8.1.tgz" | base64 -w0)
[ "$got" = "$want" ] || { echo "demo-deps: rxjs-7.8.1.tgz does not match its registry integrity" >&2; exit 1; }
SRC="$DEMO/rxjs"; mkdir -p "$SRC"
tar -xzf "$DEMO/rxjs-7.8.1.tgz" -C "$DEMO" package/src package/LICENSE.txt
mv "$DEMO/package/src" "$DEMO/package/LICENSE.txt" "$SRC/"
cp "$top/tools/demo-deps/"{package.json,package-lock.json,tsconfig.json,build.sh} "$SRC/"
git -C "$SRC" init -q -b main
git -C "$SRC" -c core.fileMode=true add -A
GIT_AUTHOR_NAME="Kettle demo" GIT_AUTHOR_EMAIL="demo@kettle.invalid" GIT_AUTHOR_DATE="2025-01-01T00:00:00Z" \
GIT_COMMITTER_NAME="Kettle demo" GIT_COMMITTER_EMAIL="demo@kettle.invalid" GIT_COMMITTER_DATE="2025-01-01T00:00:00Z" \
  git -C "$SRC" -c commit.gpgsign=false commit -q -m "rxjs 7.8.1 sources with a pinned npm toolchain"
commit=$(git -C "$SRC" rev-parse HEAD)
phase "source: rxjs 7.8.1, commit $commit"

# 3. The attested build, dependencies fetched by the host and checked in the guest.
OUT="$DEMO/bundle"
nonce=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
phase "building inside the VM (QEMU TCG, simulated AMD-SP), --deps npm"
"$K" run --profile tcg --vcpus 2 --memory 3G --image "$IMAGE" --source "$SRC" --toolchain "$TC" --deps npm \
  --artifacts out/rxjs-esm.tar --nonce "$nonce" --timeout 3600 --vm-timeout 5400 --out "$OUT" -- /bin/sh ./build.sh
phase "build done"

# 4. Offline verification, then the dependency list the verified provenance carries.
"$K" verify "$OUT" --allow-sim --image "$IMAGE" --vcpus 2 --vcpu-type EPYC-v4 --nonce "$nonce" | tee "$DEMO/verify.txt"
"$K" inspect --json "$OUT" > "$DEMO/dependencies.json"
n=$(python3 - "$DEMO/dependencies.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for x in d["dependencies"]:
    assert x["digest"] and all(len(v) in (40, 64, 128) for v in x["digest"].values()), x
    print("  %s %s" % (x["purl"], " ".join("%s:%s" % kv for kv in x["digest"].items())), file=sys.stderr)
print(len(d["dependencies"]))
PY
)
[ "$n" -ge 50 ] || { echo "demo-deps: only $n dependencies in the provenance" >&2; exit 1; }

# 5. The same build natively, with the same lockfile (npm ci --ignore-scripts), from the same commit.
NAT="$DEMO/native"; git clone -q "$SRC" "$NAT"
phase "native build: npm ci --ignore-scripts, then build.sh"
(cd "$NAT" && npm ci --ignore-scripts --no-audit --no-fund >/dev/null && sh ./build.sh >/dev/null)
art=$(sha256sum "$OUT/artifacts/out/rxjs-esm.tar" | cut -d' ' -f1)
nat=$(sha256sum "$NAT/out/rxjs-esm.tar" | cut -d' ' -f1)
echo
echo "dependencies: $n npm packages verified in the guest against package-lock.json, each listed with its sha512"
echo "artifact:     out/rxjs-esm.tar  sha256:$art (VM)"
echo "native:       out/rxjs-esm.tar  sha256:$nat (npm ci + build.sh on this host, node $(node --version))"
echo "commit:       $commit"
echo "verdict:      $(tail -1 "$DEMO/verify.txt")"
echo "total:        $(( $(date +%s) - t0 )) s"
[ "$art" = "$nat" ] || { echo "demo-deps: the VM and native artifacts differ" >&2; exit 1; }
echo "demo-deps: the VM artifact equals the native one"

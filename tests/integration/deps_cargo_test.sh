#!/usr/bin/env bash
# deps_cargo_test.sh CASE: cargo dependencies through a real VM (docs/dependencies.md). The source is the fixture
# app of tests/data/cargo (Cargo.toml, Cargo.lock, src/main.rs) depending on three hand-made crates; crates.io is
# out of reach, so the host's deps cache is seeded with those crates under the names `kettle run` looks for, and
# the guest checks each against the Cargo.lock it reads from the checkout.
#   cargo  toolchain Debian bookworm `rustc,cargo` (made with `kettle toolchain debian` and packed into an image,
#          cached in $KETTLE_CACHE/toolchains like the demo's node toolchain): the crates are verified, vendored in
#          .cargo/vendor/ with .cargo/config.toml, and `cargo build --offline --locked` builds the app in the VM;
#          the three pkg:cargo purls with their sha256 are in the provenance, and the bundle verifies offline
#   lie    (busybox toolchain) the commit's Cargo.lock pins beta's crate under alpha's name: refused in phase deps,
#          naming kettle-fx-alpha@0.1.0; the build does not run
. "$(dirname "$0")/common.sh"
case=${1:?case}
S="$T/src"; O="$T/out"; C="$T/cache"
fx="$top/tests/data/cargo"
mkdir -p "$C/cargo"
for c in "$fx"/*.crate; do cp "$c" "$C/cargo/sha256-$(sha256sum "$c" | cut -c1-64).crate"; done
mkdir -p "$S"; cp -r "$fx/app/." "$S/"

# cargo_toolchain: the toolchain image of Debian bookworm's rustc and cargo, made once and cached.
cargo_toolchain() {
  local suite=bookworm pkgs=rustc,cargo epoch=1704067200 key tar img
  key=$(printf '%s|%s|%s|%s' "$suite" "$pkgs" "$epoch" "$(sha256sum "$top/runner/toolchain_cmd.cpp" | cut -c1-16)" \
        | sha256sum | cut -c1-16)
  tar="$KETTLE_CACHE/toolchains/$suite-cargo-$key.tar.zst"; img="${tar%.tar.zst}.img"
  mkdir -p "$(dirname "$tar")"
  if [ ! -f "$tar" ]; then
    "$K" toolchain debian --suite "$suite" --packages "$pkgs" --epoch "$epoch" -o "$tar.tmp.$$.tar.zst" >&2
    mv "$tar.tmp.$$.tar.zst.recipe.json" "$tar.recipe.json"; mv "$tar.tmp.$$.tar.zst" "$tar"
  fi
  if [ ! -f "$img" ]; then
    "$K" toolchain pack "$tar" --epoch "$epoch" -o "$img.tmp.$$.img" >&2
    [ ! -f "$img.tmp.$$.img.recipe.json" ] || mv "$img.tmp.$$.img.recipe.json" "$img.recipe.json"
    mv "$img.tmp.$$.img" "$img"
  fi
  echo "$img"
}

case "$case" in
cargo)
  command -v mmdebstrap >/dev/null || [ -n "$(ls "$KETTLE_CACHE"/toolchains/bookworm-cargo-*.img 2>/dev/null)" ] \
    || { echo "SKIP: no mmdebstrap to make the rustc,cargo toolchain"; exit 4; }
  TC=$(cargo_toolchain)
  make_source "$S" <<'SH'
#!/bin/sh
set -e
# The build user has no home: cargo's own state (CARGO_HOME) goes to the build's /tmp.
export HOME=/tmp CARGO_HOME=/tmp/cargo-home
mkdir -p out
cargo --version > out/cargo-version.txt
cargo build --offline --locked -j 1
./target/debug/kettle-fx-app > out/app.txt
cp target/debug/kettle-fx-app out/
stat -c '%u' .cargo/vendor/kettle-fx-beta-0.2.0/src/lib.rs > out/owner.txt
SH
  set +e
  "$K" run --profile tcg --vcpus 1 --memory 1536M --image "$IMAGE" --toolchain "$TC" --out "$O" --source "$S" \
    --deps-cache "$C" --artifacts 'out/*' --nonce 0c0d -- /bin/sh ./build.sh 2> "$T/run.stderr"
  RC=$?
  set -e
  echo "kettle run exit code $RC"; tail -5 "$T/run.stderr"
  [ "$RC" = 0 ] || { tail -40 "$O/console.log" 2>/dev/null; fail "kettle run exited $RC"; }
  echo "in the VM: $(cat "$O/artifacts/out/cargo-version.txt")"
  [ "$(cat "$O/artifacts/out/app.txt")" = 321 ] || fail "the app did not print 1 + 20 + 300"
  [ "$(cat "$O/artifacts/out/owner.txt")" = 1000 ] || fail "the vendor directory is not owned by the build user"
  # The toolchain's own Debian packages count too when its recipe lists them (kettle-toolchain-recipe/v2).
  deb=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(len(r.get("packages", [])) if r.get("schema", "").endswith("/v2") else 0)' "$TC.recipe.json" 2>/dev/null || echo 0)
  [ "$(json "$O/status.json" 'j["dependencies"]["packages"]')" = $((3 + deb)) ] || fail "status: packages (3 + $deb debian)"
  "$K" inspect --json "$O" > "$T/deps.json"
  python3 - "$T/deps.json" "$fx" <<'PY' || fail "provenance dependency list"
import hashlib, json, os, sys
d = json.load(open(sys.argv[1])); fx = sys.argv[2]
lock = open(os.path.join(fx, "app", "Cargo.lock"), "rb").read()
want = {}
for n in sorted(os.listdir(fx)):
    if n.endswith(".crate"):
        name, version = n[:-6].rsplit("-", 1)
        want["pkg:cargo/%s@%s" % (name, version)] = hashlib.sha256(open(os.path.join(fx, n), "rb").read()).hexdigest()
got = {x["purl"]: x["digest"]["sha256"] for x in d["dependencies"] if x["purl"].startswith("pkg:cargo/")}
assert got == want, (got, want)
assert [x["purl"] for x in d["dependencies"] if x["purl"].startswith("pkg:cargo/")] == sorted(want), "not sorted"
assert [l for l in d["lockfiles"] if l["ecosystem"] != "debian"] == [{"ecosystem": "cargo", "path": "Cargo.lock",
                           "digest": {"sha256": hashlib.sha256(lock).hexdigest()}}], d["lockfiles"]
print("provenance lists %d cargo packages and the lockfile" % len(got))
PY
  "$K" verify "$O" --image "$IMAGE" --vcpus 1 --vcpu-type EPYC-v4 --allow-sim --nonce 0c0d > "$T/verify.txt" 2>&1 \
    || { cat "$T/verify.txt"; fail "the bundle does not verify"; }
  ;;
lie)
  python3 - "$S/Cargo.lock" <<'PY'
import re, sys
p = sys.argv[1]; t = open(p).read()
sums = dict(re.findall(r'name = "([^"]+)"\nversion = "[^"]+"\nsource = "[^"]+"\nchecksum = "([0-9a-f]+)"', t))
t = t.replace(sums["kettle-fx-alpha"], "ALPHA").replace(sums["kettle-fx-beta"], sums["kettle-fx-alpha"])
open(p, "w").write(t.replace("ALPHA", sums["kettle-fx-beta"]))
PY
  make_source "$S" <<'SH'
#!/bin/sh
echo "the build must not run"
SH
  kettle_run "$O" --source "$S" --deps-cache "$C" -- /bin/sh ./build.sh
  expect_refused 1 deps "kettle-fx-alpha-0.1.0/ of the locked package"
  ! grep -q "the build must not run" "$O/build.log" || fail "the build ran"
  ;;
*) echo "unknown case $case"; exit 2 ;;
esac
echo PASS

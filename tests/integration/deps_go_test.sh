#!/usr/bin/env bash
# deps_go_test.sh CASE: Go modules through a real VM (docs/dependencies.md "Go"). The source is tests/data/go/app (a
# program importing three hand-made modules; its go.sum was written by the real go command), the modules are served
# by a GOPROXY=file:// directory that tests/data/go/go_proxy.py builds, and `kettle run --deps go` fetches them
# with curl, checks each against go.sum, and the guest checks them again against the go.sum it reads from the
# checkout before laying out the module cache.
#   go     built in the VM offline with Debian bookworm's golang-go (a toolchain image made with `kettle toolchain
#          debian` and cached by its inputs), verified, every module a pkg:golang purl with its dirHash
#   lie    the commit's go.sum pins greet's zip with the h1 of num's: the host fetch refuses it, naming greet, before
#          any VM starts (the guest's own refusal of the same lie is in tests/unit/pkgdeps/golang_layout.cpp: no
#          host path bypasses the host check to bring a lying set to the guest)
#   proxy  the proxy serves a tampered zip: `kettle run` refuses it on the host before any VM starts
. "$(dirname "$0")/common.sh"
case=${1:?case}
S="$T/src"; O="$T/out"; C="$T/cache"; P="$T/proxy"
fx="$top/tests/data/go"
python3 "$fx/go_proxy.py" "$fx/modules" "$P"
export GOPROXY="file://$P"
mkdir -p "$S"; cp "$fx/app/go.mod" "$fx/app/go.sum" "$fx/app/main.go" "$S/"

# go_toolchain: Debian bookworm's golang-go as a toolchain image, cached by its inputs like tools/demo-deps.sh's.
go_toolchain() {
  local suite=bookworm pkgs=golang-go epoch=1704067200 key tar img
  key=$(printf '%s|%s|%s|%s' "$suite" "$pkgs" "$epoch" "$(sha256sum "$top/runner/toolchain_cmd.cpp" | cut -c1-16)" \
        | sha256sum | cut -c1-16)
  tar="$KETTLE_CACHE/toolchains/$suite-go-$key.tar.zst"; img="${tar%.tar.zst}.img"
  mkdir -p "$(dirname "$tar")"
  if [ ! -f "$tar" ]; then
    "$K" toolchain debian --suite "$suite" --packages "$pkgs" --epoch "$epoch" -o "$tar.tmp.$$.tar.zst" >&2 \
      || { echo "SKIP: cannot make the golang-go toolchain (no Debian archive?)"; exit 4; }
    mv "$tar.tmp.$$.tar.zst" "$tar"
    [ ! -f "$tar.tmp.$$.tar.zst.recipe.json" ] || mv "$tar.tmp.$$.tar.zst.recipe.json" "$tar.recipe.json"
  fi
  if [ ! -f "$img" ]; then
    "$K" toolchain pack "$tar" --epoch "$epoch" -o "$img.tmp.$$.img" >&2
    mv "$img.tmp.$$.img" "$img"
    [ ! -f "$img.tmp.$$.img.recipe.json" ] || mv "$img.tmp.$$.img.recipe.json" "$img.recipe.json"
  fi
  echo "$img"
}

case "$case" in
go)
  make_source "$S" <<'SH'
#!/bin/sh
set -e
mkdir -p out
go env GOMODCACHE GOPROXY GOSUMDB GOFLAGS > out/env.txt
go build -trimpath -o out/app .
./out/app > out/hello.txt
stat -c '%u' .kettle-gomodcache/cache/download/example.com/greet/@v/v1.0.0.zip > out/owner.txt
SH
  TC=$(go_toolchain)
  set +e
  "$K" run --profile tcg --vcpus 2 --memory 2G --image "$IMAGE" --toolchain "$TC" --source "$S" --deps go --deps-cache "$C" \
      --env CGO_ENABLED=0 --artifacts 'out/*' --nonce 0a0b --timeout 2400 --vm-timeout 3000 --out "$O" \
      -- /bin/sh ./build.sh 2> "$T/run.stderr"
  RC=$?
  set -e
  tail -5 "$T/run.stderr"
  [ "$RC" = 0 ] || { tail -40 "$O/console.log" 2>/dev/null; fail "kettle run exited $RC"; }
  [ "$(cat "$O/artifacts/out/hello.txt")" = "hello, KETTLE!: 42" ] || fail "the program did not print its greeting"
  [ "$(cat "$O/artifacts/out/owner.txt")" = 1000 ] || fail "the module cache is not owned by the build user"
  grep -qx "off" "$O/artifacts/out/env.txt" || fail "GOPROXY is not off in the build"
  # The toolchain's own Debian packages count too when its recipe lists them (kettle-toolchain-recipe/v2).
  deb=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(len(r.get("packages", [])) if r.get("schema", "").endswith("/v2") else 0)' "$TC.recipe.json" 2>/dev/null || echo 0)
  [ "$(json "$O/status.json" 'j["dependencies"]["packages"]')" = $((6 + deb)) ] || fail "status: packages (6 + $deb debian)"
  check_parser_probes deps
  "$K" inspect --json "$O" > "$T/deps.json"
  python3 - "$T/deps.json" "$S/go.sum" <<'PY' || fail "provenance dependency list"
import base64, hashlib, json, sys
d = json.load(open(sys.argv[1])); s = open(sys.argv[2], "rb").read()
want = {}
for line in s.decode().splitlines():
    m, v, h = line.split()
    sub = ""
    if v.endswith("/go.mod"):
        v, sub = v[:-7], "#go.mod"
    want["pkg:golang/%s@%s%s" % (m, v, sub)] = base64.b64decode(h[3:]).hex()
got = {x["purl"]: x["digest"]["dirHash"] for x in d["dependencies"] if x["purl"].startswith("pkg:golang/")}
assert got == want, (got, want)
assert [x["purl"] for x in d["dependencies"] if x["purl"].startswith("pkg:golang/")] == sorted(want), "not sorted"
assert [l for l in d["lockfiles"] if l["ecosystem"] != "debian"] == [{"ecosystem": "go", "path": "go.sum",
                           "digest": {"sha256": hashlib.sha256(s).hexdigest()}}], d["lockfiles"]
print("provenance lists %d Go module files and go.sum" % len(got))
PY
  cat > "$T/policy.json" <<'JSON'
{"packages": {"require": [{"purl": "pkg:golang/example.com/greet", "version": ">=v1.0.0"}],
              "forbid": [{"purl": "pkg:golang/example.com/num", "version": "<v1.1.0"}]}}
JSON
  "$K" verify "$O" --image "$IMAGE" --vcpus 2 --vcpu-type EPYC-v4 --allow-sim --nonce 0a0b --policy "$T/policy.json" \
    > "$T/verify.txt" 2>&1 || { cat "$T/verify.txt"; fail "the bundle does not verify"; }
  grep -q "package rules" "$T/verify.txt" || { cat "$T/verify.txt"; fail "verify did not apply the package rules"; }
  ;;
lie)
  num=$(awk '$1=="example.com/num" && $2=="v1.1.0" {print $3}' "$S/go.sum")
  sed -i "s|^example.com/greet v1.0.0 h1:.*|example.com/greet v1.0.0 $num|" "$S/go.sum"
  make_source "$S" <<'SH'
#!/bin/sh
echo "the build must not run"
SH
  set +e
  "$K" run --profile tcg --vcpus 1 --memory 512M --image "$IMAGE" --toolchain "$(busybox_toolchain)" --source "$S" --deps go \
      --deps-cache "$C" --out "$O" -- /bin/sh ./build.sh 2> "$T/run.stderr"
  RC=$?
  set -e
  cat "$T/run.stderr"
  [ "$RC" != 0 ] || fail "a lying go.sum was accepted"
  grep -q "example.com/greet@v1.0.0 (zip) from file://.* does not match go.sum" "$T/run.stderr" \
    || fail "the refusal does not name greet"
  [ ! -e "$O/console.log" ] || fail "a VM started"
  ;;
proxy)
  make_source "$S" <<'SH'
#!/bin/sh
echo "the build must not run"
SH
  python3 - "$P/example.com/num/@v/v1.1.0.zip" <<'PY'
import sys, zipfile
p = sys.argv[1]
with zipfile.ZipFile(p, "a") as z:
    z.writestr("example.com/num@v1.1.0/evil.go", "package num\nfunc init() { panic(1) }\n")
PY
  set +e
  "$K" run --profile tcg --vcpus 1 --memory 512M --image "$IMAGE" --toolchain "$(busybox_toolchain)" --source "$S" --deps go \
      --deps-cache "$C" --out "$O" -- /bin/sh ./build.sh 2> "$T/run.stderr"
  RC=$?
  set -e
  cat "$T/run.stderr"
  [ "$RC" != 0 ] || fail "a tampered module zip was accepted"
  grep -q "example.com/num@v1.1.0 (zip) from file://.* does not match go.sum" "$T/run.stderr" || fail "no clear refusal"
  [ ! -e "$O/console.log" ] || fail "a VM started"
  ;;
*) echo "unknown case $case"; exit 2 ;;
esac
echo PASS

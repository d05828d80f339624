#!/usr/bin/env bash
# deps_test.sh CASE: npm dependencies through a real VM (docs/dependencies.md). The source holds the real
# package-lock.json of tests/data/npm; the host cache is seeded with its four registry tarballs (so no network is
# needed), and the guest checks each against the lockfile it reads from the checkout.
#   npm  the packages are verified, laid out as node_modules/ (with .bin links) owned by the build user, listed in
#        the provenance as pkg:npm purls with their sha512, and the bundle verifies offline
#   lie  the commit's lockfile pins mkdirp's tarball under is-number: refused in phase deps, naming is-number
. "$(dirname "$0")/common.sh"
case=${1:?case}
S="$T/src"; O="$T/out"; C="$T/cache"
fx="$top/tests/data/npm"
mkdir -p "$C/npm"
for t in "$fx"/*.tgz; do
  h=$(python3 -c 'import hashlib,sys; print(hashlib.sha512(open(sys.argv[1],"rb").read()).hexdigest())' "$t")
  cp "$t" "$C/npm/sha512-$h.tgz"
done
mkdir -p "$S"; cp "$fx/package.json" "$fx/package-lock.json" "$S/"
case "$case" in
npm)
  make_source "$S" <<'SH'
#!/bin/sh
set -e
mkdir -p out
cd node_modules
find . | sort > ../out/tree.txt
ls -l .bin/mkdirp | sed 's/.*-> //' > ../out/bin.txt
stat -c '%u' to-regex-range/index.js > ../out/owner.txt
SH
  kettle_run "$O" --source "$S" --deps-cache "$C" --artifacts 'out/*.txt' --nonce 0a0b -- /bin/sh ./build.sh
  [ "$RC" = 0 ] || { tail -40 "$O/console.log" 2>/dev/null; fail "kettle run exited $RC"; }
  grep -q "^./is-number/package.json$" "$O/artifacts/out/tree.txt" || fail "is-number not laid out"
  grep -q "^./@isaacs/string-locale-compare/index.js$" "$O/artifacts/out/tree.txt" || fail "scoped package not laid out"
  [ "$(cat "$O/artifacts/out/bin.txt")" = "../mkdirp/bin/cmd.js" ] || fail "no .bin/mkdirp link"
  [ "$(cat "$O/artifacts/out/owner.txt")" = 1000 ] || fail "node_modules is not owned by the build user"
  [ "$(json "$O/status.json" 'j["dependencies"]["packages"]')" = 4 ] || fail "status: packages"
  check_parser_probes deps
  "$K" inspect --json "$O" > "$T/deps.json"
  python3 - "$T/deps.json" "$fx/package-lock.json" <<'PY' || fail "provenance dependency list"
import base64, hashlib, json, sys
d = json.load(open(sys.argv[1])); lock = open(sys.argv[2], "rb").read()
want = {}
for k, v in json.loads(lock)["packages"].items():
    if not k: continue
    name = k.split("node_modules/")[-1]
    purl = "pkg:npm/" + name.replace("@", "%40", 1) + "@" + v["version"]
    want[purl] = base64.b64decode(v["integrity"].split("-", 1)[1]).hex()
got = {x["purl"]: x["digest"]["sha512"] for x in d["dependencies"]}
assert got == want, (got, want)
assert [x["purl"] for x in d["dependencies"]] == sorted(want), "not sorted"
assert d["lockfiles"] == [{"ecosystem": "npm", "path": "package-lock.json",
                           "digest": {"sha256": hashlib.sha256(lock).hexdigest()}}], d["lockfiles"]
print("provenance lists %d npm packages and the lockfile" % len(got))
PY
  "$K" verify "$O" --image "$IMAGE" --vcpus 1 --vcpu-type EPYC-v4 --allow-sim --nonce 0a0b > "$T/verify.txt" 2>&1 \
    || { cat "$T/verify.txt"; fail "the bundle does not verify"; }
  ;;
lie)
  python3 - "$S/package-lock.json" <<'PY'
import json, sys
p = sys.argv[1]; j = json.load(open(p))
j["packages"]["node_modules/is-number"]["integrity"] = j["packages"]["node_modules/mkdirp"]["integrity"]
json.dump(j, open(p, "w"), indent=2)
PY
  make_source "$S" <<'SH'
#!/bin/sh
echo "the build must not run"
SH
  kettle_run "$O" --source "$S" --deps-cache "$C" -- /bin/sh ./build.sh
  expect_refused 1 deps "not the locked is-number@7.0.0"
  ! grep -q "the build must not run" "$O/build.log" || fail "the build ran"
  ;;
*) echo "unknown case $case"; exit 2 ;;
esac
echo PASS

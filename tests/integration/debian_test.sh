#!/usr/bin/env bash
# debian_test.sh CASE: the toolchain's Debian packages as verified, listed inputs (docs/dependencies.md §5). A real
# `kettle toolchain debian --variant essential` image of bookworm (made once per build tree, under flock, into
# build/testdata/; skipped when Debian's archive is unreachable) with its v2 recipe.
#   debian  the guest checks the recipe's package list against the image's dpkg database; the provenance lists
#           every installed package as pkg:deb/debian/<name>@<version>?arch=<arch> with the .deb's sha256 the
#           recipe took from the verified Packages index; the versions equal what dpkg-query prints inside the VM
#   lie     the recipe claims another version of one package: refused in phase deps, naming the package
. "$(dirname "$0")/common.sh"
case=${1:?case}
O="$T/out"; S="$T/src"
command -v mmdebstrap >/dev/null || { echo "SKIP: mmdebstrap not installed"; exit 4; }
/usr/lib/apt/apt-helper -qq download-file http://deb.debian.org/debian/dists/bookworm/Release "$T/Release" >/dev/null 2>&1 \
  || { echo "SKIP: Debian's archive is not reachable"; exit 4; }
TC="$top/build/testdata/debian-essential.img"
mkdir -p "$top/build/testdata"
(
  flock 9
  if [ ! -f "$TC" ] || [ ! -f "$TC.recipe.json" ] || ! grep -q kettle-toolchain-recipe/v2 "$TC.recipe.json"; then
    start=$(date +%s)
    "$K" toolchain debian --suite bookworm --variant essential --epoch 1704067200 -o "$TC"
    echo "made $TC in $(( $(date +%s) - start )) s"
  fi
) 9> "$top/build/testdata/debian-essential.lock"
make_source "$S" <<'SH'
#!/bin/sh
set -e
mkdir -p out
dpkg-query -W -f '${Package} ${Version} ${Architecture}\n' | sort > out/dpkg.txt
SH
run() {
  set +e
  "$K" run --profile tcg --vcpus 1 --memory 512M --image "$IMAGE" --toolchain "$1" --out "$O" --nonce 0a0b \
      --source "$S" --artifacts 'out/*.txt' -- /bin/sh ./build.sh 2> "$T/run.stderr"
  RC=$?
  set -e
  echo "kettle run exit code $RC"; tail -5 "$T/run.stderr"
}
case "$case" in
debian)
  run "$TC"
  [ "$RC" = 0 ] || { tail -40 "$O/console.log" 2>/dev/null; fail "kettle run exited $RC"; }
  check_parser_probes deps
  "$K" inspect --json "$O" > "$T/deps.json"
  python3 - "$T/deps.json" "$TC.recipe.json" "$O/artifacts/out/dpkg.txt" <<'PY' || fail "provenance pkg:deb list"
import hashlib, json, sys, urllib.parse
d = json.load(open(sys.argv[1])); recipe_bytes = open(sys.argv[2], "rb").read(); r = json.loads(recipe_bytes)
inside = sorted(l.split() for l in open(sys.argv[3]).read().splitlines())
q = lambda s: urllib.parse.quote(s, safe="._-~")
want = {"pkg:deb/debian/%s@%s?arch=%s" % (q(p["name"]), q(p["version"]), q(p["architecture"])): p["sha256"]
        for p in r["packages"]}
got = {x["purl"]: x["digest"]["sha256"] for x in d["dependencies"]}
assert got == want, (sorted(set(got) ^ set(want)))
assert [x["purl"] for x in d["dependencies"]] == sorted(want), "not sorted"
# what dpkg-query printed inside the VM is the same list (dpkg-query -W lists installed packages)
assert sorted([p["name"], p["version"], p["architecture"]] for p in r["packages"]) == inside, "dpkg-query differs"
assert d["lockfiles"] == [{"ecosystem": "debian", "path": "files/toolchain.recipe.json",
                           "digest": {"sha256": hashlib.sha256(recipe_bytes).hexdigest()}}], d["lockfiles"]
print("provenance lists %d pkg:deb packages, equal to dpkg-query in the VM" % len(got))
PY
  "$K" verify "$O" --image "$IMAGE" --vcpus 1 --vcpu-type EPYC-v4 --allow-sim --nonce 0a0b > "$T/verify.txt" 2>&1 \
    || { cat "$T/verify.txt"; fail "the bundle does not verify"; }
  echo '{"packages":{"require":[{"purl":"pkg:deb/debian/dpkg","version":">=1.21"}],"forbid":[{"purl":"pkg:deb/debian/libc6","version":"<2.36"}]}}' > "$T/policy.json"
  "$K" verify "$O" --image "$IMAGE" --vcpus 1 --vcpu-type EPYC-v4 --allow-sim --nonce 0a0b --policy "$T/policy.json" \
    > "$T/verify.txt" 2>&1 || { cat "$T/verify.txt"; fail "the policy on pkg:deb does not pass"; }
  ;;
lie)
  # A copy of the image with a recipe that lies about one version (the recipe still names this image's SHA-256,
  # so the host carries it; the guest compares it with the image's own dpkg database).
  cp "$TC" "$T/tc.img"
  python3 - "$TC.recipe.json" "$T/tc.img.recipe.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
p = next(p for p in r["packages"] if p["name"] == "dpkg")
p["version"] = p["version"] + "+lie"
json.dump(r, open(sys.argv[2], "w"), indent=2)
PY
  run "$T/tc.img"
  expect_refused 1 deps "package dpkg (amd64): the recipe says version"
  ;;
*) echo "unknown case $case"; exit 2 ;;
esac
echo PASS

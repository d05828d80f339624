#!/usr/bin/env bash
# seeds.sh BUILD_DIR DEST [--committed-only]: fill DEST/<target>/ (made fresh) with the seed inputs of every fuzz
# target: the fixtures tests/fuzz/seeds.txt names, the hand-made seeds in tests/fuzz/seeds/<target>/, the crash
# inputs kept as regressions in tests/data/fuzz/<target>/, and (unless --committed-only) the valid inputs that
# BUILD_DIR/fuzz/make-seeds writes with Kettle's own writers.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
B=$1 D=$2 mode=${3:-}
rm -rf "$D"; mkdir -p "$D"
while read -r target globs; do
  case "$target" in ''|'#'*) continue ;; esac
  mkdir -p "$D/$target"
  for g in $globs; do
    found=0
    for f in "$top"/tests/data/$g; do
      [ -f "$f" ] || continue
      found=1
      rel=${f#"$top/tests/data/"}; cp "$f" "$D/$target/${rel//\//_}"
    done
    [ $found = 1 ] || { echo "seeds: tests/fuzz/seeds.txt: $target: no file matches tests/data/$g" >&2; exit 1; }
  done
  for extra in "$top/tests/fuzz/seeds/$target" "$top/tests/data/fuzz/$target"; do
    [ -d "$extra" ] && cp "$extra"/* "$D/$target/" 2>/dev/null || true
  done
done < "$top/tests/fuzz/seeds.txt"
if [ "$mode" != --committed-only ]; then
  "$B/fuzz/make-seeds" "$D"
fi

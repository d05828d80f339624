#!/usr/bin/env bash
# replay.sh TARGET_BIN SOURCE_DIR NAME: the ctest fuzz-replay-NAME of the host build. Runs the fuzz target once
# over each committed input of NAME (tests/fuzz/seeds.sh --committed-only: fixtures, hand-made seeds, crash
# regressions in tests/data/fuzz/NAME/); no fuzzing. Fails on any crash, sanitizer report or broken invariant.
set -euo pipefail
bin=$1 src=$2 name=$3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$src/tests/fuzz/seeds.sh" "" "$tmp/seeds" --committed-only
files=()
for f in "$tmp/seeds/$name"/*; do [ -f "$f" ] && files+=("$f"); done
if [ ${#files[@]} -eq 0 ]; then
  echo "replay: $name has no committed inputs; one run over an empty input"
  : > "$tmp/empty"; files=("$tmp/empty")
fi
"$bin" -runs=1 "${files[@]}"
echo "replay: $name ran ${#files[@]} input(s)"

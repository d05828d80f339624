#!/usr/bin/env bash
# Build build/bin/kettle and build/bin/init twice, in two directories of different path lengths,
# from scratch, and compare their SHA-256. Exit 1 naming the executable that differs.
. "$(dirname "$0")/common.sh"
a="$top/build/repro-a"; b=$(mktemp -d /tmp/kettle-repro-tools-longer-path-XXXXXX)
trap 'rm -rf "$b"' EXIT
rm -rf "$a"
NINJA_FLAGS=${NINJA_FLAGS:-} "$top/tools/build/tools.sh" "$a/cmake" "$a/bin"
( umask 077; "$top/tools/build/tools.sh" "$b/cmake" "$b/bin" )
rc=0
for exe in kettle init; do
  ha=$(sha256sum "$a/bin/$exe" | cut -d' ' -f1); hb=$(sha256sum "$b/bin/$exe" | cut -d' ' -f1)
  if [ "$ha" = "$hb" ]; then echo "reproduce-tools: $exe identical: $ha"
  else echo "reproduce-tools: $exe DIFFERS: $ha ($a) vs $hb ($b)" >&2; rc=1; fi
done
rm -rf "$a"
exit $rc

#!/usr/bin/env bash
# make lint: clang-tidy (Debian's clang-tidy-14) with the checks of .clang-tidy over every source of lib/, init/,
# runner/ and tools/, and over their own headers. It reads the compile_commands.json of the host build
# (build/host, configured by tools/build/host.sh --configure-only: clang-tidy understands the host clang's flags, not
# the musl GCC's). Every finding is an error (WarningsAsErrors). LINT_JOBS (default 1) runs files in parallel.
# Exit 0 when clean, 1 with the findings otherwise.
. "$(dirname "$0")/build/common.sh"
B=$top/build/host
"$top/tools/build/host.sh" --configure-only
cd "$top"
mapfile -t files < <(find lib init runner tools -name '*.cpp' | sort)
start=$(date +%s)
out=$(mktemp); trap 'rm -f "$out"' EXIT
rc=0
printf '%s\n' "${files[@]}" | xargs -P "${LINT_JOBS:-1}" -n 1 clang-tidy-14 -p "$B" --quiet \
  --header-filter="^$top/(lib|init|runner|tools)/" >"$out" 2>&1 || rc=1
grep -v -E '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter|^$' "$out" || true
echo "lint: clang-tidy over ${#files[@]} files in $(( $(date +%s) - start )) s: $([ $rc = 0 ] && echo clean || echo FINDINGS)"
exit $rc

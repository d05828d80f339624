#!/usr/bin/env bash
# reproduce_uki_test.sh REPO: the CI variant of `make reproduce`. Re-assembles the initrd and UKI from the cached
# kernel, firmware and build/bin/init in a fresh directory with another umask, and checks that kettle.efi,
# ovmf-amdsev.fd and ovmf.fd have the SHA-256 recorded in build/image/manifest.json, naming what differs.
# Exit 0 pass, 1 fail, 4 skip (no build/image).
set -uo pipefail
top=${1:?repo}
ref="$top/build/image/manifest.json"
[ -f "$ref" ] || { echo "SKIP: $ref missing (run make image)"; exit 4; }
d=$(mktemp -d /tmp/kettle-repro-XXXXXX); trap 'rm -rf "$d"' EXIT
( umask 077; "$top/image/build.sh" "$d/image" ) || { echo "FAIL: second assembly failed"; exit 1; }
/usr/bin/python3 - "$ref" "$d/image/manifest.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
bad = [n for n in a["files"] if a["files"][n] != b["files"].get(n)]
comp = [c for c in a["components"] if a["components"][c] != b["components"].get(c)]
if bad:
    print(f"FAIL: differ: {', '.join(bad)}; components differing: {', '.join(comp) or 'none'}")
    sys.exit(1)
print("PASS: " + ", ".join(f"{n} {a['files'][n]['sha256'][:16]}" for n in sorted(a["files"])) + " reproduced")
PY

#!/usr/bin/env bash
# initrd_test.sh IMAGE_DIR: check build/image/parts/initrd.cpio.zst with independent tools (zstd, GNU cpio,
# objcopy): exact entry list in sorted order, owners 0:0, mtime 0, fixed modes; /init equal to the init recorded
# in manifest.json; etc/kettle/image.json consistent with the manifest; and the UKI's .initrd and .cmdline
# sections byte-equal to the initrd and image/cmdline.txt. Exit 0 pass, 1 fail, 4 skip.
set -uo pipefail
dir=${1:?image dir}; top=$(cd "$(dirname "$0")/../.." && pwd)
rd="$dir/parts/initrd.cpio.zst"
[ -f "$rd" ] && [ -f "$dir/kettle.efi" ] || { echo "SKIP: no image in $dir (run make image)"; exit 4; }
t=$(mktemp -d /tmp/kettle-initrd-XXXXXX); trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
zstd -q -dc "$rd" > "$t/initrd.cpio" || fail "not a zstd stream"
list=$(cpio -itv --numeric-uid-gid --quiet < "$t/initrd.cpio" | awk '{print $1, $3, $4, $NF}')
want="drwxr-xr-x 0 0 dev
crw------- 0 0 dev/console
drwxr-xr-x 0 0 etc
drwxr-xr-x 0 0 etc/kettle
-r--r--r-- 0 0 etc/kettle/image.json
-rwxr-xr-x 0 0 init"
[ "$list" = "$want" ] || fail "entries differ: got
$list"
# mtime 0 for every entry (GNU cpio prints the date of mtime 0 as 'Jan  1  1970')
n=$(TZ=UTC cpio -itv --quiet < "$t/initrd.cpio" | grep -vc 'Jan  1  1970')
[ "$n" -eq 0 ] || fail "$n entries with a non-zero mtime"
mkdir "$t/x"; (cd "$t/x" && cpio -id --quiet --no-absolute-filenames 'init' 'etc/kettle/image.json' < "$t/initrd.cpio") || fail "cpio extract"
/usr/bin/python3 - "$dir/manifest.json" "$t/x" "$top/image/cmdline.txt" <<'PY' || exit 1
import hashlib, json, sys
m, x, cmdline_txt = json.load(open(sys.argv[1])), sys.argv[2], open(sys.argv[3]).read()
h = lambda p: hashlib.sha256(open(p, "rb").read()).hexdigest()
ident = json.load(open(f"{x}/etc/kettle/image.json"))
errs = []
if h(f"{x}/init") != m["components"]["init"]["sha256"]: errs.append("/init is not the manifest's init")
if ident["init_sha256"] != m["components"]["init"]["sha256"]: errs.append("image.json init_sha256")
if ident["kernel_sha256"] != m["components"]["vmlinuz"]["sha256"]: errs.append("image.json kernel_sha256")
if ident["cmdline"] != cmdline_txt.rstrip("\n") or m["cmdline"] != ident["cmdline"]: errs.append("cmdline")
if errs: print("FAIL: " + "; ".join(errs)); sys.exit(1)
PY
objcopy -O binary --only-section=.initrd "$dir/kettle.efi" "$t/sec.initrd" && cmp -s "$t/sec.initrd" "$rd" \
  || fail "UKI .initrd section is not parts/initrd.cpio.zst"
objcopy -O binary --only-section=.cmdline "$dir/kettle.efi" "$t/sec.cmdline"
printf '%s' "$(head -1 "$top/image/cmdline.txt")" | cmp -s - "$t/sec.cmdline" || fail "UKI .cmdline is not image/cmdline.txt"
echo "PASS: initrd entries, owners, modes, mtimes, identity and UKI sections check out"

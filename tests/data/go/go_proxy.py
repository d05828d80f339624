#!/usr/bin/env python3
"""go_proxy.py MODULES OUT: write a GOPROXY file tree (https://go.dev/ref/mod#goproxy-protocol) for the hand-made
modules of tests/data/go/modules, usable as GOPROXY=file://OUT by the go command and by `kettle run --deps go`.

MODULES holds one directory per module version, "<escaped path>@<version>/" (the module cache's own naming, e.g.
example.com/!upper/caps@v0.2.0); the module path is read from its go.mod. Each zip holds every file under
"<module path>@<version>/" (golang.org/x/mod/zip layout) with a fixed time stamp, so the tree is the same each run.
"""
import os
import sys
import zipfile


def escape(s):
    return "".join("!" + c.lower() if "A" <= c <= "Z" else c for c in s)


def module_path(gomod):
    for line in gomod.splitlines():
        if line.startswith("module "):
            return line.split()[1]
    raise SystemExit("go.mod without a module line")


def main():
    src, out = sys.argv[1], sys.argv[2]
    versions = {}
    for root, dirs, files in sorted(os.walk(src)):
        dirs.sort()
        base = os.path.basename(root)
        if "@" not in base or "go.mod" not in files:
            continue
        version = base.split("@", 1)[1]
        with open(os.path.join(root, "go.mod"), "rb") as f:
            gomod = f.read()
        mod = module_path(gomod.decode())
        at = os.path.join(out, escape(mod), "@v")
        os.makedirs(at, exist_ok=True)
        ev = escape(version)
        with open(os.path.join(at, ev + ".mod"), "wb") as f:
            f.write(gomod)
        with open(os.path.join(at, ev + ".info"), "w") as f:
            f.write('{"Version":"%s","Time":"2024-01-01T00:00:00Z"}\n' % version)
        with zipfile.ZipFile(os.path.join(at, ev + ".zip"), "w", zipfile.ZIP_DEFLATED) as z:
            for r, ds, fs in sorted(os.walk(root)):
                ds.sort()
                for name in sorted(fs):
                    rel = os.path.relpath(os.path.join(r, name), root)
                    info = zipfile.ZipInfo("%s@%s/%s" % (mod, version, rel), (2024, 1, 1, 0, 0, 0))
                    info.compress_type = zipfile.ZIP_DEFLATED
                    with open(os.path.join(r, name), "rb") as f:
                        z.writestr(info, f.read())
        versions.setdefault(at, []).append(version)
    for at, vs in versions.items():
        with open(os.path.join(at, "list"), "w") as f:
            f.write("".join(v + "\n" for v in sorted(vs)))


if __name__ == "__main__":
    main()

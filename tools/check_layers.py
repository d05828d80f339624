#!/usr/bin/python3
"""Check the one-way include rule of lib/ (lib/layers.txt, docs/architecture.md).

    tools/check_layers.py REPO          exit 0 when every include keeps the rule, 1 naming each one that does not
    tools/check_layers.py --self-test REPO
                                        copy the tree, check it passes, add wrong includes, check each is caught

Rules:
  * lib/<concern>/ and lib/include/kettle/<concern>/ hold one concern each; every such folder is listed in
    lib/layers.txt.
  * A file of concern C includes "kettle/D/..." only for D = C or D listed after "C:".
  * Any other quoted include of a lib/ file names a header in its own folder (a concern's private header);
    lib/ never includes init/, runner/ or tools/.
  * init/, runner/ and tools/ include lib/ headers ("kettle/...") and their own headers only; the one exception is
    tools/commands.hpp, the subcommand interface of the `kettle` executable that runner/*_cmd.cpp also implement.
  * Generated headers (lib/*.hpp.in, image/*.hpp.in, as "kettle/<name>.hpp") may be included anywhere.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
EXECUTABLES = ("init", "runner", "tools")
CLI_INTERFACE = "commands.hpp"  # tools/commands.hpp, also included by runner/*_cmd.cpp
SOURCE_EXT = (".cpp", ".hpp", ".h", ".cc")


def read_layers(repo):
    allowed = {}
    with open(os.path.join(repo, "lib", "layers.txt")) as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            if ":" not in line:
                raise SystemExit(f"lib/layers.txt:{n}: expected 'concern: lower concerns...'")
            name, deps = line.split(":", 1)
            allowed[name.strip()] = set(deps.split())
    for c, deps in allowed.items():
        for d in deps:
            if d not in allowed:
                raise SystemExit(f"lib/layers.txt: {c} names unknown concern {d}")
    return allowed


def generated_headers(repo):
    out = set()
    for d in ("lib", "image"):
        for n in os.listdir(os.path.join(repo, d)):
            if n.endswith(".hpp.in"):
                out.add("kettle/" + n[: -len(".in")])
    return out


def sources(root):
    for dirpath, _, files in os.walk(root):
        for n in sorted(files):
            if n.endswith(SOURCE_EXT):
                yield os.path.join(dirpath, n)


def includes(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            m = INCLUDE.match(line)
            if m:
                yield n, m.group(1)


def check_lib(repo, allowed, generated, errors):
    lib = os.path.join(repo, "lib")
    roots = []
    for n in sorted(os.listdir(lib)):
        p = os.path.join(lib, n)
        if os.path.isdir(p) and n != "include":
            roots.append((n, p))
    inc = os.path.join(lib, "include", "kettle")
    for n in sorted(os.listdir(inc)):
        p = os.path.join(inc, n)
        if os.path.isdir(p):
            roots.append((n, p))
        elif n.endswith(SOURCE_EXT):
            errors.append(f"lib/include/kettle/{n}: a header outside any concern folder")
    for concern, root in roots:
        rel_root = os.path.relpath(root, repo)
        if concern not in allowed:
            errors.append(f"{rel_root}: concern '{concern}' is not listed in lib/layers.txt")
            continue
        ok = allowed[concern] | {concern}
        for path in sources(root):
            rel = os.path.relpath(path, repo)
            for line, target in includes(path):
                if target in generated:
                    continue
                if target.startswith("kettle/"):
                    parts = target.split("/")
                    dep = parts[1] if len(parts) > 2 else None
                    if dep not in ok:
                        errors.append(f"{rel}:{line}: {concern} may not include \"{target}\" "
                                      f"(allowed: {', '.join(sorted(ok))})")
                elif not os.path.isfile(os.path.join(os.path.dirname(path), target)):
                    errors.append(f"{rel}:{line}: \"{target}\" is not a lib/ header of this folder "
                                  "(lib/ never includes init/, runner/ or tools/)")


def check_executables(repo, generated, errors):
    for exe in EXECUTABLES:
        root = os.path.join(repo, exe)
        for n in sorted(os.listdir(root)):
            path = os.path.join(root, n)
            if not (os.path.isfile(path) and n.endswith(SOURCE_EXT)):
                continue
            rel = os.path.relpath(path, repo)
            for line, target in includes(path):
                if target.startswith("kettle/") or target in generated:
                    continue
                here = [root]
                if exe == "runner" and target == CLI_INTERFACE:
                    here.append(os.path.join(repo, "tools"))
                if not any(os.path.isfile(os.path.join(d, target)) for d in here):
                    errors.append(f"{rel}:{line}: \"{target}\" is neither a lib/ header nor one of {exe}/")


def check(repo):
    allowed = read_layers(repo)
    generated = generated_headers(repo)
    errors = []
    check_lib(repo, allowed, generated, errors)
    check_executables(repo, generated, errors)
    return errors


def self_test(repo):
    """The checker passes on a copy of the tree and catches each planted wrong include."""
    cases = [
        ("lib/core/bytes.cpp", '#include "kettle/verify/bundle.hpp"\n', "core may not include"),
        ("lib/snp/report.cpp", '#include "kettle/tdx/quote.hpp"\n', "snp may not include"),
        ("lib/disk/ingest.cpp", '#include "qemu.hpp"\n', "is not a lib/ header of this folder"),
        ("init/main.cpp", '#include "run_options.hpp"\n', "is neither a lib/ header nor one of init/"),
    ]
    with tempfile.TemporaryDirectory() as td:
        copy = os.path.join(td, "repo")
        for d in ("lib", "init", "runner", "tools", "image"):
            shutil.copytree(os.path.join(repo, d), os.path.join(copy, d),
                            ignore=shutil.ignore_patterns("build", "*.efi", "*.fd"))
        errs = check(copy)
        if errs:
            print("self-test: the unmodified tree fails:\n  " + "\n  ".join(errs))
            return 1
        for rel, line, want in cases:
            p = os.path.join(copy, rel)
            with open(p) as f:
                orig = f.read()
            with open(p, "w") as f:
                f.write(line + orig)
            errs = check(copy)
            with open(p, "w") as f:
                f.write(orig)
            if not any(rel in e and want in e for e in errs):
                print(f"self-test: planting {line.strip()} in {rel} was not reported ({errs})")
                return 1
            print(f"self-test: caught {line.strip()} in {rel}: {errs[0]}")
    print("self-test: the checker passes the tree and catches all planted includes")
    return 0


def main(argv):
    if len(argv) == 3 and argv[1] == "--self-test":
        return self_test(os.path.abspath(argv[2]))
    if len(argv) != 2:
        print(__doc__)
        return 2
    errs = check(os.path.abspath(argv[1]))
    for e in errs:
        print(e)
    if errs:
        print(f"layering: {len(errs)} include(s) against lib/layers.txt (docs/architecture.md)")
        return 1
    print("layering: every include keeps lib/layers.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

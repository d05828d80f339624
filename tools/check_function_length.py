#!/usr/bin/python3
"""Check that no function in lib/ is longer than 80 lines without a reason written next to it (docs/architecture.md).

    tools/check_function_length.py REPO               exit 0 when every function of lib/**/*.cpp|hpp is short enough,
                                                      1 naming each one that is not
    tools/check_function_length.py --self-test REPO   check that a planted long function is caught and that one with a
                                                      reason is not

A function's length counts the lines from its signature to its closing brace (lambdas count towards the function
that holds them). A longer function passes when one of the three lines above its signature is a comment holding
"long function:" followed by the reason. The scan is lexical: comments, strings, character and raw-string literals
are blanked, then braces are matched; a brace opens a function body when the text before it ends in a parameter list
and it is not inside another function.
"""
import os
import re
import sys
import tempfile

LIMIT = 80
MARKER = "long function:"
CONTROL = re.compile(r"\b(if|for|while|switch|catch|return|else|do|try)\s*$")
FN_HEAD = re.compile(r"\)\s*(const|noexcept|override|final|mutable|\s|->\s*[\w:<>,\s*&]+)*$")


def blank(src):
    """`src` with comments and literals replaced by spaces (newlines kept, so line numbers stay)."""
    out, i, n = [], 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
        elif src.startswith('R"', i) and (i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_")):
            m = re.match(r'R"([^(]*)\(', src[i:])
            end = ")" + (m.group(1) if m else "") + '"'
            j = src.find(end, i)
            j = n if j < 0 else j + len(end)
        elif c == '"' or (c == "'" and not (i > 0 and src[i - 1].isalnum())):
            j = i + 1
            while j < n and src[j] != c and src[j] != "\n":
                j += 2 if src[j] == "\\" else 1
            j += 1
        else:
            out.append(c)
            i += 1
            continue
        out.append(re.sub(r"[^\n]", " ", src[i:j]))
        i = j
    return "".join(out)


def functions(text):
    """(first line, last line) of every function body of `text` that is not inside another function."""
    src = blank(text)
    stack, head_start, found = [], 0, []
    for i, ch in enumerate(src):
        if ch == ";":
            head_start = i + 1
        elif ch == "{":
            head = src[head_start:i]
            h = " ".join(head.split())
            if any(kind == "fn" for kind, _ in stack):
                kind = "block"
            elif FN_HEAD.search(h) and not CONTROL.search(h.split("(")[0]) and not h.startswith("="):
                kind = "fn"
            else:
                kind = "block"  # namespace, class, initializer, enum
            first = src.count("\n", 0, head_start + len(head) - len(head.lstrip())) + 1
            stack.append((kind, first))
            head_start = i + 1
        elif ch == "}":
            if stack:
                kind, first = stack.pop()
                if kind == "fn":
                    found.append((first, src.count("\n", 0, i) + 1))
            head_start = i + 1
    return found


def long_functions(path, limit=LIMIT):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    lines = text.split("\n")
    bad = []
    for first, last in functions(text):
        n = last - first + 1
        if n <= limit:
            continue
        above = lines[max(0, first - 4):first - 1]
        if any(MARKER in l and l.strip().startswith(("//", "*", "/*")) for l in above):
            continue
        bad.append((first, n, lines[first - 1].strip()[:100]))
    return bad


def check(repo):
    errors = []
    for dirpath, _, files in os.walk(os.path.join(repo, "lib")):
        for name in sorted(files):
            if name.endswith((".cpp", ".hpp")):
                path = os.path.join(dirpath, name)
                for first, n, sig in long_functions(path):
                    errors.append(f"{os.path.relpath(path, repo)}:{first}: {n} lines (> {LIMIT}) without a "
                                  f"'{MARKER} <reason>' comment: {sig}")
    return errors


def self_test(repo):
    body = "\n".join(f"    x += {i};" for i in range(LIMIT))
    long_fn = "int f(int x) {\n" + body + "\n    return x;\n}\n"
    cases = {
        "long": ("namespace a {\n" + long_fn + "}\n", 1),
        "reason": ("// long function: one table, easier to read whole\n" + long_fn, 0),
        "short": ("int g() { return 1; }\nstruct S { int h() const { return 2; } };\n", 0),
        "strings": ('const char* s = "{{{{";\n' + long_fn.replace("x += 0;", 'x += sizeof("}");'), 1),
        "lambda": ("void k() {\n    auto l = [] {\n" + body + "\n    };\n}\n", 1),
    }
    ok = True
    with tempfile.TemporaryDirectory() as d:
        for name, (text, want) in cases.items():
            p = os.path.join(d, name + ".cpp")
            with open(p, "w") as f:
                f.write(text)
            got = len(long_functions(p))
            if got != want:
                print(f"function_length self-test: case '{name}': {got} long function(s) found, expected {want}")
                ok = False
    errors = check(repo)
    if errors:
        print("function_length self-test: the repository itself does not pass")
        ok = False
    if ok:
        print(f"function_length self-test: {len(cases)} cases caught as expected")
    return 0 if ok else 1


def main(argv):
    if len(argv) == 3 and argv[1] == "--self-test":
        return self_test(argv[2])
    if len(argv) != 2:
        print(__doc__)
        return 2
    errors = check(argv[1])
    for e in errors:
        print(e)
    if not errors:
        print(f"function_length: every function in lib/ is at most {LIMIT} lines or says why")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/python3
"""Kettle boot image assembly: deterministic initrd, UKI, manifest and the image's own provenance.

Run by image/build.sh with Debian's /usr/bin/python3 (standard library only). Subcommands:

  initrd  --init F --identity F --out F.cpio.zst
      newc cpio (sorted entries, mtime 0, uid/gid 0, fixed modes, inode numbers 1..n, dev 0), then
      `zstd -19 -T1` (single-threaded, so the frame does not depend on the host's core count).
  uki     --stub F --linux F --initrd F --cmdline F --osrel F --out F
      `objcopy --add-section` at fixed VMAs after the stub's last section; PE TimeDateStamp forced to 0.
  sections F
      JSON list of the PE sections of F (name, vma, virtual_size, raw_size).
  all     ...  the whole image, see build.sh.
"""
import argparse
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile

# Fixed section addresses (ImageBase of Debian's systemd-boot 252 stub is 0, SizeOfImage 0x19300).
SECTION_VMA = [(".osrel", 0x20000), (".cmdline", 0x30000), (".linux", 0x2000000), (".initrd", 0x3000000)]


def die(msg):
    print(f"assemble: {msg}", file=sys.stderr)
    sys.exit(1)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def digest_entry(path):
    return {"sha256": sha256_file(path), "size": os.path.getsize(path)}


def read_cmdline(path):
    """image/cmdline.txt: exactly one non-empty line ending in a newline; returns it without the newline."""
    text = open(path, "rb").read().decode("ascii")
    if not text.endswith("\n") or "\n" in text[:-1] or not text[:-1] or any(c in text for c in "\"\\\r\0"):
        die(f"{path}: must be one non-empty ASCII line ending in a newline, without quotes or backslashes")
    return text[:-1]


def canonical_json(obj):
    """Sorted keys, no whitespace, ASCII only: equal to RFC 8785 JCS for the strings and integers used here."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


# ---- initrd -------------------------------------------------------------------------------------------

def newc_entry(ino, name, mode, data=b"", nlink=1, rdev=(0, 0)):
    namez = name.encode() + b"\0"
    hdr = "070701" + "".join(f"{v:08X}" for v in (
        ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1], len(namez), 0))
    out = hdr.encode() + namez
    out += b"\0" * (-len(out) % 4)
    out += data + b"\0" * (-len(data) % 4)
    return out


def make_initrd(init_path, identity_path, out):
    S_IFDIR, S_IFREG, S_IFCHR = 0o040000, 0o100000, 0o020000
    entries = {
        "dev": (S_IFDIR | 0o755, b"", (0, 0)),
        "dev/console": (S_IFCHR | 0o600, b"", (5, 1)),
        "etc": (S_IFDIR | 0o755, b"", (0, 0)),
        "etc/kettle": (S_IFDIR | 0o755, b"", (0, 0)),
        "etc/kettle/image.json": (S_IFREG | 0o444, open(identity_path, "rb").read(), (0, 0)),
        "init": (S_IFREG | 0o755, open(init_path, "rb").read(), (0, 0)),
    }
    blob = b""
    for ino, name in enumerate(sorted(entries), start=1):
        mode, data, rdev = entries[name]
        blob += newc_entry(ino, name, mode, data, nlink=2 if mode & S_IFDIR == S_IFDIR else 1, rdev=rdev)
    blob += newc_entry(0, "TRAILER!!!", 0)
    with open(out, "wb") as f:
        subprocess.run(["zstd", "-19", "-T1", "-q", "-c"], input=blob, stdout=f, check=True)


# ---- UKI ----------------------------------------------------------------------------------------------

def pe_sections(path):
    data = open(path, "rb").read()
    if data[:2] != b"MZ":
        die(f"{path}: not a PE file")
    pe = struct.unpack_from("<I", data, 0x3C)[0]
    if data[pe:pe + 4] != b"PE\0\0":
        die(f"{path}: no PE signature")
    nsec, = struct.unpack_from("<H", data, pe + 6)
    optsize, = struct.unpack_from("<H", data, pe + 20)
    magic, = struct.unpack_from("<H", data, pe + 24)
    image_base = struct.unpack_from("<Q", data, pe + 24 + 24)[0] if magic == 0x20B else 0
    secs = []
    off = pe + 24 + optsize
    for i in range(nsec):
        name, vsize, va, rawsize, rawptr = struct.unpack_from("<8sIIII", data, off + 40 * i)
        secs.append({"name": name.rstrip(b"\0").decode(), "vma": image_base + va, "virtual_size": vsize,
                     "raw_size": rawsize})
    return secs


def pe_checksum(data, checksum_off):
    """The PE/COFF image checksum (IMAGE_OPTIONAL_HEADER.CheckSum): 16-bit one's-complement-style sum of the
    file with the CheckSum field taken as zero, folded to 16 bits, plus the file length."""
    buf = data[:checksum_off] + b"\0\0\0\0" + data[checksum_off + 4:]
    if len(buf) % 2:
        buf += b"\0"
    total = sum(struct.unpack(f"<{len(buf) // 2}H", buf))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (total + len(data)) & 0xFFFFFFFF


def pe_zero_timestamp(path):
    """objcopy stamps the PE header with the current time: set TimeDateStamp to 0, then fix CheckSum."""
    data = bytearray(open(path, "rb").read())
    pe = struct.unpack_from("<I", data, 0x3C)[0]
    struct.pack_into("<I", data, pe + 8, 0)  # IMAGE_FILE_HEADER.TimeDateStamp
    checksum_off = pe + 24 + 64              # IMAGE_OPTIONAL_HEADER(64).CheckSum
    struct.pack_into("<I", data, checksum_off, pe_checksum(bytes(data), checksum_off))
    with open(path, "wb") as f:
        f.write(data)


def make_uki(stub, linux, initrd, cmdline_txt, osrel, out):
    cmdline = read_cmdline(cmdline_txt)
    stub_end = max(s["vma"] + max(s["virtual_size"], s["raw_size"]) for s in pe_sections(stub))
    payload = {".osrel": osrel, ".linux": linux, ".initrd": initrd}
    with tempfile.TemporaryDirectory() as td:
        payload[".cmdline"] = os.path.join(td, "cmdline")
        with open(payload[".cmdline"], "wb") as f:
            f.write(cmdline.encode())
        # every section must fit below the next one
        bounds = SECTION_VMA + [("end", 0x10000000)]
        if stub_end > SECTION_VMA[0][1]:
            die(f"stub ends at {stub_end:#x}, past {SECTION_VMA[0][0]} at {SECTION_VMA[0][1]:#x}")
        for (name, vma), (nxt, nvma) in zip(bounds, bounds[1:]):
            if vma + os.path.getsize(payload[name]) > nvma:
                die(f"{name} ({os.path.getsize(payload[name])} bytes at {vma:#x}) overlaps {nxt} at {nvma:#x}")
        cmd = ["objcopy"]
        for name, vma in SECTION_VMA:
            cmd += ["--add-section", f"{name}={payload[name]}", "--change-section-vma", f"{name}={vma:#x}"]
        tmp = out + ".tmp"
        subprocess.run(cmd + [stub, tmp], check=True, env=dict(os.environ, SOURCE_DATE_EPOCH="0"))
    pe_zero_timestamp(tmp)
    os.replace(tmp, out)


# ---- the whole image ----------------------------------------------------------------------------------

def lock_rows(lock_path, packages):
    rows = []
    for line in open(lock_path):
        if line.startswith("#") or not line.strip():
            continue
        kind, pkg, ver, suite, path, size, sha = line.rstrip("\n").split("\t")
        if pkg in packages:
            rows.append({"kind": kind, "package": pkg, "version": ver, "suite": suite, "path": path,
                         "size": int(size), "sha256": sha})
    missing = set(packages) - {r["package"] for r in rows}
    if missing:
        die(f"not pinned in {lock_path}: {sorted(missing)}")
    return rows


def host_versions(pkgs):
    out = subprocess.run(["dpkg-query", "-W", "-f=${Package}\t${Version}\t${Architecture}\n"] + pkgs,
                         capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


# Pinned inputs that end up in the image: kernel, firmware, stub, and what the static musl PID 1 is built from.
IMAGE_INPUTS = ["linux-source-6.12", "edk2", "systemd-boot-efi", "gcc-12-source", "musl-dev", "zlib", "libzstd",
                "mbedtls", "libarchive", "libgit2", "http-parser", "nlohmann-json3"]
HOST_TOOLS = ["gcc-12", "g++-12", "binutils", "make", "bc", "bison", "flex", "libelf-dev", "libssl-dev", "nasm",
              "acpica-tools", "uuid-dev", "python3.11", "zstd", "xz-utils", "dpkg", "patch", "perl-base", "cmake",
              "ninja-build", "linux-libc-dev", "coreutils"]
BUILD_TYPE = "https://kettle.invalid/image-build/v1"
BUILDER_ID = "https://kettle.invalid/builders/host-make-image/v1"


def cmd_all(a):
    os.makedirs(a.out, exist_ok=True)
    parts = os.path.join(a.out, "parts")
    os.makedirs(parts, exist_ok=True)
    cmdline = read_cmdline(a.cmdline)
    kernel_release = open(a.kernel_release).read().strip()
    identity = {"schema": "kettle-image-identity/v1", "cmdline": cmdline, "kernel_release": kernel_release,
                "kernel_sha256": sha256_file(a.kernel), "init_sha256": sha256_file(a.init)}
    ident_path = os.path.join(parts, "image.json")
    with open(ident_path, "wb") as f:
        f.write(canonical_json(identity))
    initrd = os.path.join(parts, "initrd.cpio.zst")
    make_initrd(a.init, ident_path, initrd)
    efi = os.path.join(a.out, "kettle.efi")
    make_uki(a.stub, a.kernel, initrd, a.cmdline, a.osrel, efi)
    for src, name in ((a.ovmf_amdsev, "ovmf-amdsev.fd"), (a.ovmf, "ovmf.fd")):
        dst = os.path.join(a.out, name)
        with open(src, "rb") as i, open(dst + ".tmp", "wb") as o:
            o.write(i.read())
        os.chmod(dst + ".tmp", 0o644)
        os.replace(dst + ".tmp", dst)
    files = {n: digest_entry(os.path.join(a.out, n)) for n in ("kettle.efi", "ovmf-amdsev.fd", "ovmf.fd")}
    components = {"vmlinuz": digest_entry(a.kernel), "initrd": digest_entry(initrd), "init": digest_entry(a.init),
                  "stub": digest_entry(a.stub), "os-release": digest_entry(a.osrel),
                  "cmdline": {"sha256": hashlib.sha256(cmdline.encode()).hexdigest(), "size": len(cmdline)},
                  "image.json": digest_entry(ident_path)}
    manifest = {"schema": "kettle-image-manifest/v1", "kernel_version": kernel_release, "cmdline": cmdline,
                "files": files, "components": components}
    with open(os.path.join(a.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")

    # The image's own SLSA v1 provenance (in-toto Statement v1), unsigned: the host build is not attested.
    deps = []
    for r in lock_rows(a.lock, IMAGE_INPUTS):
        deps.append({"name": os.path.basename(r["path"]),
                     "uri": f"https://deb.debian.org/{'debian-security' if r['path'].startswith('pool/updates/') else 'debian'}/{r['path']}",
                     "digest": {"sha256": r["sha256"]},
                     "annotations": {"kind": r["kind"], "package": r["package"], "version": r["version"],
                                     "suite": r["suite"], "size": r["size"]}})
    deps.append({"name": "deps/kettle.lock", "digest": {"sha256": sha256_file(a.lock)}})
    for rel in ("kernel-config/kettle.config", "image/cmdline.txt", "image/os-release"):
        deps.append({"name": rel, "digest": {"sha256": sha256_file(os.path.join(a.top, rel))}})
    git = subprocess.run(["git", "-C", a.top, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", a.top, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip() != ""
    if git:
        deps.append({"name": "kettle-repo", "uri": "git+file://kettle", "digest": {"gitCommit": git},
                     "annotations": {"dirty": dirty}})
    builder_deps = [{"name": p, "uri": f"pkg:deb/debian/{p}@{v}?arch={arch}", "annotations": {"version": v}}
                    for p, v, arch in host_versions(HOST_TOOLS)]
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": n, "digest": {"sha256": files[n]["sha256"]}} for n in sorted(files)],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": {"cmdline": cmdline, "target": "make image"},
                "internalParameters": {
                    "kernel": open(os.path.join(a.kernel_dir, "build-flags")).read().splitlines(),
                    "firmware": open(os.path.join(a.firmware_dir, "build-flags")).read().splitlines(),
                    "initrd": "newc cpio, sorted, mtime 0, uid/gid 0, fixed modes; zstd -19 -T1",
                    "uki": "objcopy --add-section " + " ".join(f"{n}@{v:#x}" for n, v in SECTION_VMA)
                           + "; PE TimeDateStamp 0",
                    "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", ""),
                },
                "resolvedDependencies": deps,
            },
            "runDetails": {
                "builder": {"id": BUILDER_ID, "builderDependencies": builder_deps},
                "metadata": {},
                "byproducts": [{"name": n, "digest": {"sha256": components[n]["sha256"]}} for n in sorted(components)],
            },
        },
    }
    with open(os.path.join(a.out, "provenance.json"), "w") as f:
        json.dump(statement, f, indent=2, sort_keys=True)
        f.write("\n")


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("initrd")
    s.add_argument("--init", required=True); s.add_argument("--identity", required=True)
    s.add_argument("--out", required=True)
    s = sub.add_parser("uki")
    for k in ("stub", "linux", "initrd", "cmdline", "osrel", "out"):
        s.add_argument(f"--{k}", required=True)
    s = sub.add_parser("sections")
    s.add_argument("file")
    s = sub.add_parser("all")
    for k in ("top", "lock", "kernel", "kernel-release", "kernel-dir", "firmware-dir", "init", "stub", "osrel",
              "cmdline", "ovmf-amdsev", "ovmf", "out"):
        s.add_argument(f"--{k}", required=True)
    a = p.parse_args()
    if a.cmd == "initrd":
        make_initrd(a.init, a.identity, a.out)
    elif a.cmd == "uki":
        make_uki(a.stub, a.linux, a.initrd, a.cmdline, a.osrel, a.out)
    elif a.cmd == "sections":
        print(json.dumps(pe_sections(a.file)))
    else:
        cmd_all(a)


if __name__ == "__main__":
    main()

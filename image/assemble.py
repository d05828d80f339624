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
  disk    --uki F --out-raw F --out-gcp F
      the cloud boot disk (docs/formats.md §6): GPT (sgdisk) with one FAT32 ESP (mkfs.fat, mtools) holding only
      \\EFI\\BOOT\\BOOTX64.EFI = the UKI; and GCP's import form, a GNU (oldgnu) tar of disk.raw, gzip -n.
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


# ---- the cloud boot disk ------------------------------------------------------------------------------------

# Fixed layout: every value below is measured (the GPT header and entries are the EV_EFI_GPT_EVENT of PCR 5 /
# RTMR1), so none may come from randomness or the clock. docs/formats.md §6.
DISK_SIZE = 1 << 30                      # 1 GiB: GCP images are whole GiB
DISK_GUID = "ac58169b-46c0-431b-a28e-241f0f2a83eb"
ESP_GUID = "8aa44419-6c3d-4623-aa3d-b59f6f33ee4c"
ESP_TYPE = "ef00"                        # C12A7328-F81F-11D2-BA4B-00A0C93EC93B, EFI System Partition
ESP_NAME = "kettle-esp"
ESP_FIRST_LBA = 2048                     # 1 MiB aligned; the ESP runs to the last usable LBA
FAT_VOLUME_ID = "4b45544c"               # "KETL"; no volume label (mkfs.fat would stamp its entry with the clock)
FAT_OPTS = ["-F", "32", "-S", "512", "-s", "8", "-f", "2", "-R", "32", "--mbr=n"]
GCP_TAR = ["--format=oldgnu", "--sparse", "--hole-detection=raw", "--owner=0", "--group=0", "--numeric-owner",
           "--mode=0644"]


def tool_env():
    """Fixed clock, zone and locale for mtools (FAT timestamps are local time) and tar."""
    return dict(os.environ, TZ="UTC", LC_ALL="C", SOURCE_DATE_EPOCH=os.environ.get("SOURCE_DATE_EPOCH", "1735689600"),
                MTOOLS_SKIP_CHECK="1")


def run(cmd, **kw):
    r = subprocess.run(cmd, env=tool_env(), capture_output=True, **kw)
    if r.returncode != 0:
        die(f"{' '.join(cmd)} failed: {r.stderr.decode(errors='replace').strip()}")
    return r.stdout


def copy_sparse(src, dst, offset):
    """Write src into dst at offset, skipping all-zero 64 KiB blocks (dst is already zero there)."""
    with open(src, "rb") as i, open(dst, "r+b") as o:
        pos = offset
        for block in iter(lambda: i.read(1 << 16), b""):
            if block.count(0) != len(block):
                o.seek(pos)
                o.write(block)
            pos += len(block)


def make_esp(uki, path, sectors):
    """FAT32 of `sectors` 512-byte sectors holding only /EFI/BOOT/BOOTX64.EFI; checked with fsck.fat and by
    reading the file back with mtools."""
    with open(path, "wb") as f:
        f.truncate(sectors * 512)
    run(["mkfs.fat"] + FAT_OPTS + ["-h", str(ESP_FIRST_LBA), "-i", FAT_VOLUME_ID, path])
    run(["mmd", "-i", path, "::/EFI", "::/EFI/BOOT"])
    run(["mcopy", "-i", path, uki, "::/EFI/BOOT/BOOTX64.EFI"])
    run(["fsck.fat", "-n", path])
    if run(["mcopy", "-n", "-i", path, "::/EFI/BOOT/BOOTX64.EFI", "-"]) != open(uki, "rb").read():
        die("the ESP does not give back the UKI")
    listing = run(["mdir", "-/", "-b", "-i", path, "::/"]).decode().split()
    if sorted(listing) != ["::/EFI/", "::/EFI/BOOT/", "::/EFI/BOOT/BOOTX64.EFI"]:
        die(f"unexpected files on the ESP: {listing}")


def make_disk(uki, out_raw, out_gcp):
    tmp = out_raw + ".tmp"
    with open(tmp, "wb") as f:
        f.truncate(DISK_SIZE)
    run(["sgdisk", "--clear", f"--disk-guid={DISK_GUID}", f"--new=1:{ESP_FIRST_LBA}:0", f"--typecode=1:{ESP_TYPE}",
         f"--partition-guid=1:{ESP_GUID}", f"--change-name=1:{ESP_NAME}", tmp])
    info = run(["sgdisk", "--info=1", tmp]).decode()
    last = int(next(l for l in info.splitlines() if l.startswith("Last sector:")).split()[2])
    esp = out_raw + ".esp"
    make_esp(uki, esp, last - ESP_FIRST_LBA + 1)
    copy_sparse(esp, tmp, ESP_FIRST_LBA * 512)
    os.remove(esp)
    run(["sgdisk", "--verify", tmp])
    os.replace(tmp, out_raw)
    # GCP: disk.raw in a GNU tar (oldgnu, sparse), fixed mtime and owner, then gzip without name or time.
    tar = run(["tar"] + GCP_TAR + [f"--mtime=@{tool_env()['SOURCE_DATE_EPOCH']}", "-C", os.path.dirname(os.path.abspath(out_raw)),
               "--transform", f"s|^{os.path.basename(out_raw)}$|disk.raw|", "-cf", "-", os.path.basename(out_raw)])
    with open(out_gcp + ".tmp", "wb") as f:
        f.write(run(["gzip", "-9", "-n", "-c"], input=tar))
    os.replace(out_gcp + ".tmp", out_gcp)
    return {"size": DISK_SIZE, "disk_guid": DISK_GUID, "partition_table": "gpt", "logical_block": 512,
            "esp": {"partition_guid": ESP_GUID, "type": "C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "name": ESP_NAME,
                    "first_lba": ESP_FIRST_LBA, "last_lba": last, "filesystem": "fat32",
                    "volume_id": FAT_VOLUME_ID, "files": ["EFI/BOOT/BOOTX64.EFI"]},
            "gcp_tar": "disk.raw, " + " ".join(GCP_TAR) + ", mtime SOURCE_DATE_EPOCH; gzip -9 -n"}


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
              "ninja-build", "linux-libc-dev", "coreutils", "gdisk", "dosfstools", "mtools", "tar", "gzip"]
# Files of build/image, each with its SHA-256 and size in manifest.json (and a subject of provenance.json).
IMAGE_FILES = ("kettle.efi", "ovmf-amdsev.fd", "ovmf.fd", "ovmf-tpm.fd", "kettle-disk.raw", "kettle-gcp.tar.gz")
BUILD_TYPE = "https://kettle.invalid/image-build/v1"
BUILDER_ID = "https://kettle.invalid/builders/host-make-image/v1"


def kettle_source(top):
    """The Kettle commit the image is built from and whether the work tree differs from it (tracked changes or
    untracked files that are not ignored): (commit hex or "", dirty)."""
    git = subprocess.run(["git", "-C", top, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", top, "status", "--porcelain", "--untracked-files=normal"],
                           capture_output=True, text=True).stdout.strip() != ""
    return git, dirty


def cmd_all(a):
    os.makedirs(a.out, exist_ok=True)
    parts = os.path.join(a.out, "parts")
    os.makedirs(parts, exist_ok=True)
    cmdline = read_cmdline(a.cmdline)
    kernel_release = open(a.kernel_release).read().strip()
    git, dirty = kettle_source(a.top)
    identity = {"schema": "kettle-image-identity/v1", "cmdline": cmdline, "kernel_release": kernel_release,
                "kernel_sha256": sha256_file(a.kernel), "init_sha256": sha256_file(a.init)}
    if git:  # `make image` at this commit, on a clean tree, reproduces this image (docs/buildtype.md)
        identity["kettle_commit"] = git
        identity["kettle_tree_dirty"] = dirty
    ident_path = os.path.join(parts, "image.json")
    with open(ident_path, "wb") as f:
        f.write(canonical_json(identity))
    initrd = os.path.join(parts, "initrd.cpio.zst")
    make_initrd(a.init, ident_path, initrd)
    efi = os.path.join(a.out, "kettle.efi")
    make_uki(a.stub, a.kernel, initrd, a.cmdline, a.osrel, efi)
    for src, name in ((a.ovmf_amdsev, "ovmf-amdsev.fd"), (a.ovmf, "ovmf.fd"), (a.ovmf_tpm, "ovmf-tpm.fd")):
        dst = os.path.join(a.out, name)
        with open(src, "rb") as i, open(dst + ".tmp", "wb") as o:
            o.write(i.read())
        os.chmod(dst + ".tmp", 0o644)
        os.replace(dst + ".tmp", dst)
    disk = make_disk(efi, os.path.join(a.out, "kettle-disk.raw"), os.path.join(a.out, "kettle-gcp.tar.gz"))
    files = {n: digest_entry(os.path.join(a.out, n)) for n in IMAGE_FILES}
    components = {"vmlinuz": digest_entry(a.kernel), "initrd": digest_entry(initrd), "init": digest_entry(a.init),
                  "stub": digest_entry(a.stub), "os-release": digest_entry(a.osrel),
                  "cmdline": {"sha256": hashlib.sha256(cmdline.encode()).hexdigest(), "size": len(cmdline)},
                  "image.json": digest_entry(ident_path)}
    manifest = {"schema": "kettle-image-manifest/v1", "kernel_version": kernel_release, "cmdline": cmdline,
                "files": files, "components": components, "disk": disk,
                "kettle_commit": git, "kettle_tree_dirty": dirty}
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
                    "disk": disk,
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
    s = sub.add_parser("disk")
    for k in ("uki", "out-raw", "out-gcp"):
        s.add_argument(f"--{k}", required=True)
    s = sub.add_parser("all")
    for k in ("top", "lock", "kernel", "kernel-release", "kernel-dir", "firmware-dir", "init", "stub", "osrel",
              "cmdline", "ovmf-amdsev", "ovmf", "ovmf-tpm", "out"):
        s.add_argument(f"--{k}", required=True)
    a = p.parse_args()
    if a.cmd == "initrd":
        make_initrd(a.init, a.identity, a.out)
    elif a.cmd == "uki":
        make_uki(a.stub, a.linux, a.initrd, a.cmdline, a.osrel, a.out)
    elif a.cmd == "sections":
        print(json.dumps(pe_sections(a.file)))
    elif a.cmd == "disk":
        print(json.dumps(make_disk(a.uki, a.out_raw, a.out_gcp), indent=2))
    else:
        cmd_all(a)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Hostile input disks for the VM tests of issue 19 (tests/integration/vm_test.sh).

hostile_disks.py KIND OUT [TOOLCHAIN_TAR]

KIND is one of:
  badname     a files/ member whose name holds byte 0xFF (GNU tar format: raw bytes in the header)
  commondir   source/commondir pointing at the toolchain tree (libgit2 would take objects and refs from there)
  worktree    source/worktrees/w/gitdir and .../commondir, one level down
  sparse      a GNU sparse member (made by GNU tar --sparse) under files/
  bomb        toolchain.tar.zst: 10 members of 100 MiB of zeros (about 1 GiB from a few hundred KiB)
  inodes      toolchain.tar.zst: 70,000 empty files (more than the workspace tmpfs has inodes at 512 MiB)
  gitcycle    a repository whose only blob is a REF_DELTA with itself as its base; a valid commit and tree
              name it (needs TOOLCHAIN_TAR, so that only the checkout can fail)
  oddsize     a well-formed disk of 4096 + 100 bytes (not a multiple of 512)
Every disk but oddsize is padded with zeros to a multiple of 4096 bytes.
"""
import hashlib, io, os, struct, subprocess, sys, tarfile, tempfile, zlib

REQ = b'{"version": 1, "argv": ["/bin/sh", "-c", "true"], "source_ref": "refs/heads/main"}'


def member(tf, name, data=b"", kind="reg"):
    ti = tarfile.TarInfo(name)
    ti.mtime = 0
    if kind == "dir":
        ti.type = tarfile.DIRTYPE
    ti.size = len(data) if kind == "reg" else 0
    tf.addfile(ti, io.BytesIO(data) if kind == "reg" else None)


def tar_bytes(fill, fmt=tarfile.PAX_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt, encoding="utf-8", errors="surrogateescape") as tf:
        fill(tf)
    return buf.getvalue()


def pad(b, to=4096):
    return b + b"\0" * (-len(b) % to)


def base(tf, source=True):
    member(tf, "request.json", REQ)
    if source:
        member(tf, "source/HEAD", b"ref: refs/heads/main\n")


def tiny_toolchain(tf):
    member(tf, "toolchain.tar", tar_bytes(lambda t: member(t, "bin/sh", b"#!")))


def zstd_toolchain(tf, write_inner):
    """toolchain.tar.zst streamed through zstd: the inner tar is never held in memory."""
    with tempfile.TemporaryFile() as out:
        p = subprocess.Popen(["zstd", "-q", "-3", "-c"], stdin=subprocess.PIPE, stdout=out)
        with tarfile.open(fileobj=p.stdin, mode="w|", format=tarfile.PAX_FORMAT) as inner:
            write_inner(inner)
        p.stdin.close()
        assert p.wait() == 0
        out.seek(0)
        member(tf, "toolchain.tar.zst", out.read())


class Zeros(io.RawIOBase):
    def __init__(self, n):
        self.left = n

    def readable(self):
        return True

    def readinto(self, b):
        k = min(len(b), self.left)
        b[:k] = bytes(k)
        self.left -= k
        return k


def bomb(inner):
    for i in range(10):
        ti = tarfile.TarInfo("z%d" % i)
        ti.size = 100 << 20
        inner.addfile(ti, io.BufferedReader(Zeros(ti.size), 1 << 20))


def inodes(inner):
    for i in range(70000):
        ti = tarfile.TarInfo("f%05d" % i)
        inner.addfile(ti, io.BytesIO(b""))


def obj_id(kind, data):
    return hashlib.sha1(b"%s %d\0" % (kind, len(data)) + data).digest()


def cyclic_repo(tf):
    """A bare repository: loose commit and tree, and a pack whose one entry is blob B stored as a REF_DELTA whose
    base is B itself (git's pack format, Documentation/gitformat-pack.txt)."""
    blob = obj_id(b"blob", b"hello")
    tree = b"100644 a.txt\0" + blob
    tid = obj_id(b"tree", tree)
    commit = b"tree %s\nauthor a <a@example.org> 0 +0000\ncommitter a <a@example.org> 0 +0000\n\nx\n" % tid.hex().encode()
    cid = obj_id(b"commit", commit)
    for kind, data, oid in ((b"tree", tree, tid), (b"commit", commit, cid)):
        h = oid.hex()
        member(tf, "source/objects/%s/%s" % (h[:2], h[2:]), zlib.compress(b"%s %d\0" % (kind, len(data)) + data))
    delta = bytes([5, 5, 0x90, 5])  # source size 5, result size 5, copy 5 bytes from offset 0 of the base
    entry = bytes([(7 << 4) | len(delta)]) + blob + zlib.compress(delta)  # type 7 = OBJ_REF_DELTA
    pack = b"PACK" + struct.pack(">II", 2, 1) + entry
    pack += hashlib.sha1(pack).digest()
    fanout = b"".join(struct.pack(">I", 1 if i >= blob[0] else 0) for i in range(256))
    idx = b"\xfftOc" + struct.pack(">I", 2) + fanout + blob + struct.pack(">I", zlib.crc32(entry)) + struct.pack(">I", 12)
    idx += pack[-20:]
    idx += hashlib.sha1(idx).digest()
    name = "source/objects/pack/pack-" + pack[-20:].hex()
    member(tf, name + ".pack", pack)
    member(tf, name + ".idx", idx)
    member(tf, "source/refs/heads/main", cid.hex().encode() + b"\n")
    member(tf, "source/config", b"[core]\n\trepositoryformatversion = 0\n\tbare = true\n")


def main():
    kind, out = sys.argv[1], sys.argv[2]
    if kind == "badname":
        disk = tar_bytes(lambda tf: (base(tf), tiny_toolchain(tf),
                                     member(tf, b"files/bad\xffname".decode("utf-8", "surrogateescape"), b"x")),
                         fmt=tarfile.GNU_FORMAT)
    elif kind == "commondir":
        disk = tar_bytes(lambda tf: (base(tf), member(tf, "source/commondir", b"../rootfs\n"), tiny_toolchain(tf)))
    elif kind == "worktree":
        disk = tar_bytes(lambda tf: (base(tf), member(tf, "source/worktrees/w/gitdir", b"/work/in/rootfs/.git\n"),
                                     member(tf, "source/worktrees/w/commondir", b"../..\n"), tiny_toolchain(tf)))
    elif kind == "sparse":
        d = tempfile.mkdtemp()
        os.makedirs(d + "/source")
        os.makedirs(d + "/files")
        open(d + "/request.json", "wb").write(REQ)
        open(d + "/source/HEAD", "wb").write(b"ref: refs/heads/main\n")
        with open(d + "/files/holes", "wb") as f:
            f.truncate(8 << 20)
            f.seek(6 << 20)
            f.write(b"data")
        subprocess.check_call(["tar", "--format=gnu", "--sparse", "--owner=0", "--group=0", "-C", d, "-cf",
                               d + "/disk.tar", "request.json", "source", "files"])
        disk = open(d + "/disk.tar", "rb").read()
    elif kind == "bomb":
        disk = tar_bytes(lambda tf: (base(tf), zstd_toolchain(tf, bomb)))
    elif kind == "inodes":
        disk = tar_bytes(lambda tf: (base(tf), zstd_toolchain(tf, inodes)))
    elif kind == "gitcycle":
        tc = open(sys.argv[3], "rb").read()
        disk = tar_bytes(lambda tf: (base(tf), cyclic_repo(tf), member(tf, "toolchain.tar", tc)))
    elif kind == "oddsize":
        disk = tar_bytes(lambda tf: (base(tf), tiny_toolchain(tf)))
        disk = (disk + b"\0" * 8192)[:4096 + 100]
        open(out, "wb").write(disk)
        return
    else:
        sys.exit("unknown kind " + kind)
    open(out, "wb").write(pad(disk))


main()

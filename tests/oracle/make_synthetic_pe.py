#!/usr/bin/python3
"""Write a small synthetic PE32+ EFI application for the Authenticode tests (our own bytes, no code).

    tests/oracle/make_synthetic_pe.py OUT.efi [TRAILER_LEN]

Layout: DOS header (e_lfanew 0x80), COFF header with 3 sections whose headers are NOT in file order (to
exercise the sort), a non-zero CheckSum (which Authenticode skips), SizeOfHeaders 0x400, sections at
0x400 (.text, 0x600), 0xa00 (.data, 0x200), 0xc00 (.reloc, 0x200), then TRAILER_LEN (default 0x100)
bytes of trailing data. Section and trailer bytes are a fixed pseudo-random sequence.
"""
import struct
import sys


def prng_bytes(n, seed):
    x = seed
    out = bytearray()
    for _ in range(n):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        out.append((x >> 16) & 0xFF)
    return bytes(out)


def build(trailer_len):
    f = bytearray(0x400)
    f[0:2] = b"MZ"
    struct.pack_into("<I", f, 0x3C, 0x80)
    f[0x80:0x84] = b"PE\0\0"
    struct.pack_into("<HHIIIHH", f, 0x84, 0x8664, 3, 0, 0, 0, 240, 0x22)
    o = 0x98
    struct.pack_into("<HBBIIIII", f, o, 0x20B, 14, 0, 0x600, 0x400, 0, 0x1000, 0x1000)
    struct.pack_into("<Q", f, o + 24, 0x140000000)
    struct.pack_into("<II", f, o + 32, 0x1000, 0x200)
    struct.pack_into("<HHHHHH", f, o + 40, 0, 0, 0, 0, 0, 0)
    struct.pack_into("<I", f, o + 52, 0)
    struct.pack_into("<III", f, o + 56, 0x4000, 0x400, 0x12345678)  # SizeOfImage, SizeOfHeaders, CheckSum
    struct.pack_into("<HH", f, o + 68, 10, 0)  # EFI application
    struct.pack_into("<QQQQ", f, o + 72, 0x100000, 0x1000, 0x100000, 0x1000)
    struct.pack_into("<II", f, o + 104, 0, 16)
    # data directories at o+112: leave zero except base relocation (5) pointing into .reloc
    struct.pack_into("<II", f, o + 112 + 5 * 8, 0x3000, 0x10)
    sh = o + 240
    secs = [(b".data\0\0\0", 0x200, 0x2000, 0x200, 0xA00, 0xC0000040),
            (b".text\0\0\0", 0x600, 0x1000, 0x600, 0x400, 0x60000020),
            (b".reloc\0\0", 0x200, 0x3000, 0x200, 0xC00, 0x42000040)]
    for i, (name, vsize, va, rawsize, ptr, ch) in enumerate(secs):
        struct.pack_into("<8sIIIIIIHHI", f, sh + 40 * i, name, vsize, va, rawsize, ptr, 0, 0, 0, 0, ch)
    body = prng_bytes(0x600, 1) + prng_bytes(0x200, 2) + prng_bytes(0x200, 3) + prng_bytes(trailer_len, 4)
    return bytes(f) + body


if __name__ == "__main__":
    trailer = int(sys.argv[2], 0) if len(sys.argv) > 2 else 0x100
    with open(sys.argv[1], "wb") as out:
        out.write(build(trailer))

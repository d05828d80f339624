#!/usr/bin/env python3
"""Writes the VMLaunchEndorsement fixtures (see make_fixtures.sh, which runs this with the protoc output on
PYTHONPATH): argv[1] = work directory (keys, certificates), argv[2] = output directory."""
import hashlib
import json
import subprocess
import sys

import endorsement_pb2 as pb

work, out = sys.argv[1], sys.argv[2]

# The MRTD of the go-tdx-guest sample quote (tests/data/tdx/go-tdx-guest/quote_v4_spr_e4.dat, TD report body
# offset 136), which Kettle's forged test quotes keep, and two others.
QUOTE_MRTD = bytes.fromhex("6363b8043668a3ad953278e10389574d326c6749fb78aa810ecd9336923db86f"
                           "22fc00b8dcd404bc10d5e119d7215cbb")
OTHER_MRTDS = [hashlib.sha384(b"kettle fixture MRTD %d" % i).digest() for i in (1, 2)]
UEFI_DIGEST = hashlib.sha384(b"kettle fixture UEFI").digest()
TIMESTAMP = 1735689600  # 2025-01-01T00:00:00Z


def read(path):
    with open(path, "rb") as f:
        return f.read()


def golden(cert_der, mrtds):
    g = pb.VMGoldenMeasurement()
    g.timestamp.seconds = TIMESTAMP
    g.cl_spec = 123456
    g.commit = bytes.fromhex("0123456789abcdef0123456789abcdef01234567")
    g.cert = cert_der
    g.digest = UEFI_DIGEST
    g.ca_bundle = read(work + "/root.crt")
    g.tdx.svn = 2
    for i, m in enumerate(mrtds):
        meas = g.tdx.measurements.add()
        meas.ram_gib = 2 ** (i + 1)
        meas.early_accept = bool(i % 2)
        meas.mrtd = m
    return g.SerializeToString()


def sign(key, data):
    return subprocess.run(["openssl", "dgst", "-sha256", "-sigopt", "rsa_padding_mode:pss", "-sigopt",
                           "rsa_pss_saltlen:32", "-sigopt", "rsa_mgf1_md:sha256", "-sign", key],
                          input=data, capture_output=True, check=True).stdout


def endorsement(golden_bytes, key):
    e = pb.VMLaunchEndorsement()
    e.serialized_uefi_golden = golden_bytes
    e.signature = sign(key, golden_bytes)
    return e.SerializeToString()


def varint(n):
    b = bytearray()
    while True:
        b.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(b)


signer = read(work + "/signer.der")
key = work + "/primarySigningKey.pem"
listed = [OTHER_MRTDS[0], QUOTE_MRTD]
cases = {}
cases["valid"] = endorsement(golden(signer, listed), key)
# Unknown fields (numbers 15 and 100: a varint and a LEN) appended to a golden that is then signed: skipped.
cases["unknown_fields"] = endorsement(golden(signer, listed) + varint(15 << 3) + varint(7) +
                                      varint(100 << 3 | 2) + varint(3) + b"abc", key)
cases["mrtd_not_listed"] = endorsement(golden(signer, OTHER_MRTDS), key)
cases["other_root"] = endorsement(golden(read(work + "/other-signer.der"), listed), work + "/other-signer.pem")
# The devkeys signing certificate with the last byte of its signature flipped (so the root's signature over it
# fails), in a golden signed correctly with the signing key.
forged = bytearray(signer)
forged[-1] ^= 0x01
cases["forged_cert"] = endorsement(golden(bytes(forged), listed), key)
# The signing certificate (field 4) encoded as a varint instead of LEN, signed: a wire-type error in the golden.
bad = golden(b"", listed) + varint(4 << 3) + varint(1)
cases["wrong_wire_type"] = endorsement(bad, key)
# An MRTD of 47 bytes, signed.
cases["short_mrtd"] = endorsement(golden(signer, [QUOTE_MRTD[:47]]), key)
# The outer field 1 claims one byte more than the file holds.
v = cases["valid"]
inner = pb.VMLaunchEndorsement.FromString(v).serialized_uefi_golden
cases["overlong"] = varint(1 << 3 | 2) + varint(len(inner) + 1) + inner

for name, data in cases.items():
    with open("%s/%s.binarypb" % (out, name), "wb") as f:
        f.write(data)
facts = {
    "quote_mrtd": QUOTE_MRTD.hex(),
    "listed_mrtds": [m.hex() for m in listed],
    "other_mrtds": [m.hex() for m in OTHER_MRTDS],
    "uefi_digest": UEFI_DIGEST.hex(),
    "timestamp": TIMESTAMP,
    "svn": 2,
    "devkeys_root_sha256": hashlib.sha256(read(out + "/devkeys-root.der")).hexdigest(),
    "other_root_sha256": hashlib.sha256(read(out + "/other-root.der")).hexdigest(),
}
with open(out + "/facts.json", "w") as f:
    json.dump(facts, f, indent=1, sort_keys=True)
    f.write("\n")

#!/usr/bin/python3
"""Record virtee/sev-snp-measure's SNP launch digests as known answers for tests/unit/snp/measure.cpp.

The oracle is run as an outside program (never imported or copied): check it out outside the repository,
for example `git clone <mirror of virtee/sev-snp-measure> /tmp/sev-snp-measure`, then

    tests/oracle/record_measure_oracle.py --oracle /tmp/sev-snp-measure \
        [--image build/image] --out tests/data/measure-oracle.json

Two sets are written:
  * "testdata": the 4 KiB AmdSev fixture of tests/data/snp/measure with a synthetic -kernel
    (SYNTH_LEN bytes, byte i = i % 251), no -initrd, no -append;
  * "image-firmware": build/image/ovmf-amdsev.fd (our reproducible SNP firmware) with the same synthetic
    -kernel, only when --image is given and the file exists. Not kettle.efi itself: the UKI embeds the Kettle
    commit, so it changes with every commit, and all a -kernel contributes to the digest is its SHA-256 in the
    hashes table, which the "testdata" set already checks. The firmware changes only with its recipe.
Each set records the SHA-256 of its files; the unit test fails when build/image's firmware is not the recorded one
(re-record in the commit that changes the firmware).
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile

SYNTH_LEN = 1 << 20
SHAPES = [
    (1, "EPYC-v4", 0x1), (1, "EPYC-v4", 0x21), (2, "EPYC-Milan", 0x1), (2, "EPYC-Milan", 0x21),
    (4, "EPYC-Genoa", 0x1), (4, "EPYC-Genoa", 0x21), (64, "EPYC-Milan", 0x1), (64, "EPYC-Genoa", 0x21),
    (2, "EPYC-v4", 0x1), (64, "EPYC-v4", 0x21), (1, "EPYC-Genoa", 0x1), (4, "EPYC-Milan", 0x21),
    (2, "EPYC-Rome", 0x1), (2, "EPYC-Turin", 0x1),
]


REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def run_oracle(oracle, firmware, kernel, vcpus, cpu, features):
    cmd = ["/usr/bin/python3", os.path.join(oracle, "sev-snp-measure.py"), "--mode", "snp", "--vcpus", str(vcpus),
           "--vcpu-type", cpu, "--ovmf", firmware, "--guest-features", hex(features)]
    if kernel:
        cmd += ["--kernel", kernel]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


def oracle_version(oracle):
    version = "?"
    with open(os.path.join(oracle, "setup.cfg")) as f:
        for line in f:
            if line.startswith("version"):
                version = line.split("=", 1)[1].strip()
    commit = subprocess.run(["git", "-C", oracle, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    return version, commit


def record_set(oracle, name, firmware, firmware_ref, kernel, kernel_desc):
    shapes = []
    for vcpus, cpu, feat in SHAPES:
        shapes.append({"vcpus": vcpus, "vcpu_type": cpu, "guest_features": hex(feat),
                       "digest": run_oracle(oracle, firmware, kernel, vcpus, cpu, feat)})
    return {"name": name, "firmware": firmware_ref, "firmware_sha256": sha256_file(firmware),
            "kernel": kernel_desc, "kernel_sha256": sha256_file(kernel), "initrd": None, "cmdline": None,
            "shapes": shapes}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--oracle", required=True)
    ap.add_argument("--image")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    version, commit = oracle_version(a.oracle)
    doc = {"schema": "kettle-measure-oracle/v1",
           "oracle": {"name": "virtee/sev-snp-measure", "version": version, "commit": commit,
                      "python": sys.version.split()[0]},
           "sets": []}
    synth_desc = {"synthetic": "byte i = i % 251", "size": SYNTH_LEN}
    with tempfile.TemporaryDirectory() as td:
        synth = os.path.join(td, "kernel.bin")
        with open(synth, "wb") as f:
            f.write(bytes(i % 251 for i in range(SYNTH_LEN)))
        fw = os.path.join(REPO, "tests/data/snp/measure/ovmf_AmdSev_suffix.bin")
        doc["sets"].append(record_set(a.oracle, "testdata", fw, "data:snp/measure/ovmf_AmdSev_suffix.bin",
                                      synth, synth_desc))
        if a.image and os.path.exists(os.path.join(a.image, "ovmf-amdsev.fd")):
            doc["sets"].append(record_set(a.oracle, "image-firmware", os.path.join(a.image, "ovmf-amdsev.fd"),
                                          "source:build/image/ovmf-amdsev.fd", synth, synth_desc))
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()

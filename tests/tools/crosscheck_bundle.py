#!/usr/bin/env python3
"""Independent cross-check of a Kettle sim-snp bundle with python3-cryptography (not Kettle code):
the report signature (ECDSA P-384 over bytes 0..0x29F, R/S 72-byte little-endian) under the VCEK in evidence.json,
the VCEK -> ASK -> ARK signatures, REPORT_DATA = SHA-256(payload) || SHA-256(SPKI DER), the DSSE signature over PAE,
and every subject digest. Usage: crosscheck_bundle.py OUT_DIR"""
import base64, hashlib, json, os, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

d = sys.argv[1]
ev = json.load(open(os.path.join(d, "evidence.json")))
rep = base64.b64decode(ev["report"])
certs = {c["type"]: x509.load_der_x509_certificate(base64.b64decode(c["der"])) for c in ev["certificates"]}
r = int.from_bytes(rep[0x2A0:0x2A0 + 72], "little")
s = int.from_bytes(rep[0x2E8:0x2E8 + 72], "little")
certs["vcek"].public_key().verify(encode_dss_signature(r, s), rep[:0x2A0], ec.ECDSA(hashes.SHA384()))
for child, parent in (("vcek", "ask"), ("ask", "ark"), ("ark", "ark")):
    c, p = certs[child], certs[parent]
    p.public_key().verify(c.signature, c.tbs_certificate_bytes, ec.ECDSA(c.signature_hash_algorithm))
key = serialization.load_pem_public_key(ev["signing_key"].encode())
spki = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
env = json.loads(open(os.path.join(d, "provenance.intoto.jsonl")).read())
payload = base64.b64decode(env["payload"])
assert rep[0x50:0x90] == hashlib.sha256(payload).digest() + hashlib.sha256(spki).digest(), "REPORT_DATA binding"
pae = b"DSSEv1 %d %s %d %s" % (len(env["payloadType"]), env["payloadType"].encode(), len(payload), payload)
key.verify(base64.b64decode(env["signatures"][0]["sig"]), pae, ec.ECDSA(hashes.SHA256()))
assert env["signatures"][0]["keyid"] == hashlib.sha256(spki).hexdigest()
st = json.loads(payload)
for sub in st["subject"]:
    h = hashlib.sha256(open(os.path.join(d, "artifacts", sub["name"]), "rb").read()).hexdigest()
    assert h == sub["digest"]["sha256"], sub["name"]
print("crosscheck ok: report signature, chain, binding, DSSE, %d subjects" % len(st["subject"]))

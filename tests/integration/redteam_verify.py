#!/usr/bin/env python3
"""Hostile mutations of a good bundle against `kettle verify` (and `kettle inspect`).

redteam_verify.py KETTLE GOOD_BUNDLE -- VERIFY_ARGS...

Every mutation must make `kettle verify` exit 1 (never 0, never a crash or a signal, never a hang), except the
few listed as "same bytes" which re-encode without changing what is signed and must still verify. `kettle inspect`
must not crash or hang on any of them. Prints one line per attack and a count; exits 1 on the first failure.
"""
import base64, copy, hashlib, json, os, shutil, subprocess, sys, tempfile

kettle, good = sys.argv[1], sys.argv[2]
vargs = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []
T = tempfile.mkdtemp(prefix="kettle-redteam-")
fails = []
count = 0


def run(cmd, timeout=30):
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=timeout)
        return p.returncode, (p.stdout + p.stderr).decode(errors="replace")
    except subprocess.TimeoutExpired:
        return "TIMEOUT", ""


def load_json(p):
    return json.load(open(p))


def dump_jcs(o):
    return json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def attack(name, mutate, expect=1):
    global count
    count += 1
    d = os.path.join(T, "b%03d" % count)
    shutil.copytree(good, d, symlinks=True)
    mutate(d)
    rc, out = run([kettle, "verify", d] + vargs)
    failed_line = next((l for l in out.splitlines() if l.startswith("FAILED") or l.startswith("VERIFIED")), out.strip()[-200:])
    ok = rc == expect
    irc, iout = run([kettle, "inspect", d])
    if irc == "TIMEOUT" or (isinstance(irc, int) and (irc < 0 or irc >= 128)):
        ok = False
        failed_line += " | inspect rc %s" % irc
    print("%-4s %-60s verify rc %s  %s" % ("ok" if ok else "BAD", name, rc, failed_line))
    if not ok:
        fails.append(name)
    shutil.rmtree(d, ignore_errors=True)


def edit_evidence(fn):
    def m(d):
        p = os.path.join(d, "evidence.json")
        ev = load_json(p)
        fn(ev)
        open(p, "w").write(dump_jcs(ev) + "\n")
    return m


def edit_envelope(fn):
    def m(d):
        p = os.path.join(d, "provenance.intoto.jsonl")
        env = json.loads(open(p).read())
        fn(env)
        open(p, "w").write(json.dumps(env, separators=(",", ":")) + "\n")
    return m


def edit_statement(fn):
    def f(env):
        st = json.loads(base64.b64decode(env["payload"]))
        fn(st)
        env["payload"] = base64.b64encode(dump_jcs(st).encode()).decode()
    return edit_envelope(f)


def raw_edit(name, fn):
    def m(d):
        p = os.path.join(d, name)
        b = open(p, "rb").read()
        os.remove(p)
        open(p, "wb").write(fn(b))
    return m


def report_edit(fn):
    def f(ev):
        r = bytearray(base64.b64decode(ev["report"]))
        fn(r)
        ev["report"] = base64.b64encode(bytes(r)).decode()
    return edit_evidence(f)


def setb(off, val):
    def f(r):
        r[off] = val
    return f


# Baseline: the good bundle verifies.
attack("baseline (must verify)", lambda d: None, expect=0)

# --- re-encodings that keep the signed bytes (must still verify)
attack("same bytes: envelope payload in URL-safe base64 without padding",
       edit_envelope(lambda e: e.update(payload=base64.urlsafe_b64encode(base64.b64decode(e["payload"])).decode().rstrip("="))), expect=0)
attack("same bytes: envelope without keyid", edit_envelope(lambda e: e["signatures"][0].pop("keyid")), expect=0)

# --- evidence.json
ev_text = lambda d: open(os.path.join(d, "evidence.json")).read()
attack("evidence: duplicate key platform sim-snp/snp",
       raw_edit("evidence.json", lambda b: b.replace(b'"platform":"sim-snp"', b'"platform":"sim-snp","platform":"snp"')))
attack("evidence: duplicate key platform snp/sim-snp",
       raw_edit("evidence.json", lambda b: b.replace(b'"platform":"sim-snp"', b'"platform":"snp","platform":"sim-snp"')))
attack("evidence: escaped duplicate key \\u0070latform",
       raw_edit("evidence.json", lambda b: b.replace(b'"platform":"sim-snp"', b'"platform":"sim-snp","\\u0070latform":"snp"')))
attack("evidence: platform snp with the sim chain", edit_evidence(lambda e: e.update(platform="snp")))
attack("evidence: platform tdx with an SNP report", edit_evidence(lambda e: e.update(platform="tdx")))
attack("evidence: platform none", edit_evidence(lambda e: e.update(platform="none")))
attack("evidence: platform SIM-SNP (case)", edit_evidence(lambda e: e.update(platform="SIM-SNP")))
attack("evidence: schema v2", edit_evidence(lambda e: e.update(schema="kettle-evidence/v2")))
attack("evidence: layout other", edit_evidence(lambda e: e.update(report_data_layout="raw")))
attack("evidence: no certificates", edit_evidence(lambda e: e.update(certificates=[])))
attack("evidence: ark dropped (sim root only from evidence)", edit_evidence(lambda e: e.update(certificates=[c for c in e["certificates"] if c["type"] != "ark"])))
attack("evidence: two vceks", edit_evidence(lambda e: e["certificates"].append(copy.deepcopy([c for c in e["certificates"] if c["type"] == "vcek"][0]))))
attack("same content: vcek labelled vlek (the label is a hint; the kind comes from the certificate)", expect=0, mutate=edit_evidence(lambda e: [c.update(type="vlek") for c in e["certificates"] if c["type"] == "vcek"]))
attack("evidence: unknown cert type", edit_evidence(lambda e: e["certificates"].append({"type": "root", "der": "AA=="})))
attack("evidence: 17 certificates", edit_evidence(lambda e: e.update(certificates=e["certificates"] + [copy.deepcopy(e["certificates"][-1]) for _ in range(17)])))
attack("evidence: report truncated to 1183 bytes", report_edit(lambda r: r.__delitem__(slice(1183, None))))
attack("evidence: report with 1 byte appended", report_edit(lambda r: r.append(0)))
attack("evidence: report base64 with a newline", edit_evidence(lambda e: e.update(report=e["report"][:40] + "\n" + e["report"][40:])))
attack("evidence: report base64 mixed alphabets", edit_evidence(lambda e: e.update(report=e["report"].replace("+", "-", 1) if "+" in e["report"] and "/" in e["report"] else e["report"] + "!")))
attack("evidence: report as a number", edit_evidence(lambda e: e.update(report=5)))
attack("evidence: two PUBLIC KEY blocks", edit_evidence(lambda e: e.update(signing_key=e["signing_key"] + e["signing_key"])))
attack("evidence: signing key replaced by a fresh one", edit_evidence(lambda e: e.update(signing_key=subprocess.run(
    "openssl ecparam -name prime256v1 -genkey -noout | openssl ec -pubout 2>/dev/null", shell=True, capture_output=True, text=True).stdout)))
attack("evidence: signing key with trailing junk in the DER",
       edit_evidence(lambda e: e.update(signing_key="-----BEGIN PUBLIC KEY-----\n" + base64.encodebytes(
           base64.b64decode("".join(e["signing_key"].splitlines()[1:-1])) + b"\0").decode() + "-----END PUBLIC KEY-----\n")))
attack("same content: evidence.json with a UTF-8 BOM", raw_edit("evidence.json", lambda b: b"\xef\xbb\xbf" + b), expect=0)
attack("evidence: UTF-16", raw_edit("evidence.json", lambda b: b.decode().encode("utf-16")))
attack("evidence: deep nesting", raw_edit("evidence.json", lambda b: b"[" * 300000 + b"]" * 300000))
attack("evidence: huge integer", raw_edit("evidence.json", lambda b: b[:-2] + b',"x":123456789012345678901234567890}\n'))
attack("evidence: trailing garbage", raw_edit("evidence.json", lambda b: b + b"{}"))
attack("evidence: empty file", raw_edit("evidence.json", lambda b: b""))
attack("evidence: 5 MiB file", raw_edit("evidence.json", lambda b: b[:-2] + b',"pad":"' + b"A" * (5 << 20) + b'"}\n'))

# --- REPORT fields (signature covers 0..0x29F; everything below must fail)
attack("report: REPORT_DATA[0] flipped", report_edit(lambda r: r.__setitem__(0x50, r[0x50] ^ 1)))
attack("report: REPORT_DATA[63] flipped", report_edit(lambda r: r.__setitem__(0x8F, r[0x8F] ^ 1)))
attack("report: MEASUREMENT flipped", report_edit(lambda r: r.__setitem__(0x90, r[0x90] ^ 1)))
attack("report: HOST_DATA flipped", report_edit(lambda r: r.__setitem__(0xC0, r[0xC0] ^ 1)))
attack("report: DEBUG bit set", report_edit(lambda r: r.__setitem__(0x0A, r[0x0A] | 0x08)))
attack("report: VMPL 1", report_edit(lambda r: r.__setitem__(0x30, 1)))
attack("report: SIGNATURE_ALGO 2", report_edit(lambda r: r.__setitem__(0x34, 2)))
attack("report: VERSION 6", report_edit(lambda r: r.__setitem__(0, 6)))
attack("report: signature R zeroed", report_edit(lambda r: r.__setitem__(slice(0x2A0, 0x2A0 + 72), bytes(72))))
attack("report: signature S high byte nonzero", report_edit(lambda r: r.__setitem__(0x2E8 + 71, 1)))
attack("report: unsigned tail byte 0x4A0 set", report_edit(lambda r: r.__setitem__(0x4A0 - 1, 1)))
attack("report: must-be-zero 0x1F8 set", report_edit(lambda r: r.__setitem__(0x1F8, 1)))
attack("report: SIGNING_KEY 1 (VLEK)", report_edit(lambda r: r.__setitem__(0x48, r[0x48] | 0x04)))
attack("report: CHIP_ID flipped", report_edit(lambda r: r.__setitem__(0x1A0, r[0x1A0] ^ 1)))
attack("report: REPORTED_TCB changed", report_edit(lambda r: r.__setitem__(0x180, r[0x180] ^ 1)))


# --- a real-looking AMD chain under a self-made ARK (not AMD's pinned one), report re-signed with its VCEK
def forge_chain(root_cn, platform):
    from cryptography import x509 as X
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
    from cryptography.x509.oid import NameOID
    import datetime

    def m(d):
        p = os.path.join(d, "evidence.json")
        ev = load_json(p)
        r = bytearray(base64.b64decode(ev["report"]))
        fam, mod = r[0x188], r[0x189]
        prod = {(0x19, 0x01): "Milan", (0x19, 0x11): "Genoa", (0x1A, 0x02): "Turin"}.get((fam, mod), "Milan")
        sim_vcek = X.load_der_x509_certificate(base64.b64decode([c for c in ev["certificates"] if c["type"] == "vcek"][0]["der"]))
        now = datetime.datetime.now(datetime.timezone.utc)
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48)
        name = lambda cn: X.Name([X.NameAttribute(NameOID.COMMON_NAME, cn)])
        ark_key = rsa.generate_private_key(65537, 2048)
        ask_key = rsa.generate_private_key(65537, 2048)
        vek_key = ec.generate_private_key(ec.SECP384R1())
        def cert(subj, iss, pub, key, ca, exts=()):
            b = (X.CertificateBuilder().subject_name(name(subj)).issuer_name(name(iss)).public_key(pub)
                 .serial_number(X.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                 .not_valid_after(now + datetime.timedelta(days=3650)))
            if ca:
                b = b.add_extension(X.BasicConstraints(ca=True, path_length=None), critical=True)
            for e in exts:
                b = b.add_extension(e.value, critical=e.critical)
            return b.sign(key, hashes.SHA384(), rsa_padding=pss)
        ark = cert(root_cn, root_cn, ark_key.public_key(), ark_key, True)
        ask = cert("SEV-" + prod, root_cn, ask_key.public_key(), ark_key, True)
        amd_exts = [e for e in sim_vcek.extensions if e.oid.dotted_string.startswith("1.3.6.1.4.1.3704.")]
        vek = cert("SEV-VCEK", "SEV-" + prod, vek_key.public_key(), ask_key, False, amd_exts)
        der = lambda c: base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode()
        ev["certificates"] = [{"type": "vcek", "der": der(vek)}, {"type": "ask", "der": der(ask)}, {"type": "ark", "der": der(ark)}]
        ev["platform"] = platform
        sig = vek_key.sign(bytes(r[:0x2A0]), ec.ECDSA(hashes.SHA384()))
        R, S = utils.decode_dss_signature(sig)
        r[0x2A0:0x2A0 + 72] = R.to_bytes(72, "little")
        r[0x2E8:0x2E8 + 72] = S.to_bytes(72, "little")
        ev["report"] = base64.b64encode(bytes(r)).decode()
        open(p, "w").write(dump_jcs(ev) + "\n")
    return m


attack("chain: self-made ARK-<product> root, platform snp", forge_chain("ARK-Milan", "snp"))
attack("chain: self-made ARK-<product> root, platform sim-snp", forge_chain("ARK-Milan", "sim-snp"))
attack("chain: self-made KETTLE-SIM root presented as platform snp", forge_chain("ARK-Milan KETTLE-SIM", "snp"))

# --- envelope and statement
attack("envelope: second signature (copy)", edit_envelope(lambda e: e["signatures"].append(copy.deepcopy(e["signatures"][0]))))
attack("envelope: no signatures", edit_envelope(lambda e: e.update(signatures=[])))
attack("envelope: keyid of another key", edit_envelope(lambda e: e["signatures"][0].update(keyid="0" * 64)))
attack("envelope: keyid upper-case", edit_envelope(lambda e: e["signatures"][0].update(keyid=e["signatures"][0].get("keyid", "").upper())))
attack("envelope: keyid as a number", edit_envelope(lambda e: e["signatures"][0].update(keyid=1)))
attack("envelope: payloadType json", edit_envelope(lambda e: e.update(payloadType="application/json")))
attack("envelope: signature bit flip", edit_envelope(lambda e: e["signatures"][0].update(sig=base64.b64encode(bytes([base64.b64decode(e["signatures"][0]["sig"])[0]]) + bytes([base64.b64decode(e["signatures"][0]["sig"])[1] ^ 1]) + base64.b64decode(e["signatures"][0]["sig"])[2:]).decode())))
attack("envelope: two lines", raw_edit("provenance.intoto.jsonl", lambda b: b + b))
attack("same bytes: envelope line ends in CRLF", raw_edit("provenance.intoto.jsonl", lambda b: b.rstrip(b"\n") + b"\r\n"), expect=0)
attack("envelope: duplicate payload key", raw_edit("provenance.intoto.jsonl", lambda b: b.replace(b'"payload":', b'"payload":"e30=","payload":', 1)))
attack("statement: payload with a trailing space (bytes differ)",
       edit_envelope(lambda e: e.update(payload=base64.b64encode(base64.b64decode(e["payload"]) + b" ").decode())))
attack("statement: payload re-serialized with spaces",
       edit_envelope(lambda e: e.update(payload=base64.b64encode(json.dumps(json.loads(base64.b64decode(e["payload"]))).encode()).decode())))
attack("statement: subject digest changed", edit_statement(lambda s: s["subject"][0]["digest"].update(sha256="0" * 64)))
attack("statement: builder.id snp", edit_statement(lambda s: s["predicate"]["runDetails"]["builder"].update(id="https://kettle-build.org/builders/snp/v1")))
attack("statement: nonce changed", edit_statement(lambda s: s["predicate"]["buildDefinition"]["externalParameters"].update(nonce="ffff")))

# --- artifacts and byproducts
first_artifact = None
for root, dirs, files in os.walk(os.path.join(good, "artifacts")):
    for f in files:
        first_artifact = os.path.relpath(os.path.join(root, f), good)
        break
    if first_artifact:
        break


def symlink_artifact_out(d):
    p = os.path.join(d, first_artifact)
    shutil.copy(p, os.path.join(T, "outside-artifact"))
    os.remove(p)
    os.symlink(os.path.join(T, "outside-artifact"), p)


def fifo(name):
    def m(d):
        p = os.path.join(d, name)
        if os.path.lexists(p):
            os.remove(p)
        os.mkfifo(p)
    return m


def link(name, target):
    def m(d):
        p = os.path.join(d, name)
        if os.path.lexists(p):
            os.remove(p)
        os.symlink(target, p)
    return m


def artifacts_dir_symlink(d):
    shutil.move(os.path.join(d, "artifacts"), os.path.join(d, "real-artifacts"))
    os.symlink("real-artifacts", os.path.join(d, "artifacts"))


def evidence_symlink_out(d):
    shutil.copy(os.path.join(d, "evidence.json"), os.path.join(T, "outside-evidence.json"))
    os.remove(os.path.join(d, "evidence.json"))
    os.symlink(os.path.join(T, "outside-evidence.json"), os.path.join(d, "evidence.json"))


def envelope_symlink_out(d):
    shutil.copy(os.path.join(d, "provenance.intoto.jsonl"), os.path.join(T, "outside.jsonl"))
    os.remove(os.path.join(d, "provenance.intoto.jsonl"))
    os.symlink(os.path.join(T, "outside.jsonl"), os.path.join(d, "provenance.intoto.jsonl"))


def hardlink_artifact_dir_entry(d):
    os.makedirs(os.path.join(d, "artifacts", "extra"), exist_ok=True)


attack("artifacts: a subject is a symlink to an identical file outside", symlink_artifact_out)
attack("artifacts: artifacts/ is a symlink to a good copy", artifacts_dir_symlink)
attack("artifacts: a subject replaced by a FIFO", fifo(first_artifact))
attack("artifacts: an extra FIFO", fifo("artifacts/extra.fifo"))
attack("artifacts: an extra symlink to /etc/passwd", link("artifacts/passwd", "/etc/passwd"))
attack("artifacts: an extra empty directory (allowed: no file)", hardlink_artifact_dir_entry, expect=0)
attack("byproduct: build.log is a FIFO", fifo("build.log"))
attack("byproduct: build.log -> /dev/zero", link("build.log", "/dev/zero"))
attack("byproduct: build.log removed", lambda d: os.remove(os.path.join(d, "build.log")))
attack("bundle: evidence.json is a FIFO", fifo("evidence.json"))
attack("bundle: evidence.json -> /dev/zero", link("evidence.json", "/dev/zero"))
attack("bundle: evidence.json -> identical copy outside the bundle", evidence_symlink_out)
attack("bundle: provenance.intoto.jsonl is a FIFO", fifo("provenance.intoto.jsonl"))
attack("bundle: provenance.intoto.jsonl -> identical copy outside", envelope_symlink_out)
attack("bundle: provenance.intoto.jsonl is a directory", lambda d: (os.remove(os.path.join(d, "provenance.intoto.jsonl")), os.mkdir(os.path.join(d, "provenance.intoto.jsonl"))))
attack("bundle: status.json -> /dev/zero (inspect must end)", link("status.json", "/dev/zero"), expect=0)
attack("bundle: status.json is a FIFO (inspect must end)", fifo("status.json"), expect=0)

shutil.rmtree(T, ignore_errors=True)
print("%d attacks, %d unexpected results" % (count, len(fails)))
for f in fails:
    print("UNEXPECTED: " + f)
sys.exit(1 if fails else 0)

// Google's TDX launch endorsement: parse (bounded protobuf reader) and verify (see gcp_endorsement.hpp).
#include "kettle/tdx/gcp_endorsement.hpp"

#include <algorithm>
#include <set>

#include <mbedtls/x509_crt.h>

#include "kettle/core/error.hpp"
#include "kettle/core/protobuf.hpp"
#include "kettle/core/x509.hpp"

namespace kettle::tdx {

namespace {

using protobuf::Field;
using protobuf::Reader;
using protobuf::WireType;

// A singular field seen twice is refused (Google's serializer never writes one twice; "last wins" would let two
// readers see different values).
void once(std::set<std::uint32_t>& seen, const Field& f, const std::string& what) {
    if (!seen.insert(f.number).second) throw Error(what + ": field " + std::to_string(f.number) + " appears twice");
}

std::uint32_t uint32_of(const Field& f, const std::string& what) {
    protobuf::expect_type(f, WireType::varint, what);
    if (f.varint > 0xffffffffu) throw Error(what + ": field " + std::to_string(f.number) + " exceeds uint32");
    return static_cast<std::uint32_t>(f.varint);
}

Bytes bytes_of(const Field& f, const std::string& what) {
    protobuf::expect_type(f, WireType::len, what);
    return Bytes(f.bytes.begin(), f.bytes.end());
}

// google.protobuf.Timestamp {1: seconds int64, 2: nanos int32}: the seconds, within 0001-01-01..9999-12-31.
std::int64_t parse_timestamp(ByteView m) {
    const std::string what = "endorsement: golden timestamp";
    Reader r(m, what);
    Field f;
    std::set<std::uint32_t> seen;
    std::int64_t seconds = 0;
    while (r.next(f)) {
        if (f.number != 1 && f.number != 2) continue;
        once(seen, f, what);
        protobuf::expect_type(f, WireType::varint, what);
        if (f.number == 1) seconds = static_cast<std::int64_t>(f.varint);
    }
    if (seconds < -62135596800LL || seconds > 253402300799LL) throw Error(what + ": seconds out of range");
    return seconds;
}

TdxGoldenMeasurement parse_tdx_measurement(ByteView m) {
    const std::string what = "endorsement: tdx measurement";
    Reader r(m, what);
    Field f;
    std::set<std::uint32_t> seen;
    TdxGoldenMeasurement out;
    while (r.next(f)) {
        if (f.number < 1 || f.number > 3) continue;
        once(seen, f, what);
        if (f.number == 1) out.ram_gib = uint32_of(f, what);
        else if (f.number == 2) out.early_accept = uint32_of(f, what) != 0;
        else out.mrtd = bytes_of(f, what);
    }
    if (out.mrtd.size() != 48) throw Error(what + ": MRTD is " + std::to_string(out.mrtd.size()) + " bytes, not 48");
    return out;
}

void parse_tdx(ByteView m, GoldenMeasurement& g) {
    const std::string what = "endorsement: golden tdx";
    Reader r(m, what);
    Field f;
    std::set<std::uint32_t> seen;
    g.has_tdx = true;
    while (r.next(f)) {
        if (f.number == 1) {
            once(seen, f, what);
            g.tdx_svn = uint32_of(f, what);
        } else if (f.number == 2) {
            protobuf::expect_type(f, WireType::len, what);
            if (g.tdx.size() >= kMaxTdxMeasurements) throw Error(what + ": more than 1024 measurements");
            g.tdx.push_back(parse_tdx_measurement(f.bytes));
        }
    }
}

// One known field of VMGoldenMeasurement into `g` (field 7, sev_snp, is left unread: only its wire type is held).
void golden_field(const Field& f, GoldenMeasurement& g, const std::string& what) {
    switch (f.number) {
    case 1: protobuf::expect_type(f, WireType::len, what); g.timestamp = parse_timestamp(f.bytes); break;
    case 2: protobuf::expect_type(f, WireType::varint, what); g.cl_spec = f.varint; break;
    case 3: g.commit = bytes_of(f, what); break;
    case 4: g.cert = bytes_of(f, what); break;
    case 5: g.uefi_digest = bytes_of(f, what); break;
    case 6: g.ca_bundle = bytes_of(f, what); break;
    case 7: protobuf::expect_type(f, WireType::len, what); break;
    case 8: protobuf::expect_type(f, WireType::len, what); parse_tdx(f.bytes, g); break;
    default: break;
    }
}

GoldenMeasurement parse_golden(ByteView m) {
    const std::string what = "endorsement: golden measurement";
    Reader r(m, what);
    Field f;
    std::set<std::uint32_t> seen;
    GoldenMeasurement g;
    while (r.next(f)) {
        if (f.number > 8) continue;  // unknown: skipped (the reader bounded it)
        once(seen, f, what);
        golden_field(f, g, what);
    }
    if (g.cert.empty()) throw Error(what + ": no signing certificate (field 4)");
    if (!g.uefi_digest.empty() && g.uefi_digest.size() != 48)
        throw Error(what + ": UEFI digest is " + std::to_string(g.uefi_digest.size()) + " bytes, not 48 (SHA-384)");
    return g;
}

}  // namespace

LaunchEndorsement parse_launch_endorsement(ByteView file) {
    if (file.size() > kMaxEndorsementBytes)
        throw Error("endorsement: " + std::to_string(file.size()) + " bytes, more than the limit of " +
                    std::to_string(kMaxEndorsementBytes));
    const std::string what = "endorsement: VMLaunchEndorsement";
    Reader r(file, what);
    Field f;
    std::set<std::uint32_t> seen;
    LaunchEndorsement e;
    bool have_golden = false, have_sig = false;
    while (r.next(f)) {
        if (f.number != 1 && f.number != 2) continue;
        once(seen, f, what);
        (f.number == 1 ? e.golden_bytes : e.signature) = bytes_of(f, what);
        (f.number == 1 ? have_golden : have_sig) = true;
    }
    if (!have_golden || e.golden_bytes.empty()) throw Error(what + ": no serialized_uefi_golden (field 1)");
    if (!have_sig || e.signature.empty()) throw Error(what + ": no signature (field 2)");
    e.golden = parse_golden(e.golden_bytes);
    return e;
}

EndorsementCheck verify_launch_endorsement(ByteView file, ByteView root_data, ByteView mrtd, std::int64_t now) {
    if (mrtd.size() != 48) throw Error("endorsement: the quote's MRTD is not 48 bytes");
    EndorsementCheck out{parse_launch_endorsement(file), {}, "", "", {}};
    out.root_from_ca_bundle = root_data.empty();
    const std::string source = out.root_from_ca_bundle ? "the endorsement's ca_bundle" : "the GCE TCB root file";
    const ByteView root_bytes = out.root_from_ca_bundle ? ByteView(out.endorsement.golden.ca_bundle) : root_data;
    if (root_bytes.empty()) throw Error("endorsement: no GCE TCB root: no root file given and the ca_bundle (field 6) is empty");
    const std::string root_what = "endorsement: GCE TCB root (" + source + ")";
    const std::vector<Bytes> roots = x509::load_certs(root_bytes, root_what.c_str());
    if (roots.size() != 1) throw Error("endorsement: " + source + " must hold exactly one certificate, not " + std::to_string(roots.size()));
    const x509::Cert root = x509::Cert::parse(roots[0], "endorsement: GCE TCB root");
    const x509::Cert cert = x509::Cert::parse(out.endorsement.golden.cert, "endorsement: signing certificate");
    x509::verify_signed_by(root, root, "endorsement: GCE TCB root (self-signed)");
    x509::verify_signed_by(cert, root, "endorsement: signing certificate");
    x509::check_validity(root, now, "endorsement: GCE TCB root");
    x509::check_validity(cert, now, "endorsement: signing certificate");
    if (mbedtls_x509_crt_check_key_usage(cert.raw(), MBEDTLS_X509_KU_DIGITAL_SIGNATURE) != 0)
        throw Error("endorsement: signing certificate '" + cert.subject_cn() + "' may not sign (keyUsage)");
    if (!x509::rsa_pss_sha256_verify(cert, out.endorsement.golden_bytes, out.endorsement.signature))
        throw Error("endorsement: the signature over the golden measurement does not verify under '" +
                    cert.subject_cn() + "' (RSASSA-PSS SHA-256, salt 32)");
    const GoldenMeasurement& g = out.endorsement.golden;
    if (!g.has_tdx || g.tdx.empty()) throw Error("endorsement: the golden measurement lists no TDX measurements");
    auto it = std::find_if(g.tdx.begin(), g.tdx.end(),
                           [&](const TdxGoldenMeasurement& m) { return std::equal(m.mrtd.begin(), m.mrtd.end(), mrtd.begin()); });
    if (it == g.tdx.end())
        throw Error("endorsement: MRTD " + hex(mrtd) + " is not among the " + std::to_string(g.tdx.size()) +
                    " TDX measurements Google endorsed for UEFI " + hex(g.uefi_digest));
    out.match = *it;
    out.signer_cn = cert.subject_cn();
    out.root_cn = root.subject_cn();
    out.root_sha256 = root.fingerprint();
    return out;
}

std::string check_root_pin(ByteView root_sha256, const std::optional<Bytes>& policy_pin) {
    if (policy_pin) {
        if (!equal_ct(*policy_pin, root_sha256))
            throw Error("endorsement: the GCE TCB root's SHA-256 " + hex(root_sha256) +
                        " is not the policy's gcp_tcb_root_sha256 " + hex(*policy_pin));
        return "the policy's gcp_tcb_root_sha256";
    }
    const ByteView google(kGceTcbRoot1Sha256, sizeof kGceTcbRoot1Sha256);
    if (!equal_ct(google, root_sha256))
        throw Error("endorsement: the GCE TCB root's SHA-256 " + hex(root_sha256) +
                    " is not Google's GCE-cc-tcb-root_1 (" + hex(google) +
                    ", built in); a private or test root is accepted only when the policy names it (gcp_tcb_root_sha256)");
    return "Google's GCE-cc-tcb-root_1 (built-in pin)";
}

}  // namespace kettle::tdx

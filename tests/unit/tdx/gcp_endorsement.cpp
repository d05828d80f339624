// Google's VMLaunchEndorsement for GCE TDX firmware. The fixtures (tests/data/gcp/endorsement/, README there) were
// made by protoc + python3-protobuf from gce-tcb-verifier's proto and signed by openssl with gce-tcb-verifier's
// public test keys: their expected values (facts.json) come from that script, not from this code. Google's real
// endorsement and root (tests/data/gcp/google/) are checked against the values openssl read from them.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/json.hpp"
#include "kettle/core/x509.hpp"
#include "kettle/tdx/gcp_endorsement.hpp"
#include "test_support.hpp"

using namespace kettle;
using Catch::Matchers::ContainsSubstring;

namespace {
Bytes fx(const std::string& name) { return read_file(test::fixture("gcp/endorsement/" + name)); }
Json facts() {
    Bytes b = fx("facts.json");
    return parse_strict(std::string(b.begin(), b.end()));
}
const std::int64_t kAt = 1767225600;  // 2026-01-01T00:00:00Z, inside the devkeys' validity (2024-09-03..2029-09-03)

std::string failure(const Bytes& file, ByteView root, ByteView mrtd, std::int64_t at = kAt) {
    try {
        tdx::verify_launch_endorsement(file, root, mrtd, at);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}
}  // namespace

TEST_CASE("gcp endorsement: the valid fixture verifies and says what Google signed", "[tdx][endorsement]") {
    const Json f = facts();
    const Bytes root = fx("devkeys-root.der"), mrtd = unhex(f["quote_mrtd"].get<std::string>());
    tdx::EndorsementCheck c = tdx::verify_launch_endorsement(fx("valid.binarypb"), root, mrtd, kAt);
    const tdx::GoldenMeasurement& g = c.endorsement.golden;
    CHECK(hex(g.uefi_digest) == f["uefi_digest"].get<std::string>());
    CHECK(g.timestamp == f["timestamp"].get<std::int64_t>());
    CHECK(g.tdx_svn == f["svn"].get<std::uint32_t>());
    REQUIRE(g.tdx.size() == 2);
    CHECK(hex(g.tdx[0].mrtd) == f["listed_mrtds"][0].get<std::string>());
    CHECK(hex(c.match.mrtd) == f["quote_mrtd"].get<std::string>());
    CHECK(c.match.ram_gib == 4);
    CHECK(c.match.early_accept);
    CHECK(hex(c.root_sha256) == f["devkeys_root_sha256"].get<std::string>());
    CHECK(c.signer_cn == "GCE-uefi-signer");
    CHECK(c.root_cn == "GCE-cc-tcb-root");
    // The root as PEM works as well as DER.
    CHECK(failure(fx("valid.binarypb"), as_bytes(x509::to_pem(root, "CERTIFICATE")), mrtd).empty());
    // Unknown fields inside the signed golden are skipped.
    CHECK(failure(fx("unknown_fields.binarypb"), root, mrtd).empty());
}

TEST_CASE("gcp endorsement: every defect is a failure naming it", "[tdx][endorsement]") {
    const Json f = facts();
    const Bytes root = fx("devkeys-root.der"), mrtd = unhex(f["quote_mrtd"].get<std::string>());
    const Bytes valid = fx("valid.binarypb");
    CHECK_THAT(failure(fx("mrtd_not_listed.binarypb"), root, mrtd), ContainsSubstring("is not among the 2 TDX measurements"));
    CHECK_THAT(failure(valid, root, unhex(f["other_mrtds"][1].get<std::string>())), ContainsSubstring("is not among"));
    CHECK_THAT(failure(fx("other_root.binarypb"), root, mrtd), ContainsSubstring("signing certificate: issuer"));
    CHECK_THAT(failure(fx("forged_cert.binarypb"), root, mrtd), ContainsSubstring("does not verify under"));
    CHECK_THAT(failure(valid, fx("other-root.der"), mrtd), ContainsSubstring("signing certificate: issuer"));
    CHECK_THAT(failure(fx("wrong_wire_type.binarypb"), root, mrtd), ContainsSubstring("field 4 has wire type VARINT, expected LEN"));
    CHECK_THAT(failure(fx("short_mrtd.binarypb"), root, mrtd), ContainsSubstring("MRTD is 47 bytes"));
    CHECK_THAT(failure(fx("overlong.binarypb"), root, mrtd), ContainsSubstring("remain"));
    CHECK_THAT(failure(valid, root, mrtd, 1893456000), ContainsSubstring("expired"));  // 2030-01-01
    CHECK_THAT(failure(valid, root, mrtd, 1704067200), ContainsSubstring("not valid before"));  // 2024-01-01
    CHECK_THAT(failure(Bytes(tdx::kMaxEndorsementBytes + 1, 0), root, mrtd), ContainsSubstring("more than the limit"));
    CHECK_THAT(failure({}, root, mrtd), ContainsSubstring("no serialized_uefi_golden"));
    CHECK_THAT(failure(valid, as_bytes("not a certificate"), mrtd), ContainsSubstring("GCE TCB root"));
}

TEST_CASE("gcp endorsement: a flipped signature byte or golden byte fails, every truncation fails", "[tdx][endorsement]") {
    const Json f = facts();
    const Bytes root = fx("devkeys-root.der"), mrtd = unhex(f["quote_mrtd"].get<std::string>());
    const Bytes valid = fx("valid.binarypb");
    Bytes sig = valid;
    sig.back() ^= 1;  // the signature is the last field
    CHECK_THAT(failure(sig, root, mrtd), ContainsSubstring("signature over the golden measurement does not verify"));
    // Every single-byte flip of the file fails (the whole file is either framing, signed golden or signature).
    std::size_t passed = 0;
    for (std::size_t i = 0; i < valid.size(); ++i) {
        Bytes b = valid;
        b[i] ^= 0x01;
        if (failure(b, root, mrtd).empty()) ++passed;
    }
    CHECK(passed == 0);
    for (std::size_t n = 0; n < valid.size(); ++n)
        CHECK_FALSE(failure(Bytes(valid.begin(), valid.begin() + static_cast<std::ptrdiff_t>(n)), root, mrtd).empty());
}

// Google's real endorsement and root (tests/data/gcp/google/README.md): their facts were read with openssl and a
// protobuf wire reader of the README, not with this code. The chain and signature are checked at the instant the
// archiving verifier recorded (2026-10-01T16:54:33Z), inside the signing certificate's validity
// (2026-05-05T20:01:05Z .. 2031-05-05T20:01:05Z).
namespace {
Bytes google(const std::string& name) { return read_file(test::fixture("gcp/google/" + name)); }
const std::int64_t kGoogleAt = 1790873673;
const char* kGoogleMrtd = "c1ee9c16e3afc506cfe042c5b846a368528f3b37618eafb27469bc114cf914e9222c91618470e7f2b28ac360968270a5";
const char* kGoogleRoot = "e876bc6978bf4f3da445f98a0a82363c8c0bae5a1fc033c6df65846a6cb0f18c";
}  // namespace

TEST_CASE("gcp endorsement: Google's real endorsement verifies under the pinned real root and names MRTD c1ee9c16",
          "[tdx][endorsement][gcp]") {
    const Bytes file = google("endorsement-c1ee9c16.binarypb"), root = google("GCE-cc-tcb-root_1.der");
    CHECK(hex(ByteView(tdx::kGceTcbRoot1Sha256, 32)) == kGoogleRoot);
    CHECK(hex(sha256(root)) == kGoogleRoot);
    tdx::EndorsementCheck c = tdx::verify_launch_endorsement(file, root, unhex(kGoogleMrtd), kGoogleAt);
    const tdx::GoldenMeasurement& g = c.endorsement.golden;
    CHECK(hex(c.root_sha256) == kGoogleRoot);
    CHECK(c.root_cn == "GCE-cc-tcb-root");
    CHECK(c.signer_cn == "GCE-uefi-signer");
    CHECK(g.timestamp == 1779407565);  // 2026-05-21T23:52:45Z
    CHECK(g.cl_spec == 919307640u);
    CHECK(hex(g.uefi_digest) == "53c558fe06714203d7428484c46ee7c0b9df748a9789e173421c28d097115b30efb8476304617532488ab40c3122db88");
    CHECK(g.tdx_svn == 2);
    REQUIRE(g.tdx.size() == 1);
    CHECK(hex(c.match.mrtd) == kGoogleMrtd);
    CHECK(c.match.ram_gib == 0);  // absent in Google's file: proto3 default
    CHECK_FALSE(c.match.early_accept);
    CHECK(c.endorsement.signature.size() == 512);
    CHECK(c.endorsement.golden_bytes.size() == 4790);
    // The pin: no policy value means Google's root; a policy value replaces it.
    CHECK(tdx::check_root_pin(c.root_sha256, std::nullopt) == "Google's GCE-cc-tcb-root_1 (built-in pin)");
    CHECK(tdx::check_root_pin(c.root_sha256, unhex(kGoogleRoot)) == "the policy's gcp_tcb_root_sha256");
    // The PEM form of the root works too.
    CHECK(failure(file, as_bytes(x509::to_pem(root, "CERTIFICATE")), unhex(kGoogleMrtd), kGoogleAt).empty());
}

TEST_CASE("gcp endorsement: another root is refused unless the policy names it, and then Google's is refused",
          "[tdx][endorsement][gcp]") {
    const Bytes google_fp = unhex(kGoogleRoot);
    const Bytes devkeys_fp = sha256(fx("devkeys-root.der"));
    try {
        tdx::check_root_pin(devkeys_fp, std::nullopt);
        FAIL("the test root passed the built-in pin");
    } catch (const Error& e) {
        CHECK_THAT(e.what(), ContainsSubstring("is not Google's GCE-cc-tcb-root_1"));
        CHECK_THAT(e.what(), ContainsSubstring(kGoogleRoot));
        CHECK_THAT(e.what(), ContainsSubstring("gcp_tcb_root_sha256"));
    }
    CHECK(tdx::check_root_pin(devkeys_fp, devkeys_fp) == "the policy's gcp_tcb_root_sha256");
    CHECK_THROWS_WITH(tdx::check_root_pin(google_fp, devkeys_fp), ContainsSubstring("is not the policy's gcp_tcb_root_sha256"));
    Bytes one_bit = google_fp;
    one_bit[31] ^= 1;
    CHECK_THROWS_WITH(tdx::check_root_pin(one_bit, std::nullopt), ContainsSubstring("is not Google's"));
    // Google's endorsement does not verify under the test root (and the test endorsement not under Google's).
    const Bytes mrtd = unhex(kGoogleMrtd);
    CHECK_THAT(failure(google("endorsement-c1ee9c16.binarypb"), fx("devkeys-root.der"), mrtd, kGoogleAt),
               ContainsSubstring("signing certificate"));
    CHECK_FALSE(failure(fx("valid.binarypb"), google("GCE-cc-tcb-root_1.der"), unhex(facts()["quote_mrtd"].get<std::string>()))
                    .empty());
}

TEST_CASE("gcp endorsement: Google's real file fails for another MRTD, a flipped byte, outside its validity",
          "[tdx][endorsement][gcp]") {
    const Bytes file = google("endorsement-c1ee9c16.binarypb"), root = google("GCE-cc-tcb-root_1.der");
    const Bytes mrtd = unhex(kGoogleMrtd);
    Bytes other = mrtd;
    other[47] ^= 1;
    CHECK_THAT(failure(file, root, other, kGoogleAt), ContainsSubstring("is not among the 1 TDX measurements"));
    CHECK_THAT(failure(file, root, Bytes(48, 0x11), kGoogleAt), ContainsSubstring("is not among"));
    // The signature is the last 512 bytes; the golden (with the signing certificate inside it) comes before.
    Bytes sig = file;
    sig[sig.size() - 100] ^= 0x01;
    CHECK_THAT(failure(sig, root, mrtd, kGoogleAt), ContainsSubstring("signature over the golden measurement does not verify"));
    Bytes body = file;
    body[3000] ^= 0x01;  // in the golden's PEM ca_bundle (file bytes 1646..3828, not otherwise read): the signature catches it
    CHECK_THAT(failure(body, root, mrtd, kGoogleAt), ContainsSubstring("signature over the golden measurement does not verify"));
    Bytes cert = file;
    cert[1500] ^= 0x01;  // inside the signing certificate's own signature (the DER spans file bytes 26..1592)
    CHECK_FALSE(failure(cert, root, mrtd, kGoogleAt).empty());
    Bytes mrtd_byte = file;
    mrtd_byte[3 + 4790 - 1] ^= 0x01;  // the golden (file bytes 3..4792) ends with the MRTD's last byte
    CHECK_FALSE(failure(mrtd_byte, root, mrtd, kGoogleAt).empty());
    // Time: the signing certificate is valid 2026-05-05T20:01:05Z .. 2031-05-05T20:01:05Z.
    CHECK(failure(file, root, mrtd, 1778011266).empty());                                // 2026-05-05T20:01:06Z
    CHECK_THAT(failure(file, root, mrtd, 1778011264), ContainsSubstring("not valid before"));  // 2026-05-05T20:01:04Z
    CHECK(failure(file, root, mrtd, 1935777664).empty());                                // 2031-05-05T20:01:04Z
    CHECK_THAT(failure(file, root, mrtd, 1935777666), ContainsSubstring("expired"));          // 2031-05-05T20:01:06Z
    CHECK_THAT(failure(file, root, mrtd, 2000000000), ContainsSubstring("expired"));
}

namespace {
// Protobuf framing for the tests below: a varint, and one length-delimited field (tag, length, bytes).
Bytes varint(std::size_t n) {
    Bytes out;
    for (; n >= 0x80; n >>= 7) out.push_back(static_cast<std::uint8_t>(n | 0x80));
    out.push_back(static_cast<std::uint8_t>(n));
    return out;
}
Bytes len_field(std::uint32_t number, ByteView data) {
    Bytes out = varint(number << 3 | 2), n = varint(data.size());
    out.insert(out.end(), n.begin(), n.end());
    out.insert(out.end(), data.begin(), data.end());
    return out;
}
// Google's real file with the golden's ca_bundle (field 6: tag at file byte 1643, length 2183 at 1644..1645, PEM at
// 1646..3828; golden at 3..4792, signature field from 4793, read with a protobuf wire reader) replaced by `bundle`.
// The signature then no longer covers the golden: only checks made before it are meaningful on such a file.
Bytes with_ca_bundle(ByteView bundle) {
    const Bytes file = google("endorsement-c1ee9c16.binarypb");
    Bytes golden(file.begin() + 3, file.begin() + 1643);
    const Bytes f6 = len_field(6, bundle);
    golden.insert(golden.end(), f6.begin(), f6.end());
    golden.insert(golden.end(), file.begin() + 3829, file.begin() + 4793);
    Bytes out = len_field(1, golden);
    out.insert(out.end(), file.begin() + 4793, file.end());
    return out;
}
}  // namespace

TEST_CASE("gcp endorsement: without a root file the endorsement's own ca_bundle is the root, and the pin still decides",
          "[tdx][endorsement][gcp]") {
    const Bytes file = google("endorsement-c1ee9c16.binarypb"), mrtd = unhex(kGoogleMrtd);
    // Google's real ca_bundle holds GCE-cc-tcb-root_1 (its SHA-256 read from the file with openssl).
    tdx::EndorsementCheck c = tdx::verify_launch_endorsement(file, {}, mrtd, kGoogleAt);
    CHECK(c.root_from_ca_bundle);
    CHECK(hex(c.root_sha256) == kGoogleRoot);
    CHECK(c.root_cn == "GCE-cc-tcb-root");
    CHECK(tdx::check_root_pin(c.root_sha256, std::nullopt) == "Google's GCE-cc-tcb-root_1 (built-in pin)");
    CHECK_FALSE(tdx::verify_launch_endorsement(file, google("GCE-cc-tcb-root_1.der"), mrtd, kGoogleAt).root_from_ca_bundle);

    // The test fixture's ca_bundle holds gce-tcb-verifier's test root: it verifies, and the built-in pin refuses it.
    const Json f = facts();
    tdx::EndorsementCheck t = tdx::verify_launch_endorsement(fx("valid.binarypb"), {}, unhex(f["quote_mrtd"].get<std::string>()), kAt);
    CHECK(hex(t.root_sha256) == f["devkeys_root_sha256"].get<std::string>());
    CHECK_THROWS_WITH(tdx::check_root_pin(t.root_sha256, std::nullopt), ContainsSubstring("is not Google's GCE-cc-tcb-root_1"));

    // A flipped byte of the bundle's PEM fails (the root no longer parses or no longer signs the certificate, and the
    // signature covers it anyway).
    Bytes body = file;
    body[3000] ^= 0x01;
    CHECK_FALSE(failure(body, {}, mrtd, kGoogleAt).empty());
    // A bundle must hold exactly one certificate.
    const std::string pem = x509::to_pem(google("GCE-cc-tcb-root_1.der"), "CERTIFICATE");
    CHECK(with_ca_bundle(ByteView(file.data() + 1646, 2183)) == file);  // the framing helper is exact
    CHECK_THAT(failure(with_ca_bundle(as_bytes(pem + pem)), {}, mrtd, kGoogleAt),
               ContainsSubstring("the endorsement's ca_bundle must hold exactly one certificate, not 2"));
    CHECK_THAT(failure(with_ca_bundle({}), {}, mrtd, kGoogleAt), ContainsSubstring("the ca_bundle (field 6) is empty"));
    CHECK_FALSE(failure(with_ca_bundle(as_bytes("junk")), {}, mrtd, kGoogleAt).empty());
    // A root file, when given, is used instead of the bundle (the bundle is then not read).
    CHECK(failure(with_ca_bundle(as_bytes(pem + pem)), google("GCE-cc-tcb-root_1.der"), mrtd, kGoogleAt)
              .find("signature over the golden") != std::string::npos);
}

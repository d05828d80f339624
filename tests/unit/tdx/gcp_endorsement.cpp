// Google's VMLaunchEndorsement for GCE TDX firmware. The fixtures (tests/data/gcp/endorsement/, README there) were
// made by protoc + python3-protobuf from gce-tcb-verifier's proto and signed by openssl with gce-tcb-verifier's
// public test keys: their expected values (facts.json) come from that script, not from this code.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
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

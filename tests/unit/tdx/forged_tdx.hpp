// A test PKI that plays Intel (root, PCK Platform CA, PCK with the SGX extension, TCB signing certificate, CRLs,
// TCB info and QE identity signed as Intel PCS v4 signs them) and forges v4 TDX quotes over a TD report body it
// chooses; given as a trust root, its quotes verify. Shared by tests/unit/tdx/forgery.cpp (which explains why a
// forged QE verifies only with forged collateral) and the measured-boot bundle tests.
#pragma once
#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>

#include "kettle/core/bytes.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/json.hpp"
#include "kettle/core/x509.hpp"
#include "kettle/tdx/checks.hpp"
#include "kettle/tdx/quote.hpp"
#include "test_pki.hpp"
#include "test_support.hpp"

namespace {

using namespace kettle;
using namespace kettle::tdx;
using kettle::test::CertSpec;
using kettle::test::der_tlv;
using kettle::test::Key;
using kettle::test::Rng;
namespace forged_fs = std::filesystem;

const char* kIntelDn = ",O=Intel Corporation,L=Santa Clara,ST=CA,C=US";
constexpr const char* kNow = "2026-01-01T00:00:00Z";
const char* kFmspc = "00906ed50000";

Bytes oid_der(const char* dotted) {
    mbedtls_asn1_buf o{};
    REQUIRE(mbedtls_oid_from_numeric_string(&o, dotted, std::strlen(dotted)) == 0);
    Bytes out = der_tlv(0x06, ByteView(o.p, o.len));
    mbedtls_free(o.p);
    return out;
}

Bytes seq(std::initializer_list<Bytes> parts) {
    Bytes b;
    for (const Bytes& p : parts) b.insert(b.end(), p.begin(), p.end());
    return der_tlv(0x30, b);
}

// The PCK certificate's SGX extension (Intel SGX PCK Certificate and CRL Profile): TCB (16 SGX component SVNs,
// PCESVN) all `svn`, and the FMSPC.
Bytes sgx_extension(int svn) {
    Bytes comps;
    for (int i = 1; i <= 17; ++i) {
        Bytes c = seq({oid_der(("1.2.840.113741.1.13.1.2." + std::to_string(i)).c_str()), der_tlv(0x02, Bytes{static_cast<std::uint8_t>(svn)})});
        comps.insert(comps.end(), c.begin(), c.end());
    }
    return seq({seq({oid_der("1.2.840.113741.1.13.1.1"), der_tlv(0x04, Bytes(16, 0x11))}),
                seq({oid_der("1.2.840.113741.1.13.1.2"), der_tlv(0x30, comps)}),
                seq({oid_der("1.2.840.113741.1.13.1.4"), der_tlv(0x04, unhex(kFmspc))})});
}

// Intel PCS v4 style signed collateral: {"<key>":<member>,"signature":"<hex r||s over the member's bytes>"}.
std::string signed_json(Rng& rng, Key& signer, const std::string& key, const Json& member) {
    std::string body = member.dump();
    return "{\"" + key + "\":" + body + ",\"signature\":\"" + hex(signer.sign_raw_p256(rng, as_bytes(body))) + "\"}";
}

Bytes bytes_of(const std::string& s) { return Bytes(s.begin(), s.end()); }

void put(Bytes& b, std::size_t off, ByteView v) { std::copy(v.begin(), v.end(), b.begin() + static_cast<std::ptrdiff_t>(off)); }
void put_le16(Bytes& b, std::uint16_t v) { b.push_back(v & 0xff); b.push_back(v >> 8); }
void put_le32(Bytes& b, std::uint32_t v) { for (int i = 0; i < 4; ++i) b.push_back((v >> (8 * i)) & 0xff); }

// The forger's whole world: PKI, collateral and a v4 quote over a TD report body it chooses.
struct Forgery {
    Rng rng;
    Key root{rng, MBEDTLS_ECP_DP_SECP256R1}, pck_ca{rng, MBEDTLS_ECP_DP_SECP256R1}, pck{rng, MBEDTLS_ECP_DP_SECP256R1};
    Key tcb_signing{rng, MBEDTLS_ECP_DP_SECP256R1}, att{rng, MBEDTLS_ECP_DP_SECP256R1};
    Bytes root_der, pck_ca_der, pck_der, tcb_signing_der;
    std::string root_dn = std::string("CN=Kettle Test SGX Root CA,O=Kettle test");
    std::string ca_dn = std::string("CN=Intel SGX PCK Platform CA") + kIntelDn;
    Collateral col;
    Bytes qe_mrsigner = Bytes(32, 0xab);  // not Intel's QE signer (DC9E2A7C...)
    std::optional<std::array<Bytes, 4>> rtmrs;  // RTMR0..3 of the forged body (48 bytes each); the sample's when unset
    std::optional<Bytes> mrtd;                  // MRTD of the forged body (48 bytes); the sample's when unset
    std::string issue_date, next_update;        // the TCB info's and QE identity's validity window (RFC 3339)

    explicit Forgery(std::string issue = "2025-12-01T00:00:00Z", std::string next = "2026-02-01T00:00:00Z")
        : issue_date(std::move(issue)), next_update(std::move(next)) {
        CertSpec ca;
        ca.ca = true;
        ca.md = MBEDTLS_MD_SHA256;
        root_der = test::make_cert(rng, root, root, root_dn.c_str(), root_dn.c_str(), ca);
        pck_ca_der = test::make_cert(rng, pck_ca, root, ca_dn.c_str(), root_dn.c_str(), ca);
        CertSpec leaf;
        leaf.md = MBEDTLS_MD_SHA256;
        leaf.key_usage = MBEDTLS_X509_KU_DIGITAL_SIGNATURE | MBEDTLS_X509_KU_NON_REPUDIATION;
        leaf.serial = 7;
        leaf.exts = {{"1.2.840.113741.1.13.1", sgx_extension(5)}};
        pck_der = test::make_cert(rng, pck, pck_ca, (std::string("CN=Intel SGX PCK Certificate") + kIntelDn).c_str(), ca_dn.c_str(), leaf);
        leaf.exts.clear();
        leaf.serial = 9;
        tcb_signing_der = test::make_cert(rng, tcb_signing, root, (std::string("CN=Intel SGX TCB Signing") + kIntelDn).c_str(),
                                          root_dn.c_str(), leaf);
        col.tcb_signing_chain_pem = bytes_of(x509::to_pem(tcb_signing_der, "CERTIFICATE") + x509::to_pem(root_der, "CERTIFICATE"));
        col.pck_crl_der = test::make_crl(rng, pck_ca, pck_ca_der);
        col.root_crl_der = test::make_crl(rng, root, root_der);
        col.tcb_info_json = signed_json(rng, tcb_signing, "tcbInfo", tcb_info());
        col.qe_identity_json = signed_json(rng, tcb_signing, "enclaveIdentity", qe_identity());
    }
    Json tcb_info() const {
        Json sgx = Json::array(), tdxc = Json::array();
        for (int i = 0; i < 16; ++i) {
            sgx.push_back({{"svn", 0}});
            tdxc.push_back({{"svn", 0}});
        }
        return {{"id", "TDX"}, {"version", 3}, {"issueDate", issue_date}, {"nextUpdate", next_update},
                {"fmspc", kFmspc}, {"pceId", "0000"}, {"tcbType", 0}, {"tcbEvaluationDataNumber", 17},
                {"tcbLevels", Json::array({{{"tcb", {{"sgxtcbcomponents", sgx}, {"pcesvn", 0}, {"tdxtcbcomponents", tdxc}}},
                                            {"tcbDate", "2025-01-01T00:00:00Z"}, {"tcbStatus", "UpToDate"}}})}};
    }
    Json qe_identity() const {
        return {{"id", "TD_QE"}, {"version", 2}, {"issueDate", issue_date}, {"nextUpdate", next_update},
                {"tcbEvaluationDataNumber", 17}, {"miscselect", "00000000"}, {"miscselectMask", "FFFFFFFF"},
                {"attributes", "11000000000000000000000000000000"}, {"attributesMask", "FBFFFFFFFFFFFFFF0000000000000000"},
                {"mrsigner", hex(qe_mrsigner)}, {"isvprodid", 2},
                {"tcbLevels", Json::array({{{"tcb", {{"isvsvn", 4}}}, {"tcbDate", "2025-01-01T00:00:00Z"}, {"tcbStatus", "UpToDate"}}})}};
    }

    /// A v4 quote: the go-tdx-guest sample's header and body with REPORTDATA, MRCONFIGID and TD_ATTRIBUTES as
    /// given, signed by our attestation key; a QE report with our MRSIGNER, signed by our PCK.
    Bytes quote(ByteView report_data, ByteView mr_config_id, std::uint64_t td_attributes = std::uint64_t{1} << 28) {
        Bytes sample = read_file(test::fixture("tdx/go-tdx-guest/quote_v4_spr_e4.dat"));
        Bytes q(sample.begin(), sample.begin() + 48 + 584);
        put(q, 48 + 0x208, report_data);
        put(q, 48 + 0x0B8, mr_config_id);
        if (rtmrs)
            for (std::size_t i = 0; i < 4; ++i) put(q, 48 + 0x148 + 48 * i, (*rtmrs)[i]);
        if (mrtd) put(q, 48 + 0x088, *mrtd);
        for (int i = 0; i < 8; ++i) q[48 + 0x078 + i] = static_cast<std::uint8_t>(td_attributes >> (8 * i));
        Bytes att_xy = att.p256_xy();
        Bytes auth(32, 0x5a);
        Bytes qe(sample.begin() + 636 + 134, sample.begin() + 636 + 134 + 384);  // the sample's QE report body
        REQUIRE(le32(sample, 632) > 0);
        put(qe, 0x80, qe_mrsigner);
        qe[0x100] = 2;
        qe[0x101] = 0;
        qe[0x102] = 4;
        qe[0x103] = 0;
        Hasher h(HashAlg::sha256);
        h.update(att_xy);
        h.update(auth);
        Bytes rd = h.finish();
        rd.resize(64, 0);
        put(qe, 0x140, rd);
        Bytes chain = bytes_of(x509::to_pem(pck_der, "CERTIFICATE") + x509::to_pem(pck_ca_der, "CERTIFICATE") +
                               x509::to_pem(root_der, "CERTIFICATE"));
        Bytes cd = qe;
        Bytes qesig = pck.sign_raw_p256(rng, qe);
        cd.insert(cd.end(), qesig.begin(), qesig.end());
        put_le16(cd, static_cast<std::uint16_t>(auth.size()));
        cd.insert(cd.end(), auth.begin(), auth.end());
        put_le16(cd, 5);
        put_le32(cd, static_cast<std::uint32_t>(chain.size()));
        cd.insert(cd.end(), chain.begin(), chain.end());
        Bytes sd = att.sign_raw_p256(rng, q);
        sd.insert(sd.end(), att_xy.begin(), att_xy.end());
        put_le16(sd, 6);
        put_le32(sd, static_cast<std::uint32_t>(cd.size()));
        sd.insert(sd.end(), cd.begin(), cd.end());
        put_le32(q, static_cast<std::uint32_t>(sd.size()));
        q.insert(q.end(), sd.begin(), sd.end());
        return q;
    }
    TdxPolicy policy() const {
        TdxPolicy p;
        p.trust_roots = {root_der};
        return p;
    }
    void write_collateral(const std::string& dir) const {
        forged_fs::create_directories(dir);
        write_file(dir + "/tcbinfo.json", col.tcb_info_json);
        write_file(dir + "/qe_identity.json", col.qe_identity_json);
        write_file(dir + "/tcb_signing_chain.pem", col.tcb_signing_chain_pem);
        write_file(dir + "/pckcrl.der", col.pck_crl_der);
        write_file(dir + "/rootcrl.der", col.root_crl_der);
    }
};

}  // namespace

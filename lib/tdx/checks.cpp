// Intel TDX quote verification as a table of named checks (see kettle/tdx/checks.hpp).
#include "kettle/tdx/checks.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "collateral.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/json.hpp"

namespace kettle::tdx {

namespace {

std::string upper(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

// The collateral the collateral checks use: nullptr only when none was given and the policy does not require it
// (library tests of the quote rows); otherwise throws Error("<check>: ...") when none was given.
const Collateral* collateral_for(const VerifyContext& c, const char* check) {
    if (c.collateral) return c.collateral;
    if (!c.policy.require_collateral) return nullptr;
    throw Error(std::string(check) + ": no collateral given (--collateral DIR with tcbinfo*.json, qe_identity*.json, " +
                "tcb_signing_chain.pem, pckcrl, rootcrl; or a complete collateral/ in the bundle)");
}

// The TCB signing certificate of the collateral, its role and root CRL checked once (tcb_signing_cert).
const x509::Cert& tcb_signer(VerifyContext& c, const Collateral& col, const char* check) {
    if (!c.tcb_signer) {
        if (col.tcb_signing_chain_pem.empty()) throw Error(std::string(check) + ": the collateral has no tcb_signing_chain.pem");
        c.tcb_signer = tcb_signing_cert(col.tcb_signing_chain_pem, col.root_crl_der, c.policy.trust_roots, c.now, check,
                                        &c.crls);
        c.result.collateral.tcb_signing_cn = c.tcb_signer->subject_cn();
    }
    return *c.tcb_signer;
}

// issueDate <= now <= nextUpdate of Intel PCS collateral `j`; records both dates. Throws Error("<what>: ...").
void check_dates(const Json& j, std::int64_t now, const std::string& what, std::string& issue, std::string& next) {
    issue = j.value("issueDate", "");
    next = j.value("nextUpdate", "");
    if (now < x509::parse_rfc3339(issue)) throw Error(what + " is not yet valid (issueDate " + issue + ")");
    if (now > x509::parse_rfc3339(next)) throw Error(what + " has expired (nextUpdate " + next + ")");
}

// The QE identity of the collateral (Intel PCS v4 "enclaveIdentity") against the QE report (an SGX REPORT body:
// MISCSELECT at 0x10, ATTRIBUTES at 0x30, MRSIGNER at 0x80, ISVPRODID at 0x100, ISVSVN at 0x102). Returns the
// detail to append; throws Error("qe-report: ...").
std::string check_qe_identity(VerifyContext& c, const Collateral& col) {
    const Quote& q = *c.result.quote;
    const x509::Cert& signer = tcb_signer(c, col, "qe-report");
    Json id = verify_signed_collateral(col.qe_identity_json, "enclaveIdentity", signer, "qe-report: QE identity");
    if (id.value("id", "") != "TD_QE") throw Error("qe-report: QE identity id is not TD_QE");
    check_dates(id, c.now, "qe-report: QE identity", c.result.collateral.qe_identity_issue_date,
                c.result.collateral.qe_identity_next_update);
    if (upper(hex(ByteView(q.qe_report.data() + 0x80, 32))) != upper(id.value("mrsigner", "")))
        throw Error("qe-report: QE MRSIGNER does not match the QE identity");
    if (static_cast<int>(le16(q.qe_report, 0x100)) != id.value("isvprodid", -1)) throw Error("qe-report: QE ISVPRODID does not match");
    Bytes mask = unhex(id.value("miscselectMask", "")), ms = unhex(id.value("miscselect", ""));
    Bytes amask = unhex(id.value("attributesMask", "")), at = unhex(id.value("attributes", ""));
    if (mask.size() != 4 || ms.size() != 4 || amask.size() != 16 || at.size() != 16) throw Error("qe-report: malformed QE identity masks");
    for (std::size_t i = 0; i < 4; ++i)
        if ((q.qe_report[0x10 + i] & mask[i]) != ms[i]) throw Error("qe-report: QE MISCSELECT does not match");
    for (std::size_t i = 0; i < 16; ++i)
        if ((q.qe_report[0x30 + i] & amask[i]) != at[i]) throw Error("qe-report: QE ATTRIBUTES do not match");
    std::string status = "no matching level";
    int isvsvn = le16(q.qe_report, 0x102);
    for (auto& lvl : id.at("tcbLevels"))
        if (isvsvn >= lvl.at("tcb").at("isvsvn").get<int>()) {
            status = lvl.at("tcbStatus").get<std::string>();
            break;
        }
    if (status != "UpToDate") throw Error("qe-report: QE identity TCB status is " + status);
    return ", QE identity TD_QE isvsvn " + std::to_string(isvsvn) + " UpToDate";
}

// The PCK CRL (issued by the PCK's issuer CA) and the root CRL (issued by the root) of the collateral; records
// their dates. Returns the detail to append.
std::string check_pck_crls(VerifyContext& c, const x509::Cert& inter, const x509::Cert& root) {
    const Collateral* col = collateral_for(c, "pck-chain");
    if (!col) return ", CRLs not evaluated (no collateral)";
    if (col->pck_crl_der.empty()) throw Error("pck-chain: the collateral has no PCK CRL (pckcrl)");
    if (col->root_crl_der.empty()) throw Error("pck-chain: the collateral has no root CA CRL (rootcrl)");
    CollateralUse& u = c.result.collateral;
    CrlDates p = verify_crl(col->pck_crl_der, inter, *c.pck, c.now, "pck-chain: PCK CRL", &c.crls);
    CrlDates r = verify_crl(col->root_crl_der, root, inter, c.now, "pck-chain: root CRL", &c.crls);
    u.pck_crl_issuer = inter.subject_cn();
    u.pck_crl_this_update = p.this_update;
    u.pck_crl_next_update = p.next_update;
    u.root_crl_this_update = r.this_update;
    u.root_crl_next_update = r.next_update;
    return ", PCK CRL and root CRL checked";
}

// The status of the first TCB level (Intel PCS v4 "tcbLevels", in Intel's order) whose PCESVN and 16 SGX component
// SVNs are <= the PCK's and whose 16 TDX component SVNs are <= TEE_TCB_SVN; "TCB level not supported" if none.
std::string tcb_level_status(const Json& tcb_info, const PckInfo& pck, const TdReportBody& body) {
    for (auto& lvl : tcb_info.at("tcbLevels")) {
        const Json& t = lvl.at("tcb");
        bool ok = t.at("pcesvn").get<int>() <= pck.pcesvn;
        auto& sgx = t.at("sgxtcbcomponents");
        auto& tdxc = t.at("tdxtcbcomponents");
        for (std::size_t i = 0; i < 16 && ok; ++i) ok = sgx.at(i).at("svn").get<int>() <= pck.sgx_tcb[i];
        for (std::size_t i = 0; i < 16 && ok; ++i) ok = tdxc.at(i).at("svn").get<int>() <= body.tee_tcb_svn[i];
        if (ok) return lvl.at("tcbStatus").get<std::string>();
    }
    return "TCB level not supported";
}

// The table of tdx::verify_quote, in order (docs/verify.md, "TDX checks").
const CheckRow<VerifyContext> kRows[] = {
    {"evidence", rows::evidence},
    {"quote-format", rows::quote_format},
    {"pck-chain", rows::pck_chain},
    {"qe-report", rows::qe_report},
    {"quote-signature", rows::quote_signature},
    {"tcb", rows::tcb},
    {"policy", rows::policy},
};

}  // namespace

bool is_allowed(const std::vector<Bytes>& allowed, ByteView value) {
    return std::any_of(allowed.begin(), allowed.end(), [&](const Bytes& a) { return equal_ct(a, value); });
}

std::string check_td_attributes(const TdReportBody& b, const TdxPolicy& p) {
    std::uint64_t a = 0, xfam = 0;
    for (std::size_t i = 0; i < 8; ++i) {
        a |= static_cast<std::uint64_t>(b.td_attributes[i]) << (8 * i);
        xfam |= static_cast<std::uint64_t>(b.xfam[i]) << (8 * i);
    }
    auto bit = [&](int n) { return ((a >> n) & 1) != 0; };
    if (bit(0) && !p.allow_debug) throw Error("policy: TD_ATTRIBUTES has DEBUG set");
    if (!bit(28) && p.require_sept_ve_disable) throw Error("policy: TD_ATTRIBUTES lacks SEPT_VE_DISABLE (bit 28)");
    if (bit(29) && !p.allow_migratable) throw Error("policy: TD_ATTRIBUTES has MIGRATABLE set (bit 29)");
    if (bit(30) && !p.allow_pks) throw Error("policy: TD_ATTRIBUTES has PKS set (bit 30)");
    if (bit(31) && !p.allow_kl) throw Error("policy: TD_ATTRIBUTES has KL set (bit 31)");
    if (bit(63) && !p.allow_perfmon) throw Error("policy: TD_ATTRIBUTES has PERFMON set (bit 63)");
    if (p.xfam && !equal_ct(*p.xfam, ByteView(b.xfam.data(), 8)))
        throw Error("policy: XFAM " + hex(b.xfam) + " is not the policy's " + hex(*p.xfam));
    bool service_td = std::any_of(b.mr_service_td.begin(), b.mr_service_td.end(), [](std::uint8_t x) { return x != 0; });
    if (service_td && !p.allow_mr_service_td) throw Error("policy: MRSERVICETD is not zero (a service TD is bound)");
    char buf[64];
    std::snprintf(buf, sizeof buf, "TD_ATTRIBUTES %016llx, XFAM %016llx", static_cast<unsigned long long>(a),
                  static_cast<unsigned long long>(xfam));
    return buf;
}

namespace rows {

std::string evidence(VerifyContext& c) {
    c.result.quote = Quote::parse(c.raw);
    return "TDX quote v" + std::to_string(c.result.quote->version) + ", " + std::to_string(c.raw.size()) + " bytes";
}

std::string quote_format(VerifyContext& c) {
    const Quote& q = *c.result.quote;
    if (q.att_key_type != 2) throw Error("quote-format: attestation key type " + std::to_string(q.att_key_type) + " is not 2 (ECDSA P-256)");
    if (q.tee_type != 0x81) throw Error("quote-format: TEE type is not 0x81 (TDX)");
    if (hex(q.qe_vendor_id) != kIntelQeVendorId) throw Error("quote-format: QE vendor id is not Intel's");
    if (q.pck_cert_type != 5) throw Error("quote-format: inner certification data type " + std::to_string(q.pck_cert_type) + " is not 5 (PCK chain)");
    return std::string("ECDSA P-256 attestation key, QE report certification data, body type ") + std::to_string(q.body_type);
}

std::string pck_chain(VerifyContext& c) {
    const Quote& q = *c.result.quote;
    auto certs = x509::pem_blocks(to_string(q.pck_chain_pem), "CERTIFICATE");
    if (certs.size() != 3) throw Error("pck-chain: expected PCK, intermediate CA and root, got " + std::to_string(certs.size()));
    bool pinned = certs[2] == intel_root_der();
    if (!pinned && std::find(c.policy.trust_roots.begin(), c.policy.trust_roots.end(), certs[2]) == c.policy.trust_roots.end())
        throw Error("pck-chain: root is not the pinned Intel SGX Root CA (nor a --trust-root)");
    c.pck = x509::Cert::parse(certs[0], "PCK certificate");
    const x509::Cert& pck = *c.pck;
    x509::Cert inter = x509::Cert::parse(certs[1], "PCK issuer CA");
    x509::Cert root = pinned ? intel_root() : x509::Cert::parse(certs[2], "--trust-root");
    x509::verify_signed_by(pck, inter, "pck-chain: PCK");
    x509::verify_signed_by(inter, root, "pck-chain: " + inter.subject_cn());
    if (!pinned) x509::verify_signed_by(root, root, "pck-chain: root self-signature");
    for (const x509::Cert* x : std::initializer_list<const x509::Cert*>{&pck, &inter, &root}) x509::check_validity(*x, c.now, "pck-chain");
    std::string crls = check_pck_crls(c, inter, root);
    PckInfo info = decode_pck_extension(certs[0]);
    c.result.fmspc = hex(info.fmspc);
    return pck.subject_cn() + " <- " + inter.subject_cn() + " <- " + (pinned ? "Intel SGX Root CA" : "--trust-root " + root.subject_cn()) +
           ", FMSPC " + c.result.fmspc + crls;
}

std::string qe_report(VerifyContext& c) {
    const Quote& q = *c.result.quote;
    Bytes h = sha256(ByteView(q.qe_report.data(), q.qe_report.size()));
    if (!x509::ecdsa_verify_cert(*c.pck, h, ByteView(q.qe_report_signature.data(), 32), ByteView(q.qe_report_signature.data() + 32, 32)))
        throw Error("qe-report: QE report signature does not verify with the PCK key");
    Hasher hh(HashAlg::sha256);
    hh.update(ByteView(q.attestation_key.data(), 64));
    hh.update(q.qe_auth_data);
    Bytes want = hh.finish();
    want.resize(64, 0);
    if (!equal_ct(want, ByteView(q.qe_report.data() + 0x140, 64)))
        throw Error("qe-report: QE REPORTDATA != SHA-256(attestation key || QE auth data) || 0^32");
    const Collateral* col = collateral_for(c, "qe-report");
    if (!col) return std::string("signed by the PCK, binds the attestation key, QE identity not evaluated (no collateral)");
    if (col->qe_identity_json.empty())
        throw Error("qe-report: the collateral has no QE identity (qe_identity*.json): nothing shows the quoting enclave is Intel's");
    return "signed by the PCK, binds the attestation key" + check_qe_identity(c, *col);
}

std::string quote_signature(VerifyContext& c) {
    const Quote& q = *c.result.quote;
    Bytes spki = x509::p256_spki_from_xy(ByteView(q.attestation_key.data(), 64));
    Bytes h = sha256(q.signed_region);
    if (!x509::ecdsa_verify_spki(spki, h, ByteView(q.signature.data(), 32), ByteView(q.signature.data() + 32, 32)))
        throw Error("quote-signature: ECDSA P-256 signature over header and TD report does not verify");
    return "ECDSA P-256 over " + std::to_string(q.signed_region.size()) + " bytes";
}

std::string tcb(VerifyContext& c) {
    const Collateral* col = collateral_for(c, "tcb");
    Result& res = c.result;
    if (!col) return std::string("not evaluated (no collateral)");
    if (col->tcb_info_json.empty()) throw Error("tcb: the collateral has no TCB info (tcbinfo*.json)");
    Json ti = verify_signed_collateral(col->tcb_info_json, "tcbInfo", tcb_signer(c, *col, "tcb"), "tcb: TCB info");
    if (ti.value("id", "") != "TDX") throw Error("tcb: TCB info id is not TDX");
    if (upper(ti.value("fmspc", "")) != upper(res.fmspc)) throw Error("tcb: TCB info is for FMSPC " + ti.value("fmspc", "") + ", the PCK says " + res.fmspc);
    check_dates(ti, c.now, "tcb: tcbInfo", res.collateral.tcb_info_issue_date, res.collateral.tcb_info_next_update);
    res.tcb_status = tcb_level_status(ti, decode_pck_extension(c.pck->der()), res.quote->body);
    const std::string& status = res.tcb_status;
    const auto& ok = c.policy.accepted_tcb_status;
    if (std::find(ok.begin(), ok.end(), status) == ok.end()) throw Error("tcb: TCB status '" + status + "' is not accepted");
    return "TCB info signed by " + res.collateral.tcb_signing_cn + ", FMSPC " + res.fmspc + ", status " + status;
}

std::string policy(VerifyContext& c) {
    const TdxPolicy& policy = c.policy;
    const TdReportBody& b = c.result.quote->body;
    std::string attrs = check_td_attributes(b, policy);
    if (!policy.mr_td.empty() && !is_allowed(policy.mr_td, b.mr_td)) throw Error("policy: MRTD " + hex(b.mr_td) + " is not allowed");
    for (std::size_t i = 0; i < 4; ++i)
        if (!policy.rtmr[i].empty() && !is_allowed(policy.rtmr[i], b.rtmr[i]))
            throw Error("policy: RTMR" + std::to_string(i) + " " + hex(b.rtmr[i]) + " is not allowed");
    if (policy.mr_config_id_prefix &&
        (policy.mr_config_id_prefix->size() > 48 || !equal_ct(*policy.mr_config_id_prefix, ByteView(b.mr_config_id.data(), policy.mr_config_id_prefix->size()))))
        throw Error("policy: MRCONFIGID does not match");
    if (policy.report_data && !equal_ct(*policy.report_data, ByteView(b.report_data.data(), 64)))
        throw Error("policy: REPORTDATA does not match");
    return attrs + ", MRTD/RTMR as required";
}

}  // namespace rows

Result verify_quote(ByteView raw, const Collateral* collateral, const TdxPolicy& policy, std::int64_t now) {
    VerifyContext c{raw, collateral, policy, now, {}, std::nullopt, std::nullopt, {}};
    c.result.ok = run_checks(kRows, c, c.result.checks);
    return std::move(c.result);
}

}  // namespace kettle::tdx

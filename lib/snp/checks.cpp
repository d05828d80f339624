// SEV-SNP report verification as a table of named checks (see kettle/snp/checks.hpp).
#include "kettle/snp/checks.hpp"

#include "kettle/core/error.hpp"

namespace kettle::snp {

namespace {

const char* vek_kind_for(const Report& r) { return r.signing_key() == 1 ? "VLEK" : "VCEK"; }

// The certificate to fetch when no VEK was given and the product is known: kind, product, hwID, TCB and, for a
// VCEK, its AMD KDS URL.
std::string needed_vek(const Report& r, Product p) {
    std::string kind = vek_kind_for(r);
    std::string need = kind + " for " + product_name(p) + ", hwID " +
                       hex(ByteView(r.chip_id.data(), p == Product::turin ? 8 : 64)) + ", TCB " +
                       tcb_string(decode_tcb(r.reported_tcb, p), p);
    if (kind == "VCEK") need += "; fetch " + kds_vcek_url(r, p);
    return need;
}

// The table of snp::verify_evidence, in order (docs/verify.md, checks 1-7).
const CheckRow<VerifyContext> kRows[] = {
    {"evidence", rows::evidence},
    {"report-format", rows::report_format},
    {"product", rows::product},
    {"chain", rows::chain},
    {"vek-extensions", rows::vek_extensions},
    {"report-signature", rows::report_signature},
    {"policy", rows::policy},
};

}  // namespace

namespace rows {

std::string evidence(VerifyContext& c) {
    c.result.report = Report::parse(c.raw);
    return "1184-byte ATTESTATION_REPORT";
}

std::string report_format(VerifyContext& c) {
    const Report& r = *c.result.report;
    if (r.version < 2 || r.version > 5) throw Error("report-format: VERSION " + std::to_string(r.version) + " is not 2, 3, 4 or 5");
    if (r.signature_algo != 1)
        throw Error("report-format: SIGNATURE_ALGO " + std::to_string(r.signature_algo) + " is not 1 (ECDSA P-384 SHA-384)");
    if (!(r.policy & policy_bit::kReserved1)) throw Error("report-format: POLICY bit 17 (reserved, must be 1) is 0");
    auto mbz = r.must_be_zero_violations();
    if (!mbz.empty()) throw Error("report-format: must-be-zero field not zero: " + mbz.front());
    if (r.signing_key() != 0 && r.signing_key() != 1)
        throw Error("report-format: SIGNING_KEY " + std::to_string(r.signing_key()) + " (no VCEK/VLEK signature)");
    return "version " + std::to_string(r.version) + ", ECDSA P-384";
}

std::string product(VerifyContext& c) {
    const Report& r = *c.result.report;
    std::optional<x509::Cert> vek_cert;
    if (c.vek) {
        try {  // only a hint for a v2 report; the chain row parses the VEK again and fails on a bad one
            vek_cert = x509::Cert::parse(*c.vek, "VCEK/VLEK");
        } catch (const Error&) {
        }
    }
    try {
        c.result.product = determine_product(r, c.policy.product, vek_cert ? &*vek_cert : nullptr);
    } catch (...) {
        if (!c.vek)
            c.result.needed_certificate = std::string(vek_kind_for(r)) + " for hwID " + hex(r.chip_id) + ", REPORTED_TCB " +
                                          hex(ByteView(c.raw.data() + 0x180, 8)) +
                                          "; the product (Milan, Genoa, Turin) must be named for a v2 report (--product)";
        throw;
    }
    return std::string(product_name(c.result.product)) + (r.version >= 3 ? " (from CPUID)" : " (v2 report: from policy or VEK)");
}

std::string chain(VerifyContext& c) {
    const Report& r = *c.result.report;
    if (!c.vek) {
        c.result.needed_certificate = needed_vek(r, c.result.product);
        throw Error(std::string("chain: no ") + vek_kind_for(r) + " certificate given or carried: need the " +
                    c.result.needed_certificate);
    }
    c.result.chain = verify_chain(c.result.product, *c.vek, c.extra_certs, c.opts);
    std::string path;
    for (auto& s : c.result.chain->path) path += (path.empty() ? "" : " <- ") + s;
    return path + (c.result.chain->simulated ? " (SIMULATED)" : "") + ", valid at " + x509::format_rfc3339(c.opts.now);
}

std::string vek_extensions(VerifyContext& c) {
    const Report& r = *c.result.report;
    Product p = c.result.product;
    check_vek_binding(r, *c.result.chain, p);
    return "REPORTED_TCB " + tcb_string(decode_tcb(r.reported_tcb, p), p) +
           (c.result.chain->kind == VekKind::vcek ? ", CHIP_ID = hwID" : ", VLEK");
}

std::string report_signature(VerifyContext& c) {
    verify_report_signature(c.raw, *c.vek);
    return "ECDSA P-384 over 0x000..0x29F";
}

std::string policy(VerifyContext& c) {
    c.result.tcb_floor = effective_tcb_floor(c.result.product, c.policy);
    check_policy(*c.result.report, c.result.product, c.policy);
    return "measurement, TCB >= " + tcb_string(c.result.tcb_floor->min, c.result.product) + " (" +
           c.result.tcb_floor->source + "), debug, VMPL, HOST_DATA";
}

}  // namespace rows

Result verify_evidence(ByteView raw, const std::optional<Bytes>& vek, const std::vector<Bytes>& extra_certs,
                       const SnpPolicy& policy, const ChainOptions& opts) {
    VerifyContext c{raw, vek, extra_certs, policy, opts, {}};
    c.result.ok = run_checks(kRows, c, c.result.checks);
    return std::move(c.result);
}

}  // namespace kettle::snp

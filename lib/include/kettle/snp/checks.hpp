// SEV-SNP report verification as a table of named checks (docs/verify.md, checks 1-7): one function per row over
// one shared context. snp::verify_evidence runs the whole table; the bundle verifier (lib/verify/) runs the same row
// functions in its SNP table, so no check exists twice.
// Sources: AMD SEV-SNP ABI 56860 (Table 23 ATTESTATION_REPORT, Table 9 GUEST_POLICY, TCB_VERSION); AMD "Versioned
// Chip Endorsement Key (VCEK) Certificate and KDS Interface Specification" 57230 (certificate chain, extensions).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "kettle/core/bytes.hpp"
#include "kettle/core/check.hpp"
#include "kettle/snp/verify.hpp"

namespace kettle::snp {

/// What the SNP rows read (the inputs of verify_evidence) and what each row establishes for the rows after it
/// (in `result`). `raw` is not owned: it must outlive the context.
struct VerifyContext {
    ByteView raw;                     ///< the ATTESTATION_REPORT as received
    std::optional<Bytes> vek;         ///< VCEK or VLEK (DER), if one was given or carried
    std::vector<Bytes> extra_certs;   ///< other certificates offered (ASK, ASVK, a KETTLE-SIM root)
    SnpPolicy policy;                 ///< `product` is read by the product row, the rest by the policy row
    ChainOptions opts;
    Result result;                    ///< checks, report, product, chain, needed_certificate
};

/// The rows, in table order. Each returns its one-line detail or throws Error("<check name>: ...").
namespace rows {
/// "evidence": `raw` is an ATTESTATION_REPORT of exactly 1184 bytes (ABI 56860 Table 23). Sets result.report.
std::string evidence(VerifyContext& c);
/// "report-format": VERSION 2..5, SIGNATURE_ALGO 1 (ECDSA P-384 with SHA-384), GUEST_POLICY bit 17 set (Table 9),
/// every must-be-zero field of Table 23 zero, SIGNING_KEY 0 (VCEK) or 1 (VLEK).
std::string report_format(VerifyContext& c);
/// "product": Milan, Genoa or Turin (determine_product: CPUID_FAM_ID/CPUID_MOD_ID of a v3+ report, else the
/// policy's product or the VEK's product-name extension). Sets result.product; without a VEK a FAIL also sets
/// result.needed_certificate.
std::string product(VerifyContext& c);
/// "chain": VCEK/VLEK -> ASK/ASVK -> the pinned ARK of the product (verify_chain; VCEK spec 57230). Without a VEK
/// it fails and sets result.needed_certificate (product, hwID, REPORTED_TCB, the KDS URL of a VCEK). Sets
/// result.chain.
std::string chain(VerifyContext& c);
/// "vek-extensions": the VEK's SPL, product-name and hwID extensions (57230) agree with REPORTED_TCB, CHIP_ID and
/// SIGNING_KEY of the report (check_vek_binding).
std::string vek_extensions(VerifyContext& c);
/// "report-signature": ECDSA P-384/SHA-384 over bytes 0x000..0x29F, R and S little-endian at 0x2A0 and 0x2E8
/// (Table 23; verify_report_signature) under the VEK's key.
std::string report_signature(VerifyContext& c);
/// "policy": the report's MEASUREMENT, TCBs, GUEST_POLICY bits, VMPL, HOST_DATA and REPORT_DATA against
/// `policy` (check_policy).
std::string policy(VerifyContext& c);
}  // namespace rows

}  // namespace kettle::snp

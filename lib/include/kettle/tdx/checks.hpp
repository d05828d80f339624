// Intel TDX quote verification as a table of named checks (docs/verify.md, "TDX checks"): one function per row over
// one shared context. tdx::verify_quote runs the whole table; the bundle verifier (lib/verify/) runs the same row
// functions in its TDX table, so no check exists twice.
// Sources: Intel TDX DCAP Quoting Library API, Quote Format (Appendix A: v4/v5 header, TD report body, ECDSA quote
// signature data, QE certification data); Intel SGX PCK Certificate and CRL Profile; Intel PCS API v4 (TCB info,
// QE identity).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kettle/core/bytes.hpp"
#include "kettle/core/check.hpp"
#include "kettle/core/x509.hpp"
#include "kettle/tdx/quote.hpp"

namespace kettle::tdx {

/// What the TDX rows read (the inputs of verify_quote) and what each row establishes for the rows after it.
/// `raw` and `collateral` are not owned: they must outlive the context.
/// CRLs whose signature was checked within one verification: (CRL DER, issuer certificate DER) pairs, so that the
/// root CRL, checked for the PCK's CA and for the TCB signing certificate, is signature-checked once.
struct VerifiedCrls {
    std::vector<std::pair<Bytes, Bytes>> seen;
};

struct VerifyContext {
    ByteView raw;                          ///< the quote as received
    const Collateral* collateral = nullptr;  ///< nullptr: none given
    TdxPolicy policy;
    std::int64_t now = 0;                  ///< seconds since the epoch
    Result result;                         ///< checks, quote, fmspc, tcb_status
    std::optional<x509::Cert> pck;         ///< the PCK certificate (pck-chain)
    std::optional<x509::Cert> tcb_signer;  ///< the TCB signing certificate, role and root CRL checked (qe-report)
    VerifiedCrls crls;                     ///< CRL signatures already checked in this verification
};

/// True when `value` equals one of `allowed` (each compared in constant time).
bool is_allowed(const std::vector<Bytes>& allowed, ByteView value);

/// TD_ATTRIBUTES and XFAM (TD report body 0x078 / 0x080, little-endian 64-bit; Intel TDX Module ABI spec,
/// TD_ATTRIBUTES: bit 0 DEBUG, 28 SEPT_VE_DISABLE, 29 MIGRATABLE, 30 PKS, 31 KL, 63 PERFMON) and MRSERVICETD
/// (TD 1.5, 0x258; zero in a TD 1.0 body) against `p`. Returns "TD_ATTRIBUTES <hex>, XFAM <hex>"; throws
/// Error("policy: ...") naming the attribute.
std::string check_td_attributes(const TdReportBody& b, const TdxPolicy& p);

/// The rows, in table order. Each returns its one-line detail or throws Error("<check name>: ...").
namespace rows {
/// "evidence": a v4 or v5 quote (Quote::parse, at most 1 MiB, every length bounded). Sets result.quote.
std::string evidence(VerifyContext& c);
/// "quote-format": attestation key type 2 (ECDSA P-256), TEE type 0x81 (TDX), Intel's QE vendor id, inner
/// certification data type 5 (PCK chain) (Quote Format, Appendix A).
std::string quote_format(VerifyContext& c);
/// "pck-chain": PCK -> Platform/Processor CA -> the pinned Intel SGX Root CA (or a policy.trust_roots root),
/// valid at `now`; the PCK CRL (issued by the PCK's CA) and the root CRL (issued by the root, checking the CA),
/// both required and current (verify_crl). Sets pck and result.fmspc (PCK SGX extension, 1.2.840.113741.1.13.1.4).
std::string pck_chain(VerifyContext& c);
/// "qe-report": the QE report signed by the PCK key, QE REPORTDATA = SHA-256(attestation key || QE auth data) ||
/// 0^32; the collateral's QE identity (required: only it shows the enclave is Intel's QE): signed by the TCB
/// signing certificate (CN "Intel SGX TCB Signing", digitalSignature, trusted root, not revoked by the root CRL),
/// issueDate <= now <= nextUpdate, TD_QE, MRSIGNER, ISVPRODID, masked MISCSELECT/ATTRIBUTES, UpToDate ISVSVN level.
std::string qe_report(VerifyContext& c);
/// "quote-signature": ECDSA P-256/SHA-256 by the attestation key over the header and TD report body.
std::string quote_signature(VerifyContext& c);
/// "tcb": the TCB info (Intel-signed, id TDX, FMSPC of the PCK, issueDate <= now <= nextUpdate); the first level
/// whose SGX components, PCESVN and TDX components are <= the PCK's and TEE_TCB_SVN's gives result.tcb_status,
/// which must be in policy.accepted_tcb_status (default UpToDate only). Without TCB info it fails.
std::string tcb(VerifyContext& c);
/// "policy": check_td_attributes, then MRTD, RTMR0-3, the MRCONFIGID prefix and REPORTDATA against `policy`.
std::string policy(VerifyContext& c);
}  // namespace rows

}  // namespace kettle::tdx

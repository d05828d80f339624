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
#include <vector>

#include "kettle/core/bytes.hpp"
#include "kettle/core/check.hpp"
#include "kettle/core/x509.hpp"
#include "kettle/tdx/quote.hpp"

namespace kettle::tdx {

/// What the TDX rows read (the inputs of verify_quote) and what each row establishes for the rows after it.
/// `raw` and `collateral` are not owned: they must outlive the context.
struct VerifyContext {
    ByteView raw;                          ///< the quote as received
    const Collateral* collateral = nullptr;  ///< nullptr: none given
    TdxPolicy policy;
    std::int64_t now = 0;                  ///< seconds since the epoch
    Result result;                         ///< checks, quote, fmspc, tcb_status
    std::optional<x509::Cert> pck;         ///< the PCK certificate (pck-chain)
};

/// True when `value` equals one of `allowed` (each compared in constant time).
bool is_allowed(const std::vector<Bytes>& allowed, ByteView value);

/// The rows, in table order. Each returns its one-line detail or throws Error("<check name>: ...").
namespace rows {
/// "evidence": a v4 or v5 quote (Quote::parse, at most 1 MiB, every length bounded). Sets result.quote.
std::string evidence(VerifyContext& c);
/// "quote-format": attestation key type 2 (ECDSA P-256), TEE type 0x81 (TDX), Intel's QE vendor id, inner
/// certification data type 5 (PCK chain) (Quote Format, Appendix A).
std::string quote_format(VerifyContext& c);
/// "pck-chain": PCK -> Platform/Processor CA -> the pinned Intel SGX Root CA, valid at `now`; the PCK and root CRLs
/// when the collateral has them. Sets pck and result.fmspc (PCK SGX extension, 1.2.840.113741.1.13.1.4).
std::string pck_chain(VerifyContext& c);
/// "qe-report": the QE report signed by the PCK key, QE REPORTDATA = SHA-256(attestation key || QE auth data) ||
/// 0^32; with a QE identity in the collateral: its Intel signature and validity, TD_QE, MRSIGNER, ISVPRODID, masked
/// MISCSELECT/ATTRIBUTES and an UpToDate ISVSVN level.
std::string qe_report(VerifyContext& c);
/// "quote-signature": ECDSA P-256/SHA-256 by the attestation key over the header and TD report body.
std::string quote_signature(VerifyContext& c);
/// "tcb": the TCB info (Intel-signed, id TDX, FMSPC of the PCK, issueDate <= now <= nextUpdate); the first level
/// whose SGX components, PCESVN and TDX components are <= the PCK's and TEE_TCB_SVN's gives result.tcb_status,
/// which must be in policy.accepted_tcb_status. Without TCB info it fails when policy.require_collateral.
std::string tcb(VerifyContext& c);
/// "policy": TD_ATTRIBUTES DEBUG, MRTD, RTMR0-3, the MRCONFIGID prefix and REPORTDATA against `policy`.
std::string policy(VerifyContext& c);
}  // namespace rows

}  // namespace kettle::tdx

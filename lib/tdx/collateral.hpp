// Intel TDX collateral checks shared by the TDX rows (private to lib/tdx/). Sources: Intel PCS API v4 (TCB info and
// QE identity JSON: "tcbInfo" / "enclaveIdentity" signed as their exact bytes, "signature" = hex r||s of ECDSA
// P-256/SHA-256 by the TCB signing certificate); Intel SGX PCK Certificate and CRL Profile (CRLs).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "kettle/core/bytes.hpp"
#include "kettle/core/json.hpp"
#include "kettle/core/x509.hpp"
#include "kettle/tdx/checks.hpp"
#include "kettle/tdx/quote.hpp"

namespace kettle::tdx {

/// The parsed Intel SGX Root CA (built in, pinned by kIntelRootSha256), parsed once.
const x509::Cert& intel_root();

/// The trusted root that issued `child`: the Intel SGX Root CA, else one of `trust_roots` (DER, --trust-root),
/// the first whose subject is `child`'s issuer and whose key verifies `child`'s signature. Throws
/// Error("<what>: ...") when none did.
x509::Cert trusted_issuer_root(const x509::Cert& child, const std::vector<Bytes>& trust_roots, const std::string& what);

/// The TCB signing certificate of `chain_pem` (its first certificate), checked for its role: subject CN
/// "Intel SGX TCB Signing", not a CA, a keyUsage extension with digitalSignature, signed by a trusted root
/// (trusted_issuer_root), valid at `now`, and not revoked by `root_crl_der` (which that root must have issued).
/// Source: Intel SGX PCK Certificate and CRL Profile (TCB Signing Certificate). Throws Error("<what>: ...").
/// `crls`: as for verify_crl.
x509::Cert tcb_signing_cert(const Bytes& chain_pem, const Bytes& root_crl_der, const std::vector<Bytes>& trust_roots,
                            std::int64_t now, const std::string& what, VerifiedCrls* crls = nullptr);

/// Verify Intel collateral JSON `text` whose top-level member `key` is signed, over its exact bytes in `text`, by
/// `signer` (a certificate from tcb_signing_cert), as hex r||s of ECDSA P-256/SHA-256 in member "signature".
/// Returns the parsed signed member. Throws Error("<what>: ...").
Json verify_signed_collateral(const std::string& text, const std::string& key, const x509::Cert& signer, const char* what);

/// A CRL's validity window, RFC 3339 UTC.
struct CrlDates {
    std::string this_update, next_update;
};
/// Check the CRL `der` (DER X.509 CRL, RFC 5280 §5): issued by `issuer` (same issuer name, signature under its
/// key), thisUpdate <= now <= nextUpdate, and `subject` not revoked. Throws Error("<what>: ...") for a CRL that
/// does not parse, is another CA's, does not verify, is out of date, or revokes `subject`. With `crls`, a CRL whose
/// exact bytes were already verified under the exact same issuer certificate (one quote checks the root CRL for
/// the PCK's CA and for the TCB signing certificate) skips the repeated signature check; every other check runs.
CrlDates verify_crl(const Bytes& der, const x509::Cert& issuer, const x509::Cert& subject, std::int64_t now, const char* what,
                    VerifiedCrls* crls = nullptr);

}  // namespace kettle::tdx

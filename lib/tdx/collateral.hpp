// Intel TDX collateral checks shared by the TDX rows (private to lib/tdx/). Sources: Intel PCS API v4 (TCB info and
// QE identity JSON: "tcbInfo" / "enclaveIdentity" signed as their exact bytes, "signature" = hex r||s of ECDSA
// P-256/SHA-256 by the TCB signing certificate); Intel SGX PCK Certificate and CRL Profile (CRLs).
#pragma once
#include <cstdint>
#include <string>

#include "kettle/core/bytes.hpp"
#include "kettle/core/json.hpp"
#include "kettle/core/x509.hpp"
#include "kettle/tdx/quote.hpp"

namespace kettle::tdx {

/// Verify Intel collateral JSON `text` whose top-level member `key` is signed, over its exact bytes in `text`, by
/// the first certificate of `chain_pem` (the TCB signing certificate), which must chain to the pinned Intel SGX Root
/// CA and be valid at `now` (seconds since the epoch). Returns the parsed signed member. Throws Error("<what>: ...").
Json verify_signed_collateral(const std::string& text, const std::string& key, const Bytes& chain_pem,
                              std::int64_t now, const char* what);

/// Check the CRL `der` (DER X.509 CRL) if `issuer` issued it: its signature under `issuer`'s key, and that
/// `subject` is not revoked. Returns false for a CRL of another issuer (not applied); throws Error("<what>: ...")
/// for a CRL that does not parse, does not verify, or revokes `subject`.
bool verify_crl(const Bytes& der, const x509::Cert& issuer, const x509::Cert& subject, const char* what);

}  // namespace kettle::tdx

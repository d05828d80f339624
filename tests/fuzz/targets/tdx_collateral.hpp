// Shared by the tdx_tcb_info and tdx_qe_identity fuzz targets: one collateral file of a real v4 quote (go-tdx-guest's
// SPR E4 sample, at 2023-07-01 inside its validity) replaced by the fuzzer's input. Intel's signature over the
// collateral cannot be forged, so what hostile bytes reach is what runs before it: the strict JSON reader, the
// scanner that finds the raw bytes of the signed member, the comparison of both and the signature field
// (verify_signed_collateral, run against the sample's TCB signing certificate, checked once). Only an input that
// passes it (the signed member kept byte for byte; the rest of the file may differ) goes on through the whole
// verify_quote: running verify_quote on every input cost ~1 execution/s, all of it in the fixed quote's checks.
#pragma once
#include <optional>
#include <string>

#include "fuzz.hpp"
#include "kettle/core/x509.hpp"
#include "kettle/tdx/quote.hpp"
#include "tdx/collateral.hpp"  // lib/tdx: verify_signed_collateral, tcb_signing_cert

namespace kettle::fuzz {

struct TdxCollateralFixture {
    Bytes quote;
    tdx::Collateral collateral;  ///< the sample's whole collateral; each target replaces one file
    std::int64_t now = 0;
    std::optional<x509::Cert> tcb_signer;  ///< the sample's TCB signing certificate (tcb_signing_cert)
};

inline const TdxCollateralFixture& tdx_collateral_fixture() {
    static const TdxCollateralFixture f = [] {
        TdxCollateralFixture x;
        x.quote = read_file(fixture("tdx/go-tdx-guest/quote_v4_spr_e4.dat"));
        // All of it, the PCK and root CRLs included: pck-chain refuses collateral without them (the fixture used to
        // hold only the signing chain, so every input stopped at pck-chain and the invariant below failed).
        x.collateral = tdx::load_collateral(fixture("tdx/go-tdx-guest"));
        x.now = x509::parse_rfc3339("2023-07-01T00:00:00Z");
        x.tcb_signer = tdx::tcb_signing_cert(x.collateral.tcb_signing_chain_pem, x.collateral.root_crl_der, {}, x.now,
                                             "fuzz fixture");
        return x;
    }();
    return f;
}

/// The fuzzer's bytes (`data`, `size`) as one collateral file of the sample: the file whose top-level member `key`
/// ("tcbInfo" or "enclaveIdentity") Intel signed, held in `field` of tdx::Collateral. First the signature check on
/// it; only when that passes, the whole verify_quote with it in place, which never throws for bad collateral (it
/// records a failing check).
inline void check_collateral(std::string tdx::Collateral::*field, const char* key, const std::uint8_t* data,
                             std::size_t size, bool require_tcb) {
    const auto& f = tdx_collateral_fixture();
    std::string text(reinterpret_cast<const char*>(data), size);
    try {
        (void)tdx::verify_signed_collateral(text, key, *f.tcb_signer, "fuzz");
    } catch (const std::exception&) {  // what verify_quote's rows turn into a failed check (core/check.hpp)
        return;
    }
    tdx::Collateral c = f.collateral;
    c.*field = std::move(text);
    tdx::TdxPolicy policy;
    policy.require_collateral = require_tcb;
    tdx::Result r = tdx::verify_quote(f.quote, &c, policy, f.now);
    KETTLE_FUZZ_CHECK(r.checks.size() >= 3 && r.checks[2].ok, "the fixture quote no longer passes pck-chain");
}

}  // namespace kettle::fuzz

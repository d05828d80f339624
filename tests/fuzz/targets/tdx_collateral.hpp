// Shared by the tdx_tcb_info and tdx_qe_identity fuzz targets: verify_quote on a real v4 quote (go-tdx-guest's
// SPR E4 sample, at 2023-07-01 inside its validity) with one collateral file replaced by the fuzzer's input.
// Intel's signature over the collateral cannot be forged, so what is reached is everything before it: the strict
// JSON reader, the scanner that finds the raw bytes of the signed member, the comparison of both, the signature
// field and the signing chain.
#pragma once
#include "fuzz.hpp"
#include "kettle/core/x509.hpp"
#include "kettle/tdx/quote.hpp"

namespace kettle::fuzz {

struct TdxCollateralFixture {
    Bytes quote;
    tdx::Collateral collateral;  ///< the sample's whole collateral; each target replaces one file
    std::int64_t now = 0;
};

inline const TdxCollateralFixture& tdx_collateral_fixture() {
    static const TdxCollateralFixture f = [] {
        TdxCollateralFixture x;
        x.quote = read_file(fixture("tdx/go-tdx-guest/quote_v4_spr_e4.dat"));
        // All of it, the PCK and root CRLs included: pck-chain refuses collateral without them (the fixture used to
        // hold only the signing chain, so every input stopped at pck-chain and the invariant below failed).
        x.collateral = tdx::load_collateral(fixture("tdx/go-tdx-guest"));
        x.now = x509::parse_rfc3339("2023-07-01T00:00:00Z");
        return x;
    }();
    return f;
}

/// verify_quote never throws for bad collateral: it records a failing check.
inline void verify_with(const tdx::Collateral& c, bool require_tcb) {
    const auto& f = tdx_collateral_fixture();
    tdx::TdxPolicy policy;
    policy.require_collateral = require_tcb;
    tdx::Result r = tdx::verify_quote(f.quote, &c, policy, f.now);
    KETTLE_FUZZ_CHECK(r.checks.size() >= 3 && r.checks[2].ok, "the fixture quote no longer passes pck-chain");
}

}  // namespace kettle::fuzz

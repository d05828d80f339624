// Fuzz target: the Intel TDX DCAP quote v4/v5 (Quote::parse: header, TD 1.0/1.5 report body, ECDSA signature
// data, certification data type 6 with the QE report and the type 5 PCK chain), the PCK certificates it carries
// (X.509 helpers, the SGX extension 1.2.840.113741.1.13.1 decoder), and verify_quote without collateral.
#include "fuzz.hpp"
#include "kettle/core/x509.hpp"
#include "kettle/tdx/quote.hpp"

using namespace kettle;
using namespace kettle::tdx;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    ByteView in(data, size);
    Quote q;
    if (!fuzz::accepts([&] { q = Quote::parse(in); })) return 0;
    KETTLE_FUZZ_CHECK(q.version == 4 || q.version == 5, std::to_string(q.version));
    KETTLE_FUZZ_CHECK(q.signed_region.size() <= size, "signed region larger than the quote");
    // The PCK chain is PEM text from the quote: a malformed block is an Error like any other bad input.
    std::vector<Bytes> ders;
    fuzz::accepts([&] { ders = x509::pem_blocks(to_string(q.pck_chain_pem), "CERTIFICATE"); });
    for (const Bytes& der : ders) {
        fuzz::accepts([&] { x509::Cert::parse(der); });
        fuzz::accepts([&] { decode_pck_extension(der); });
    }
    static const std::int64_t now = x509::parse_rfc3339("2023-07-01T00:00:00Z");
    TdxPolicy policy;
    policy.require_collateral = false;
    Result r = verify_quote(in, nullptr, policy, now);
    KETTLE_FUZZ_CHECK(!r.checks.empty() && r.checks.front().ok, "a quote that parses failed the evidence check");
    return 0;
}

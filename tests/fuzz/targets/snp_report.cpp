// Fuzz target: the SEV-SNP ATTESTATION_REPORT (AMD ABI 56860 Table 23) as `kettle verify` decodes it: parse,
// the must-be-zero rules, TCB_VERSION decoding for every product layout, the product rule, the VCEK binding
// (REPORTED_TCB and CHIP_ID against the extensions of a real Milan VCEK whose chain was verified once at start-up)
// and the policy check. The ECDSA signature is not fuzzed (a mutated report never verifies; the signature code is
// mbedTLS's).
// Invariants: exactly 1184 bytes parse (anything else fails with Error) and serialize back to the same bytes; a
// TCB_VERSION without reserved bits encodes back to itself.
#include "fuzz.hpp"
#include "kettle/core/x509.hpp"
#include "kettle/snp/report.hpp"
#include "kettle/snp/verify.hpp"

using namespace kettle;
using namespace kettle::snp;

namespace {
struct Fixture {
    x509::Cert vcek;
    ChainResult chain;
    SnpPolicy policy;
};
const Fixture& fixture() {
    static const Fixture f = [] {
        Bytes vcek = read_file(fuzz::fixture("snp/virtee-sev-milan-v2/vcek.der"));
        ChainOptions o;
        o.now = x509::parse_rfc3339("2024-01-01T00:00:00Z");
        auto extra = x509::load_certs(read_file(fuzz::fixture("snp/roots/ask_ark_milan.pem")));
        SnpPolicy p;
        p.min_tcb = TcbVersion{0, 3, 0, 8, 115, false};
        p.vmpl = 0;
        p.smt = SnpPolicy::Smt::forbid;
        p.host_data = Bytes(32, 0);
        p.report_data = Bytes(64, 0);
        p.measurements = {Bytes(48, 0)};
        return Fixture{x509::Cert::parse(vcek), verify_chain(Product::milan, vcek, extra, o), p};
    }();
    return f;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const Fixture& fx = fixture();
    ByteView in(data, size);
    bool parsed = fuzz::accepts([&] { Report::parse(in); });
    KETTLE_FUZZ_CHECK(parsed == (size == kReportSize), "Report::parse accepted " + std::to_string(size) + " bytes");
    Bytes raw(in.begin(), in.end());
    raw.resize(kReportSize, 0);
    Report r = Report::parse(raw);
    KETTLE_FUZZ_CHECK(r.serialize() == raw, "serialize(parse(b)) != b");
    r.must_be_zero_violations();
    policy_flags(r.policy);
    platform_info_flags(r.platform_info);
    for (Product p : {Product::unknown, Product::milan, Product::genoa, Product::turin}) {
        for (std::uint64_t raw_tcb : {r.current_tcb, r.reported_tcb, r.committed_tcb, r.launch_tcb}) {
            TcbVersion t = decode_tcb(raw_tcb, p);
            tcb_string(t, p);
            if (!t.reserved_nonzero) KETTLE_FUZZ_CHECK(encode_tcb(t, p) == raw_tcb, hex_int(raw_tcb));
        }
        fuzz::accepts([&] { kds_vcek_url(r, p); });
        fuzz::accepts([&] { check_policy(r, p, fx.policy); });
    }
    Product prod = Product::unknown;
    fuzz::accepts([&] { prod = determine_product(r, Product::unknown, &fx.vcek); });
    fuzz::accepts([&] { check_vek_binding(r, fx.chain, Product::milan); });
    if (prod != Product::unknown) fuzz::accepts([&] { check_vek_binding(r, fx.chain, prod); });
    return 0;
}

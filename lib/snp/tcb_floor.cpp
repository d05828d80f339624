// Built-in minimum TCBs of SEV-SNP per product, and the floor a verification applies. See kettle/snp/verify.hpp.
#include "kettle/core/error.hpp"
#include "kettle/snp/verify.hpp"

namespace kettle::snp {

namespace {

// AMD-SB-3019 (CVE-2024-56161, improper signature verification in the microcode patch loader, Feb 2025): an
// attestation report shows the mitigation when TCB SNP >= 0x18 on Milan and >= 0x17 on Genoa, as microsoft/CCF
// issue #6812 (comment of 2025-02-13, citing the bulletin) states them as the minimum to require. Only the SNP
// component is sourced: bootloader, TEE and microcode stay 0 here (no cited value for them).
const char* const kSb3019 = "built-in: AMD-SB-3019 (CVE-2024-56161), SNP SPL as cited by microsoft/CCF issue #6812";

}  // namespace

std::optional<TcbFloor> builtin_tcb_floor(Product p) {
    TcbVersion t;
    switch (p) {
        case Product::milan:
            t.snp = 0x18;
            return TcbFloor{t, kSb3019};
        case Product::genoa:
            t.snp = 0x17;
            return TcbFloor{t, kSb3019};
        default:
            return std::nullopt;  // Turin and unknown products: no sourced value
    }
}

TcbFloor effective_tcb_floor(Product p, const SnpPolicy& pol) {
    if (pol.min_tcb) return TcbFloor{*pol.min_tcb, "policy min_tcb"};
    if (auto f = builtin_tcb_floor(p)) return *f;
    throw Error(std::string("policy: no minimum TCB for ") + product_name(p) +
                " is built in (no AMD security bulletin value is sourced for it); set \"min_tcb\" in the policy");
}

}  // namespace kettle::snp

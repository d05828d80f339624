// Fuzz target: Intel TDX QE identity collateral (qe_identity*.json, Intel PCS v4 "enclaveIdentity" +
// "signature") as verify_quote reads it (tdx_collateral.hpp says what is reachable).
#include "tdx_collateral.hpp"

using namespace kettle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    tdx::Collateral c = fuzz::tdx_collateral_fixture().collateral;
    c.qe_identity_json.assign(reinterpret_cast<const char*>(data), size);
    fuzz::verify_with(c, false);
    return 0;
}

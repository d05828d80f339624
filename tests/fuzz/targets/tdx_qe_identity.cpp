// Fuzz target: Intel TDX QE identity collateral (qe_identity*.json, Intel PCS v4 "enclaveIdentity" +
// "signature") as verify_quote reads it (tdx_collateral.hpp says what is reachable).
#include "tdx_collateral.hpp"

using namespace kettle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::check_collateral(&tdx::Collateral::qe_identity_json, "enclaveIdentity", data, size, false);
    return 0;
}

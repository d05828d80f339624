// Fuzz target: Intel TDX TCB info collateral (tcbinfo*.json, Intel PCS v4 "tcbInfo" + "signature") as
// verify_quote reads it (tdx_collateral.hpp says what is reachable).
#include "tdx_collateral.hpp"

using namespace kettle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::check_collateral(&tdx::Collateral::tcb_info_json, "tcbInfo", data, size, true);
    return 0;
}

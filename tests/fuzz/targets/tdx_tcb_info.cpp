// Fuzz target: Intel TDX TCB info collateral (tcbinfo*.json, Intel PCS v4 "tcbInfo" + "signature") as
// verify_quote reads it (tdx_collateral.hpp says what is reachable).
#include "tdx_collateral.hpp"

using namespace kettle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    tdx::Collateral c = fuzz::tdx_collateral_fixture().collateral;
    c.tcb_info_json.assign(reinterpret_cast<const char*>(data), size);
    fuzz::verify_with(c, true);
    return 0;
}

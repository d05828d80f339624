// Fuzz target: the simulated AMD-SP's request parser (runner/sim_amdsp, SimAmdSp::handle_line), which reads one
// line that the guest, under the host's control, sends on the virtio-serial port.
// Invariants: handle_line never throws, and every answer is one strict JSON object of type
// "snp-report-response" or "error", without a newline.
#include "fuzz.hpp"
#include "kettle/core/json.hpp"
#include "sim_amdsp.hpp"

using namespace kettle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static runner::SimChain chain = runner::SimChain::load_or_create(runner::SimChain::default_dir());
    static runner::SimAmdSp sp(chain, runner::SimPlatform{}, runner::SimLaunch{});
    std::string_view line(reinterpret_cast<const char*>(data), size);
    std::string out;
    try {
        out = sp.handle_line(line);
    } catch (const std::exception& e) {
        fuzz::fail(__FILE__, __LINE__, "handle_line threw", e.what());
    }
    KETTLE_FUZZ_CHECK(out.find('\n') == std::string::npos, out);
    Json j;
    KETTLE_FUZZ_CHECK(fuzz::accepts([&] { j = parse_strict(out); }), out);
    KETTLE_FUZZ_CHECK(j.is_object() && (j.value("type", "") == "snp-report-response" || j.value("type", "") == "error"), out);
    return 0;
}

// Fuzz target: the verification policy file (`kettle verify --policy FILE`; bundle::parse_policy).
#include "fuzz.hpp"
#include "kettle/verify/bundle.hpp"

using namespace kettle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    fuzz::accepts([&] { bundle::parse_policy(text); });
    return 0;
}

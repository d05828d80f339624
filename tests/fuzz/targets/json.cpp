// Fuzz target: the strict JSON reader (kettle::parse_strict, RFC 8259 + I-JSON) and the RFC 8785 writer (jcs).
// Invariants: whatever parse_strict accepts, jcs can write; the written text parses again to an equal value and
// writes to the very same bytes (parse -> write -> parse -> write is a fixed point).
#include "fuzz.hpp"
#include "kettle/core/json.hpp"

using namespace kettle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    Json first;
    if (!fuzz::accepts([&] { first = parse_strict(text); })) return 0;
    std::string written;
    KETTLE_FUZZ_CHECK(fuzz::accepts([&] { written = jcs(first); }), "jcs refused a value parse_strict accepted");
    Json second;
    KETTLE_FUZZ_CHECK(fuzz::accepts([&] { second = parse_strict(written); }), "parse_strict refused jcs output: " + written);
    KETTLE_FUZZ_CHECK(second == first, "round trip changed the value: " + written);
    KETTLE_FUZZ_CHECK(jcs(second) == written, "jcs is not a fixed point: " + written);
    return 0;
}

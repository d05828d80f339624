// Fuzz target: the build request (request.json, the first member of the input disk; parse_request), the
// artifact globs it carries (glob_match) and the member path rule (normalize_member_path).
// Invariant: an accepted request written again (request_to_json) parses to the same request.
#include "fuzz.hpp"
#include "kettle/disk/artifacts.hpp"
#include "kettle/disk/format.hpp"

using namespace kettle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    fuzz::accepts([&] { normalize_member_path(text, 1024); });
    BuildRequest r;
    if (!fuzz::accepts([&] { r = parse_request(text); })) return 0;
    std::string out = jcs(request_to_json(r));
    BuildRequest again;
    KETTLE_FUZZ_CHECK(fuzz::accepts([&] { again = parse_request(out); }), out);
    KETTLE_FUZZ_CHECK(jcs(request_to_json(again)) == out, out);
    for (const auto& pattern : r.artifacts) {
        glob_match(pattern, "build/out/a.bin");
        glob_match(pattern, r.workdir);
        glob_match(pattern, pattern);
    }
    return 0;
}

// Fuzz target: the guest's go.sum reader (pkgdeps::parse_go_sum, lib/pkgdeps/golang.cpp; go.dev/ref/mod#go-sum-files:
// "<module> <version>[/go.mod] h1:<base64>"). go.sum comes from the checked-out commit: hostile text.
// Invariants: every entry has a 32-byte h1, a non-empty printable module and version, appears once, and makes a
// purl; at most limits.max_packages entries.
#include <set>
#include <tuple>

#include "fuzz.hpp"
#include "kettle/pkgdeps/golang.hpp"

using namespace kettle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    pkgdeps::DepsLimits lim;
    lim.max_packages = 64;
    std::vector<pkgdeps::GoSumEntry> es;
    if (!fuzz::accepts([&] { es = pkgdeps::parse_go_sum(text, lim); })) return 0;
    std::set<std::tuple<std::string, std::string, bool>> seen;
    for (const auto& e : es) {
        KETTLE_FUZZ_CHECK(e.h1.size() == 32, e.module);
        KETTLE_FUZZ_CHECK(!e.module.empty() && !e.version.empty(), "empty module or version");
        for (char c : e.module + e.version) KETTLE_FUZZ_CHECK(c > 0x20 && c < 0x7f, "unprintable byte in " + e.module);
        KETTLE_FUZZ_CHECK(seen.emplace(e.module, e.version, e.go_mod).second, "twice: " + e.module + " " + e.version);
        KETTLE_FUZZ_CHECK(fuzz::accepts([&] { pkgdeps::golang_purl(e.module, e.version); }), e.module);
    }
    return 0;
}

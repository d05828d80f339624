// Fuzz target: the guest's Cargo.lock reader (pkgdeps::parse_cargo_lock, lib/pkgdeps/cargo_lock.cpp: the subset of
// TOML cargo writes, [[package]] tables with name, version, source, checksum). The lockfile comes from the
// checked-out commit: hostile text.
// Invariants: packages sorted by (name, version), once each, at most limits.max_packages; each pins a 32-byte
// SHA-256; each makes a purl.
#include <tuple>

#include "fuzz.hpp"
#include "kettle/pkgdeps/cargo.hpp"

using namespace kettle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    pkgdeps::DepsLimits lim;
    lim.max_packages = 64;
    std::vector<pkgdeps::LockedPackage> pkgs;
    if (!fuzz::accepts([&] { pkgs = pkgdeps::parse_cargo_lock(text, lim); })) return 0;
    KETTLE_FUZZ_CHECK(pkgs.size() <= lim.max_packages, std::to_string(pkgs.size()));
    for (std::size_t i = 0; i < pkgs.size(); ++i) {
        const auto& p = pkgs[i];
        if (i > 0)
            KETTLE_FUZZ_CHECK(std::tie(pkgs[i - 1].name, pkgs[i - 1].version) < std::tie(p.name, p.version),
                              "not sorted or twice: " + p.name + "@" + p.version);
        KETTLE_FUZZ_CHECK(p.alg == "sha256" && p.digest.size() == 32, p.name + " " + p.alg);
        KETTLE_FUZZ_CHECK(!p.name.empty() && !p.version.empty(), "empty name or version");
        KETTLE_FUZZ_CHECK(fuzz::accepts([&] { pkgdeps::cargo_purl(p.name, p.version); }), p.name);
    }
    return 0;
}

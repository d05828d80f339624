// Fuzz target: the guest's Cargo.lock reader (pkgdeps::parse_cargo_lock, lib/pkgdeps/cargo_lock.cpp: the subset of
// TOML cargo writes, [[package]] tables with name, version, source, checksum). The lockfile comes from the
// checked-out commit: hostile text.
// Invariants: those of every lockfile reader (pkgdeps_fuzz.hpp: sorted, here by (name, version), once each, at most
// limits.max_packages, each makes a purl); each pins a 32-byte SHA-256; no empty name or version.
#include <tuple>

#include "pkgdeps_fuzz.hpp"
#include "kettle/pkgdeps/cargo.hpp"

using namespace kettle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto pkgs = fuzz::locked_packages(
        data, size, pkgdeps::parse_cargo_lock,
        [](const pkgdeps::LockedPackage& p) { return std::tie(p.name, p.version); }, pkgdeps::cargo_purl);
    if (!pkgs) return 0;
    for (const auto& p : *pkgs) {
        KETTLE_FUZZ_CHECK(p.alg == "sha256" && p.digest.size() == 32, p.name + " " + p.alg);
        KETTLE_FUZZ_CHECK(!p.name.empty() && !p.version.empty(), "empty name or version");
    }
    return 0;
}

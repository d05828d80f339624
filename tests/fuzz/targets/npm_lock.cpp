// Fuzz target: the guest's package-lock.json reader (pkgdeps::parse_npm_lock, lib/pkgdeps/npm_lock.cpp;
// docs.npmjs.com "package-lock.json": lockfileVersion 2/3, the "packages" map keyed by install path, "resolved",
// "integrity" as W3C SRI). The lockfile comes from the checked-out commit: hostile text.
// Invariants: the packages come sorted by install path, once each, at most limits.max_packages; each digest has its
// algorithm's length; each name is the one its install path ends in and makes a purl; a smaller package bound is
// honoured.
#include "fuzz.hpp"
#include "kettle/pkgdeps/npm.hpp"

using namespace kettle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    pkgdeps::DepsLimits lim;
    lim.max_packages = 64;
    std::vector<pkgdeps::LockedPackage> pkgs;
    if (!fuzz::accepts([&] { pkgs = pkgdeps::parse_npm_lock(text, lim); })) return 0;
    KETTLE_FUZZ_CHECK(pkgs.size() <= lim.max_packages, std::to_string(pkgs.size()));
    for (std::size_t i = 0; i < pkgs.size(); ++i) {
        const auto& p = pkgs[i];
        if (i > 0) KETTLE_FUZZ_CHECK(pkgs[i - 1].install_path < p.install_path, "not sorted or twice: " + p.install_path);
        KETTLE_FUZZ_CHECK(pkgdeps::digest_length(p.alg) == p.digest.size() && !p.digest.empty(), p.alg);
        std::string name;
        KETTLE_FUZZ_CHECK(fuzz::accepts([&] { name = pkgdeps::npm_name_from_path(p.install_path); }), p.install_path);
        KETTLE_FUZZ_CHECK(name == p.name, p.install_path + " names " + p.name);
        KETTLE_FUZZ_CHECK(p.resolved.rfind("https://", 0) == 0, p.resolved);
        KETTLE_FUZZ_CHECK(fuzz::accepts([&] { pkgdeps::npm_purl(p.name, p.version); }), p.name);
        pkgdeps::npm_member_name(p);
    }
    return 0;
}

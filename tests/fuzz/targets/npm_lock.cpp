// Fuzz target: the guest's package-lock.json reader (pkgdeps::parse_npm_lock, lib/pkgdeps/npm_lock.cpp;
// docs.npmjs.com "package-lock.json": lockfileVersion 2/3, the "packages" map keyed by install path, "resolved",
// "integrity" as W3C SRI). The lockfile comes from the checked-out commit: hostile text.
// Invariants: those of every lockfile reader (pkgdeps_fuzz.hpp: sorted, here by install path, once each, at most
// limits.max_packages, each makes a purl); each digest has its algorithm's length; each name is the one its install
// path ends in; each "resolved" is https.
#include "pkgdeps_fuzz.hpp"
#include "kettle/pkgdeps/npm.hpp"

using namespace kettle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto pkgs = fuzz::locked_packages(
        data, size, pkgdeps::parse_npm_lock, [](const pkgdeps::LockedPackage& p) { return p.install_path; },
        pkgdeps::npm_purl);
    if (!pkgs) return 0;
    for (const auto& p : *pkgs) {
        KETTLE_FUZZ_CHECK(pkgdeps::digest_length(p.alg) == p.digest.size() && !p.digest.empty(), p.alg);
        std::string name;
        KETTLE_FUZZ_CHECK(fuzz::accepts([&] { name = pkgdeps::npm_name_from_path(p.install_path); }), p.install_path);
        KETTLE_FUZZ_CHECK(name == p.name, p.install_path + " names " + p.name);
        KETTLE_FUZZ_CHECK(p.resolved.rfind("https://", 0) == 0, p.resolved);
        pkgdeps::npm_member_name(p);
    }
    return 0;
}

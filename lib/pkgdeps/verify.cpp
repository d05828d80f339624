// The guest's entry point for every ecosystem (kettle/pkgdeps/package.hpp verify_and_lay_out).
#include "kettle/core/error.hpp"
#include "kettle/pkgdeps/package.hpp"

namespace kettle::pkgdeps {

VerifiedSet verify_npm(const std::string& src_dir, const std::string& pkg_dir, const DepsLimits& limits);
VerifiedSet verify_cargo(const std::string& src_dir, const std::string& pkg_dir, const DepsLimits& limits);
VerifiedSet verify_go(const std::string& src_dir, const std::string& pkg_dir, const DepsLimits& limits);

VerifiedSet verify_and_lay_out(const std::string& ecosystem, const std::string& src_dir, const std::string& pkg_dir,
                               const DepsLimits& limits) {
    if (ecosystem == "npm") return verify_npm(src_dir, pkg_dir, limits);
    if (ecosystem == "cargo") return verify_cargo(src_dir, pkg_dir, limits);
    if (ecosystem == "go") return verify_go(src_dir, pkg_dir, limits);
    throw Error("deps: " + ecosystem + ": this ecosystem is not verified in the guest yet");
}

}  // namespace kettle::pkgdeps

// One npm tarball into node_modules (kettle/pkgdeps/npm.hpp): the bounded extractor of package_tar.hpp, then
// npm's own rule: the top-level package.json names the locked package.
#include "kettle/core/error.hpp"
#include "kettle/core/json.hpp"
#include "kettle/core/text.hpp"
#include "kettle/pkgdeps/npm.hpp"
#include "package_tar.hpp"

namespace kettle::pkgdeps {

namespace {

using detail::package_error;

// The package.json must name the locked package `p`; returns its "bin" commands.
std::vector<std::pair<std::string, std::string>> check_manifest(const detail::PackageTarRules& r,
                                                                const detail::PackageTarResult& got,
                                                                const LockedPackage& p) {
    if (!got.have_manifest) package_error(r, "the tarball has no package.json");
    Json m;
    try {
        m = parse_strict(got.manifest);
    } catch (const Error& e) {
        package_error(r, std::string("its package.json: ") + e.what());
    }
    if (!m.is_object()) package_error(r, "its package.json is not an object");
    auto name = m.find("name"), version = m.find("version");
    std::string n = name != m.end() && name->is_string() ? name->get<std::string>() : "";
    std::string v = version != m.end() && version->is_string() ? version->get<std::string>() : "";
    if (n != p.name || v != p.version)
        package_error(r, "the tarball is " + quote_text(n) + "@" + quote_text(v) + ", not the locked " + p.name + "@" +
                             p.version + " (its digest matches the lockfile, but the lockfile names another package)");
    std::vector<std::pair<std::string, std::string>> bins;
    auto bin = m.find("bin");
    if (bin == m.end()) return bins;
    std::string base = n.substr(n.find('/') == std::string::npos ? 0 : n.find('/') + 1);
    if (bin->is_string()) bins.emplace_back(base, bin->get<std::string>());
    else if (bin->is_object())
        for (auto it = bin->begin(); it != bin->end(); ++it)
            if (it->is_string()) bins.emplace_back(it.key(), it->get<std::string>());
    return bins;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> extract_npm_tarball(int tar_fd, int root_fd, const std::string& dest_rel,
                                                                     const LockedPackage& expect,
                                                                     const DepsLimits& limits,
                                                                     std::uint64_t& entries, std::uint64_t& bytes) {
    detail::PackageTarRules rules;
    rules.who = "npm package " + expect.install_path + " (" + expect.name + "@" + expect.version + ")";
    rules.label = "tarball";
    rules.manifest = "package.json";  // any top directory: npm strips the first component, whatever it is
    return check_manifest(rules, detail::extract_package_tar(tar_fd, root_fd, dest_rel, rules, limits, entries, bytes),
                          expect);
}

}  // namespace kettle::pkgdeps

// The guest's debian check (kettle/pkgdeps/debian.hpp verify_debian): the host's recipe against the dpkg status
// database of the toolchain the guest opened (dm-verity image or extracted tarball).
#include <algorithm>
#include <map>

#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/json.hpp"
#include "kettle/core/safe_read.hpp"
#include "kettle/core/text.hpp"
#include "kettle/pkgdeps/debian.hpp"

namespace kettle::pkgdeps {

namespace {

constexpr std::size_t kMaxRecipe = 256 * 1024;
constexpr std::size_t kMaxStatus = std::size_t{64} << 20;

Error fail(const std::string& why) { return Error("deps: debian: " + why); }

std::string text_of(const Json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

/// The recipe's package list: every entry a valid name/version/architecture with a 64-hex sha256, no name:arch
/// twice. Keyed by "name:arch".
std::map<std::string, DebPackage> recipe_packages(const Json& r) {
    if (!r.is_object() || text_of(r, "schema") != "kettle-toolchain-recipe/v2")
        throw fail("the toolchain recipe is not a kettle-toolchain-recipe/v2 object (a v1 recipe lists no .deb "
                   "digests: remake the toolchain with this kettle)");
    auto it = r.find("packages");
    if (it == r.end() || !it->is_array() || it->empty()) throw fail("the toolchain recipe has no \"packages\" list");
    if (it->size() > 30'000) throw fail("the toolchain recipe lists more than 30000 packages");
    std::map<std::string, DebPackage> out;
    for (const auto& e : *it) {
        if (!e.is_object()) throw fail("a recipe package that is not an object");
        DebPackage p{text_of(e, "name"), text_of(e, "version"), text_of(e, "architecture"), text_of(e, "filename"),
                     text_of(e, "sha256"), 0};
        if (!valid_deb_name(p.name) || !valid_deb_version(p.version) || !valid_deb_arch(p.architecture))
            throw fail("a recipe package without a valid name, version or architecture (" + quote_text(p.name, 80) + ")");
        if (p.sha256.size() != 64 || p.sha256.find_first_not_of("0123456789abcdef") != std::string::npos)
            throw fail("the recipe gives " + p.name + " no .deb sha256 (64 lower-case hex digits)");
        const std::string key = p.name + ":" + p.architecture;
        if (!out.emplace(key, std::move(p)).second) throw fail("the recipe lists " + key + " twice");
    }
    return out;
}

/// Compare: every installed package in the recipe with the same version, every recipe package installed.
void compare(const std::map<std::string, DebPackage>& recipe, const std::vector<DebPackage>& installed) {
    for (const auto& i : installed) {
        auto it = recipe.find(i.name + ":" + i.architecture);
        if (it == recipe.end())
            throw fail("package " + i.name + " " + i.version + " (" + i.architecture + ") is installed in the "
                       "toolchain but not listed in the recipe");
        if (it->second.version != i.version)
            throw fail("package " + i.name + " (" + i.architecture + "): the recipe says version " +
                       it->second.version + ", the toolchain has " + i.version + " installed");
    }
    if (recipe.size() != installed.size())
        for (const auto& [key, p] : recipe)
            if (!std::binary_search(installed.begin(), installed.end(), p))
                throw fail("package " + p.name + " " + p.version + " (" + p.architecture + ") is listed in the recipe "
                           "but not installed in the toolchain");
}

}  // namespace

VerifiedSet verify_debian(const std::string& recipe_path, const std::string& rootfs) {
    std::string recipe_text, status_text;
    try {
        recipe_text = to_string(read_file_nofollow(recipe_path, kMaxRecipe));
    } catch (const Error& e) {
        throw fail(std::string("cannot read the toolchain recipe: ") + e.what());
    }
    try {
        status_text = to_string(read_file_nofollow(rootfs + "/var/lib/dpkg/status", kMaxStatus));
    } catch (const Error& e) {
        throw fail(std::string("the toolchain has no readable var/lib/dpkg/status: ") + e.what());
    }
    Json r;
    try {
        r = parse_strict(recipe_text);
    } catch (const Error& e) {
        throw fail(std::string("the toolchain recipe is not strict JSON: ") + e.what());
    }
    std::map<std::string, DebPackage> want = recipe_packages(r);
    std::vector<DebPackage> installed;
    try {
        installed = dpkg_installed(status_text);
    } catch (const Error& e) {
        throw fail(e.what());
    }
    compare(want, installed);
    VerifiedSet v;
    v.ecosystem = "debian";
    v.lockfile = "files/toolchain.recipe.json";  // its name on the input disk
    v.lockfile_sha256 = sha256(std::string_view(recipe_text));
    v.files = installed.size();
    v.bytes = status_text.size();
    for (const auto& [key, p] : want) v.packages.push_back({deb_purl(p.name, p.version, p.architecture), "sha256", p.sha256});
    std::sort(v.packages.begin(), v.packages.end());
    return v;
}

}  // namespace kettle::pkgdeps

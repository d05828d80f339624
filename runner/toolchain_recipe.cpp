// The toolchain recipe sidecar. See toolchain_recipe.hpp.
#include "toolchain_recipe.hpp"

#include <algorithm>
#include <filesystem>

#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"

namespace fs = std::filesystem;

namespace kettle::runner {

namespace {

/// Fold one finished dpkg status paragraph into `out` when it is installed.
void add_paragraph(std::vector<Json>& out, const std::string& name, const std::string& version,
                   const std::string& arch, const std::string& status) {
    if (name.empty() && version.empty() && status.empty()) return;
    const std::string suffix = " installed";
    if (status.size() < suffix.size() || status.compare(status.size() - suffix.size(), suffix.size(), suffix) != 0)
        return;
    if (name.empty() || version.empty()) throw Error("dpkg status: an installed package without Package or Version");
    out.push_back(Json{{"name", name}, {"version", version}, {"architecture", arch}});
}

}  // namespace

Json dpkg_installed_packages(const std::string& text) {
    std::vector<Json> pkgs;
    std::string name, version, arch, status;
    std::size_t p = 0;
    while (p <= text.size()) {
        std::size_t nl = text.find('\n', p);
        std::string line = text.substr(p, nl == std::string::npos ? std::string::npos : nl - p);
        if (line.empty()) {
            add_paragraph(pkgs, name, version, arch, status);
            name.clear(), version.clear(), arch.clear(), status.clear();
        } else if (line.rfind("Package: ", 0) == 0) name = line.substr(9);
        else if (line.rfind("Version: ", 0) == 0) version = line.substr(9);
        else if (line.rfind("Architecture: ", 0) == 0) arch = line.substr(14);
        else if (line.rfind("Status: ", 0) == 0) status = line.substr(8);
        if (nl == std::string::npos) break;
        p = nl + 1;
    }
    add_paragraph(pkgs, name, version, arch, status);
    std::sort(pkgs.begin(), pkgs.end(), [](const Json& a, const Json& b) {
        return std::make_pair(a["name"].get<std::string>(), a["architecture"].get<std::string>()) <
               std::make_pair(b["name"].get<std::string>(), b["architecture"].get<std::string>());
    });
    return Json(pkgs);
}

std::string recipe_path(const std::string& toolchain) { return toolchain + ".recipe.json"; }

std::string checked_recipe_for(const std::string& toolchain) {
    const std::string p = recipe_path(toolchain);
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(p, ec))) return "";
    if (!fs::is_regular_file(fs::symlink_status(p, ec))) throw Error("toolchain recipe " + p + ": not a regular file");
    if (fs::file_size(p, ec) > kMaxRecipeBytes)
        throw Error("toolchain recipe " + p + ": larger than " + std::to_string(kMaxRecipeBytes) + " bytes");
    Json r;
    try {
        r = parse_strict(to_string(read_file(p, kMaxRecipeBytes)));
    } catch (const Error& e) {
        throw Error("toolchain recipe " + p + ": " + e.what());
    }
    if (!r.is_object() || r.value("schema", "") != "kettle-toolchain-recipe/v1")
        throw Error("toolchain recipe " + p + ": not a kettle-toolchain-recipe/v1 object");
    const std::string want = r.value("toolchain_sha256", "");
    const std::string have = hex(sha256_file(toolchain));
    if (want != have)
        throw Error("toolchain recipe " + p + " describes a toolchain with SHA-256 " + want.substr(0, 64) + ", not " +
                    toolchain + " (" + have + "); remove or replace the stale recipe");
    return p;
}

}  // namespace kettle::runner

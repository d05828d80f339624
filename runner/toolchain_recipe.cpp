// The toolchain recipe sidecar. See toolchain_recipe.hpp.
#include "toolchain_recipe.hpp"

#include <algorithm>
#include <filesystem>
#include <map>

#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/pkgdeps/debian.hpp"
#include "progress.hpp"

namespace fs = std::filesystem;

namespace kettle::runner {

namespace {

/// One verified InRelease of the lists directory: its file name, SHA-256 and parsed content.
struct Release {
    std::string file, sha256;
    pkgdeps::DebRelease r;
};

std::vector<std::string> list_files(const std::string& dir, const std::string& suffix) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) {
        const std::string n = e.path().filename().string();
        if (n.size() > suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0 &&
            e.is_regular_file() && !e.is_symlink())
            out.push_back(n);
    }
    std::sort(out.begin(), out.end());
    return out;
}

Release read_release(const std::string& dir, const std::string& name, const std::string& keyring) {
    const std::string path = dir + "/" + name;
    if (!keyring.empty()) {
        // --logger-fd 1: gpgv's report comes back in `out` (shown only when the check fails), not on the terminal.
        auto [st, out] = run_capture({"gpgv", "--logger-fd", "1", "--keyring", keyring, path});
        if (st != 0) throw Error(name + ": gpgv does not find a good signature by " + keyring + ":\n" + out);
    }
    const std::string text = to_string(read_file(path, std::size_t{16} << 20));
    try {
        return {name, hex(sha256(std::string_view(text))), pkgdeps::parse_inrelease(text)};
    } catch (const Error& e) {
        throw Error(name + ": " + e.what());
    }
}

/// The release and path that list a Packages file with SHA-256 `sum` and `size` bytes, or throws.
std::pair<const Release*, std::string> listed_by(const std::vector<Release>& rels, const std::string& name,
                                                 const std::string& sum, std::uint64_t size) {
    for (const auto& r : rels)
        for (const auto& e : r.r.sha256) {
            const bool packages = e.path == "Packages" || (e.path.size() > 9 && e.path.compare(e.path.size() - 9, 9, "/Packages") == 0);
            if (packages && e.sha256 == sum && e.size == size) return {&r, e.path};
        }
    throw Error(name + ": its SHA-256 " + sum + " is not listed for a Packages index by any InRelease");
}

}  // namespace

Json debian_manifest(const std::string& status_text, const std::string& lists_dir, const std::string& keyring) {
    const std::vector<pkgdeps::DebPackage> installed = pkgdeps::dpkg_installed(status_text);
    std::vector<Release> rels;
    for (const auto& n : list_files(lists_dir, "_InRelease")) rels.push_back(read_release(lists_dir, n, keyring));
    if (rels.empty()) throw Error("no *_InRelease file in the apt lists of the mmdebstrap run");
    std::map<std::string, Json> indexes;  // release file -> its packages_indexes
    std::map<std::string, pkgdeps::DebPackage> found;
    for (const auto& n : list_files(lists_dir, "_Packages")) {
        std::string list = lists_dir;
        list.append("/").append(n);
        const std::string text = to_string(read_file(list, std::size_t{256} << 20));
        auto [rel, path] = listed_by(rels, n, hex(sha256(std::string_view(text))), text.size());
        indexes[rel->file].push_back(Json{{"path", path}, {"sha256", hex(sha256(std::string_view(text)))}, {"size", text.size()}});
        try {
            for (auto& p : pkgdeps::packages_index_entries(text, installed)) found.emplace(p.name + ":" + p.architecture, p);
        } catch (const Error& e) {
            throw Error(n + ": " + e.what());
        }
    }
    Json index = Json::array(), pkgs = Json::array();
    for (const auto& r : rels)
        index.push_back(Json{{"release", r.file}, {"release_sha256", r.sha256}, {"date", r.r.date},
                             {"codename", r.r.codename}, {"packages_indexes", indexes.count(r.file) ? indexes[r.file] : Json::array()}});
    for (const auto& i : installed) {
        auto it = found.find(i.name + ":" + i.architecture);
        if (it == found.end())
            throw Error("the installed package " + i.name + " " + i.version + " (" + i.architecture + ") is in no "
                        "Packages index apt verified (a local .deb, or an index that changed during the run)");
        const auto& p = it->second;
        pkgs.push_back(Json{{"name", p.name}, {"version", p.version}, {"architecture", p.architecture},
                            {"filename", p.filename}, {"sha256", p.sha256}, {"size", p.size}});
    }
    return Json{{"apt_index", index}, {"packages", pkgs}};
}

std::string recipe_path(const std::string& toolchain) { return toolchain + ".recipe.json"; }

std::string checked_recipe_for(const std::string& toolchain) {
    std::string p = recipe_path(toolchain);  // not const: returned by move
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
    const std::string schema = r.is_object() ? r.value("schema", "") : "";
    if (schema != "kettle-toolchain-recipe/v1" && schema != "kettle-toolchain-recipe/v2")
        throw Error("toolchain recipe " + p + ": not a kettle-toolchain-recipe/v1 or /v2 object");
    const std::string want = r.value("toolchain_sha256", "");
    const std::string have = hex(sha256_file(toolchain));
    if (want != have)
        throw Error("toolchain recipe " + p + " describes a toolchain with SHA-256 " + want.substr(0, 64) + ", not " +
                    toolchain + " (" + have + "); remove or replace the stale recipe");
    return p;
}

}  // namespace kettle::runner

namespace kettle::runner {

std::string recipe_schema(const std::string& path) {
    return parse_strict(to_string(read_file(path, kMaxRecipeBytes))).value("schema", "");
}

void add_debian_dependency(std::vector<std::string>& ecosystems, const std::vector<std::string>& flags,
                           const std::string& recipe) {
    const bool none = std::find(flags.begin(), flags.end(), "none") != flags.end();
    const bool asked = std::find(flags.begin(), flags.end(), "debian") != flags.end();
    Json r = recipe.empty() ? Json::object() : parse_strict(to_string(read_file(recipe, kMaxRecipeBytes)));
    // A v2 recipe with installed packages (an `extract` variant installs none: nothing to check).
    const bool v2 = r.value("schema", "") == "kettle-toolchain-recipe/v2" && r.contains("packages") &&
                    r["packages"].is_array() && !r["packages"].empty();
    if (asked && !v2)
        throw Error("--deps debian: the toolchain has no kettle-toolchain-recipe/v2 recipe listing installed packages "
                    "beside it (remake it with `kettle toolchain debian`, which records every package's .deb SHA-256)");
    if (none || !v2 || std::find(ecosystems.begin(), ecosystems.end(), "debian") != ecosystems.end()) return;
    ecosystems.push_back("debian");
    std::sort(ecosystems.begin(), ecosystems.end());
}

}  // namespace kettle::runner

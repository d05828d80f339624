// One .crate into the vendor directory (kettle/pkgdeps/cargo.hpp): the bounded extractor of package_tar.hpp with
// cargo's rules (the top directory <name>-<version>/, every file hashed for .cargo-checksum.json), then the
// Cargo.toml check; and the small cargo texts the guest writes beside the crates.
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/json.hpp"
#include "kettle/core/text.hpp"
#include "kettle/pkgdeps/cargo.hpp"
#include "package_tar.hpp"

namespace kettle::pkgdeps {

namespace {

/// The crate's Cargo.toml must name the locked crate `p`.
void check_manifest(const detail::PackageTarRules& r, const detail::PackageTarResult& got, const LockedPackage& p) {
    if (!got.have_manifest) detail::package_error(r, "the crate has no Cargo.toml");
    auto [name, version] = crate_manifest_identity(got.manifest);
    if (name != p.name || version != p.version)
        detail::package_error(r, "its Cargo.toml names " + quote_text(name) + "@" + quote_text(version) +
                                     ", not the locked " + p.name + "@" + p.version +
                                     " (its digest matches Cargo.lock, but Cargo.lock names another crate)");
}

/// The string value of a `key = "value"` line (no escapes), or nullopt-like {false, ""}.
std::pair<bool, std::string> string_value(std::string_view line, std::string_view key) {
    if (line.substr(0, key.size()) != key) return {false, {}};
    std::string_view rest = line.substr(key.size());
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (rest.empty() || rest.front() != '=') return {false, {}};
    rest.remove_prefix(1);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\r')) rest.remove_suffix(1);
    if (rest.size() < 2 || rest.front() != '"' || rest.back() != '"') return {false, {}};
    rest = rest.substr(1, rest.size() - 2);
    if (rest.find_first_of("\"\\") != std::string_view::npos) return {false, {}};
    return {true, std::string(rest)};
}

}  // namespace

std::pair<std::string, std::string> crate_manifest_identity(std::string_view text) {
    std::string name, version;
    bool in_package = false;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t nl = text.find('\n', pos);
        std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? text.size() : nl + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (!line.empty() && line.front() == '[') {
            in_package = line == "[package]";
            continue;
        }
        if (!in_package) continue;
        if (auto [ok, v] = string_value(line, "name"); ok && name.empty()) name = v;
        if (auto [ok, v] = string_value(line, "version"); ok && version.empty()) version = v;
    }
    return {name, version};
}

std::string cargo_member_name(const LockedPackage& p) { return p.alg + "-" + hex(p.digest) + ".crate"; }

std::string cargo_checksum_json(const std::map<std::string, std::string>& files, const std::string& package_hex) {
    Json f = Json::object();
    for (const auto& [path, sum] : files) f[path] = sum;
    return dump_text(Json{{"files", f}, {"package", package_hex}});
}

std::string cargo_source_config(const std::string& vendor_dir) {
    return "# Written by Kettle's guest (docs/dependencies.md): every crate of Cargo.lock, checked against its\n"
           "# checksum, is in the directory source below; the build has no network.\n"
           "[source.crates-io]\nreplace-with = \"vendored-sources\"\n\n"
           "[source.vendored-sources]\ndirectory = \"" + vendor_dir + "\"\n\n"
           "[net]\noffline = true\n";
}

std::map<std::string, std::string> extract_crate(int tar_fd, int root_fd, const std::string& dest_rel,
                                                 const LockedPackage& expect, const DepsLimits& limits,
                                                 std::uint64_t& entries, std::uint64_t& bytes) {
    detail::PackageTarRules rules;
    rules.who = "cargo crate " + expect.name + "@" + expect.version;
    rules.label = ".crate";
    rules.top = expect.name + "-" + expect.version;
    rules.manifest = "Cargo.toml";
    rules.reserved = {".cargo-checksum.json"};  // the guest writes it from the hashes below
    rules.hash_files = true;
    detail::PackageTarResult got = detail::extract_package_tar(tar_fd, root_fd, dest_rel, rules, limits, entries, bytes);
    check_manifest(rules, got, expect);
    return std::move(got.sha256);
}

}  // namespace kettle::pkgdeps

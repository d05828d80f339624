// package-lock.json v2/v3 reader (kettle/pkgdeps/npm.hpp). The lockfile comes from the checked-out commit and is
// untrusted: every field is checked before use.
#include <algorithm>

#include "kettle/core/error.hpp"
#include "kettle/core/json.hpp"
#include "kettle/core/text.hpp"
#include "kettle/pkgdeps/npm.hpp"

namespace kettle::pkgdeps {

namespace {

[[noreturn]] void bad(const std::string& key, const std::string& why) {
    throw Error("package-lock.json: " + (key.empty() ? std::string() : "\"" + printable(key, 200) + "\": ") + why);
}

// One npm name component: lower or upper letters, digits and - . _ ~ (npm's validate-npm-package-name keeps
// legacy upper-case names), not "." or "..", at most 214 bytes.
bool plain_component(std::string_view s) {
    if (s.empty() || s.size() > 214 || s == "." || s == "..") return false;
    for (unsigned char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
              c == '_' || c == '~'))
            return false;
    return s[0] != '.';
}

bool valid_npm_name(std::string_view n) {
    if (!n.empty() && n[0] == '@') {
        auto slash = n.find('/');
        return slash != std::string_view::npos && plain_component(n.substr(1, slash - 1)) &&
               plain_component(n.substr(slash + 1));
    }
    return plain_component(n);
}

bool plain_text(std::string_view s, std::size_t max) {
    if (s.empty() || s.size() > max) return false;
    for (unsigned char c : s)
        if (c <= 0x20 || c >= 0x7f) return false;
    return true;
}

std::string string_field(const Json& v, const char* field, const std::string& key) {
    auto it = v.find(field);
    if (it == v.end()) return {};
    if (!it->is_string()) bad(key, std::string(field) + " is not a string");
    return it->get<std::string>();
}

LockedPackage read_entry(const std::string& key, const Json& v) {
    if (!v.is_object()) bad(key, "entry is not an object");
    std::string name = npm_name_from_path(key);
    if (auto link = v.find("link"); link != v.end() && link->is_boolean() && link->get<bool>())
        bad(key, "links and workspaces (\"link\": true) are not supported: the package would come from the source "
                 "tree, not from a verified tarball");
    LockedPackage p;
    p.install_path = key;
    p.name = v.contains("name") ? string_field(v, "name", key) : name;  // an alias ("npm:real@1") names the package
    if (!valid_npm_name(p.name)) bad(key, "the package name " + quote_text(p.name) + " is not a valid npm name");
    p.version = string_field(v, "version", key);
    if (!plain_text(p.version, 256)) bad(key, "version " + quote_text(p.version) + " is missing or not plain text");
    p.resolved = string_field(v, "resolved", key);
    std::string integrity = string_field(v, "integrity", key);
    if (integrity.empty() || (!p.resolved.empty() && p.resolved.rfind("https://", 0) != 0))
        bad(key, "no \"integrity\", or \"resolved\" is not https: git, file and directory dependencies are not "
                 "supported (only registry tarballs with a pinned digest)");
    if (p.resolved.empty()) p.resolved = npm_registry_url(p.name, p.version);
    if (!plain_text(p.resolved, 4096)) bad(key, "\"resolved\" " + quote_text(p.resolved) + " is not plain text");
    try {
        if (!parse_sri(integrity, p.alg, p.digest)) bad(key, "integrity has no sha512, sha256 or sha1 digest");
    } catch (const Error& e) {
        if (std::string(e.what()).rfind("package-lock.json", 0) == 0) throw;
        bad(key, e.what());
    }
    return p;
}

}  // namespace

std::string npm_name_from_path(std::string_view key) {
    constexpr std::string_view nm = "node_modules/";
    std::string_view rest = key;
    std::string last;
    if (rest.substr(0, nm.size()) != nm) bad(std::string(key), "not a node_modules/ install path (workspaces are not supported)");
    while (!rest.empty()) {
        if (rest.substr(0, nm.size()) != nm) bad(std::string(key), "not a node_modules/<name> install path");
        rest.remove_prefix(nm.size());
        std::size_t end = rest.find('/');
        if (!rest.empty() && rest[0] == '@' && end != std::string_view::npos) end = rest.find('/', end + 1);
        std::string_view name = rest.substr(0, end);
        if (!valid_npm_name(name)) bad(std::string(key), "install path holds an invalid package name");
        last = std::string(name);
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
        if (end != std::string_view::npos && rest.empty()) bad(std::string(key), "install path ends in \"/\"");
    }
    return last;
}

std::string npm_registry_url(std::string_view name, std::string_view version) {
    std::string_view base = name.substr(name.find('/') == std::string_view::npos ? 0 : name.find('/') + 1);
    return "https://registry.npmjs.org/" + std::string(name) + "/-/" + std::string(base) + "-" + std::string(version) +
           ".tgz";
}

std::string npm_member_name(const LockedPackage& p) { return p.alg + "-" + hex(p.digest) + ".tgz"; }

std::vector<LockedPackage> parse_npm_lock(std::string_view text, const DepsLimits& limits) {
    if (text.size() > limits.max_lockfile_bytes)
        bad("", "larger than " + std::to_string(limits.max_lockfile_bytes) + " bytes");
    Json j;
    try {
        j = parse_strict(text);
    } catch (const Error& e) {
        bad("", e.what());
    }
    if (!j.is_object()) bad("", "not a JSON object");
    auto ver = j.find("lockfileVersion");
    if (ver == j.end() || !ver->is_number_integer() || (ver->get<long long>() != 2 && ver->get<long long>() != 3))
        bad("", "lockfileVersion must be 2 or 3 (version 1 has no \"packages\" map: regenerate it with npm 7 or later)");
    auto pk = j.find("packages");
    if (pk == j.end() || !pk->is_object()) bad("", "no \"packages\" object");
    if (pk->size() > limits.max_packages + 1)
        bad("", std::to_string(pk->size()) + " entries, more than the limit of " + std::to_string(limits.max_packages));
    std::vector<LockedPackage> out;
    for (auto it = pk->begin(); it != pk->end(); ++it) {
        if (it.key().empty()) continue;  // the root project itself
        if (auto b = it->find("inBundle"); it->is_object() && b != it->end() && b->is_boolean() && b->get<bool>())
            continue;
        out.push_back(read_entry(it.key(), *it));
    }
    std::sort(out.begin(), out.end(),
              [](const LockedPackage& a, const LockedPackage& b) { return a.install_path < b.install_path; });
    return out;
}

}  // namespace kettle::pkgdeps

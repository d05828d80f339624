// The policy's dependency rules (kettle/verify/policy.hpp PackageRule, docs/dependencies.md §3).
#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <set>

#include "kettle/core/error.hpp"
#include "kettle/verify/policy.hpp"
#include "purl_parts.hpp"

namespace kettle::bundle {

namespace {

[[noreturn]] void bad(const std::string& why) { throw Error("policy file: packages: " + why); }

/// The ecosystem (request "dependencies", resolvedDependency "lockfile/<ecosystem>") whose check lists packages
/// of purl type `type`; "" for a type Kettle never records.
std::string ecosystem_of(const std::string& type) {
    if (type == "npm" || type == "cargo") return type;
    if (type == "golang") return "go";
    if (type == "deb") return "debian";
    return "";
}

/// Fill the rule's canonical purl parts from `p.purl`, refusing a purl that no package of a provenance could ever
/// match (the provenance's purls are those of kettle/pkgdeps/package.hpp: pkg:npm, pkg:cargo, pkg:golang with a
/// "#go.mod" subpath for go.mod lines, and pkg:deb/debian/<name>?arch=<arch>).
void canonicalize(PackageRule& p) {
    if (p.purl.empty()) bad("rule " + p.text + ": no 'purl'");
    if (p.purl.substr(0, p.purl.find_first_of("?#")).find('@') != std::string::npos)
        bad("rule " + p.text + ": 'purl' must be a package URL without @version (an npm scope's '@' is written %40)");
    PurlParts u;
    try {
        u = parse_purl(p.purl);
    } catch (const Error& e) {
        bad("rule " + p.text + ": 'purl' is not a package URL: " + e.what());
    }
    const std::string why = "rule " + p.text + ": ";
    if (!u.subpath.empty()) bad(why + "'purl' has a #subpath; a rule names a package without one");
    p.type = u.type;
    p.path = u.path;
    p.ecosystem = ecosystem_of(u.type);
    if (p.ecosystem.empty())
        bad(why + "Kettle records no pkg:" + u.type + " packages (only pkg:npm, pkg:cargo, pkg:golang, pkg:deb), so the "
                  "rule could never match");
    if (u.type == "cargo" && u.path.size() != 1) bad(why + "pkg:cargo has no namespace");
    if (u.type == "npm" && u.path.size() > 2) bad(why + "pkg:npm has at most a scope and a name");
    if (u.type == "deb" && (u.path.size() != 2 || u.path[0] != "debian"))
        bad(why + "the provenance names the toolchain's packages pkg:deb/debian/<name>");
    auto other = std::find_if(u.qualifiers.begin(), u.qualifiers.end(),
                              [&](const auto& q) { return !(u.type == "deb" && q.first == "arch"); });
    if (other != u.qualifiers.end())
        bad(why + "the provenance records no qualifier '" + other->first + "' for pkg:" + u.type +
            " (only 'arch' for pkg:deb)");
    p.qualifiers = u.qualifiers;
}

PackageRule parse_rule(const Json& r) {
    if (!r.is_object()) bad("a rule is not an object");
    PackageRule p;
    p.text = r.dump();
    for (auto& [k, v] : r.items()) {
        if (!v.is_string()) bad("'" + k + "' is not a string");
        std::string s = v.get<std::string>();
        if (k == "purl") {
            p.purl = s;
        } else if (k == "version") {
            std::size_t n = s.rfind(">=", 0) == 0 || s.rfind("<=", 0) == 0 ? 2
                            : (!s.empty() && (s[0] == '>' || s[0] == '<' || s[0] == '=')) ? 1 : 0;
            p.op = n ? s.substr(0, n) : "=";
            p.version = s.substr(n);
            if (p.version.empty()) bad("version condition '" + s + "' names no version");
        } else if (k == "digest") {
            auto colon = s.find(':');
            if (colon == std::string::npos || colon == 0 || colon + 1 == s.size()) bad("digest '" + s + "' is not alg:hex");
            p.alg = s.substr(0, colon);
            p.hex = s.substr(colon + 1);
            std::transform(p.hex.begin(), p.hex.end(), p.hex.begin(), [](unsigned char c) { return std::tolower(c); });
        } else {
            bad("unknown rule key '" + k + "'");
        }
    }
    canonicalize(p);
    return p;
}

/// Compare two versions: components split at '.', '-' and '+', numeric ones numerically; a leading 'v' before a
/// digit (Go's "v1.2.3") is skipped. <0, 0, >0.
int compare_versions(const std::string& a, const std::string& b) {
    auto split = [](const std::string& s) {
        std::vector<std::string> out(1);
        bool go_v = s.size() > 1 && s[0] == 'v' && s[1] >= '0' && s[1] <= '9';
        for (char c : std::string_view(s).substr(go_v ? 1 : 0)) {
            if (c == '.' || c == '-' || c == '+') out.emplace_back();
            else out.back() += c;
        }
        return out;
    };
    auto x = split(a), y = split(b);
    for (std::size_t i = 0; i < std::max(x.size(), y.size()); ++i) {
        std::string p = i < x.size() ? x[i] : "0", q = i < y.size() ? y[i] : "0";
        bool np = !p.empty() && std::all_of(p.begin(), p.end(), ::isdigit);
        bool nq = !q.empty() && std::all_of(q.begin(), q.end(), ::isdigit);
        if (np && nq) {
            p.erase(0, std::min(p.find_first_not_of('0'), p.size() - 1));
            q.erase(0, std::min(q.find_first_not_of('0'), q.size() - 1));
            if (p.size() != q.size()) return p.size() < q.size() ? -1 : 1;
        }
        if (p != q) return p < q ? -1 : 1;
    }
    return 0;
}

/// The order of one character in a Debian version's non-digit run (Debian Policy §5.6.12): '~' before everything,
/// even the end of the part; then the end; then letters; then every other character, by ASCII.
int deb_order(int c) {
    if (c == '~') return -1;
    if (c == 0) return 0;
    if (std::isalpha(c)) return c;
    return c + 256;
}

/// Compare two upstream versions or revisions by Debian Policy §5.6.12: alternately the longest non-digit prefix
/// (deb_order, character by character) and the longest digit prefix (numerically).
int deb_compare_part(const std::string& a, const std::string& b) {
    std::size_t i = 0, j = 0;
    while (i < a.size() || j < b.size()) {
        while ((i < a.size() && !std::isdigit(static_cast<unsigned char>(a[i]))) ||
               (j < b.size() && !std::isdigit(static_cast<unsigned char>(b[j])))) {
            int x = i < a.size() && !std::isdigit(static_cast<unsigned char>(a[i])) ? deb_order(static_cast<unsigned char>(a[i])) : 0;
            int y = j < b.size() && !std::isdigit(static_cast<unsigned char>(b[j])) ? deb_order(static_cast<unsigned char>(b[j])) : 0;
            if (x != y) return x < y ? -1 : 1;
            ++i, ++j;
        }
        while (i < a.size() && a[i] == '0') ++i;
        while (j < b.size() && b[j] == '0') ++j;
        std::size_t di = i, dj = j;
        while (di < a.size() && std::isdigit(static_cast<unsigned char>(a[di]))) ++di;
        while (dj < b.size() && std::isdigit(static_cast<unsigned char>(b[dj]))) ++dj;
        if (di - i != dj - j) return di - i < dj - j ? -1 : 1;
        if (int c = a.compare(i, di - i, b, j, dj - j); c != 0) return c < 0 ? -1 : 1;
        i = di, j = dj;
    }
    return 0;
}

/// Debian version order (Debian Policy §5.6.12 "Version"): epoch numerically (absent = 0), then the upstream
/// version, then the revision (after the last '-'; absent = empty), each by deb_compare_part. <0, 0, >0.
int compare_deb_versions(const std::string& a, const std::string& b) {
    auto split = [](const std::string& v) {
        std::size_t colon = v.find(':');
        std::string epoch = colon == std::string::npos ? "0" : v.substr(0, colon);
        std::string rest = colon == std::string::npos ? v : v.substr(colon + 1);
        std::size_t dash = rest.rfind('-');
        std::string rev = dash == std::string::npos ? "" : rest.substr(dash + 1);
        if (dash != std::string::npos) rest.resize(dash);
        return std::array<std::string, 3>{epoch, rest, rev};
    };
    auto x = split(a), y = split(b);
    for (int k = 0; k < 3; ++k)
        if (int c = deb_compare_part(x[k], y[k]); c != 0) return c;
    return 0;
}

/// A resolvedDependency's package URL, parsed; nullopt for an entry that is not a package (no "pkg:" uri).
/// Throws Error("statement: ...") for a package URL that does not parse or has no version: a rule cannot be held
/// to a package it cannot read.
std::optional<PurlParts> package_of(const Json& d) {
    if (!d.is_object() || !d.contains("uri") || !d["uri"].is_string()) return std::nullopt;
    const std::string uri = d["uri"].get<std::string>();
    if (uri.size() < 4 || !std::equal(uri.begin(), uri.begin() + 4, "pkg:", [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) == b;
        }))
        return std::nullopt;
    try {
        PurlParts u = parse_purl(uri);
        if (!u.has_version) throw Error("no @version");
        return u;
    } catch (const Error& e) {
        throw Error("statement: resolvedDependency " + uri + " is not a package URL the policy can read: " + e.what());
    }
}

bool matches(const PackageRule& r, const PurlParts& u, const Json& d) {
    if (u.type != r.type || u.path != r.path) return false;
    for (const auto& [k, v] : r.qualifiers) {
        auto it = u.qualifiers.find(k);
        if (it == u.qualifiers.end() || it->second != v) return false;
    }
    if (!r.op.empty()) {
        int c = r.type == "deb" ? compare_deb_versions(u.version, r.version) : compare_versions(u.version, r.version);
        bool ok = r.op == "=" ? c == 0 : r.op == ">=" ? c >= 0 : r.op == ">" ? c > 0 : r.op == "<=" ? c <= 0 : c < 0;
        if (!ok) return false;
    }
    if (!r.alg.empty()) {
        if (!d.contains("digest") || !d["digest"].is_object()) return false;
        auto it = d["digest"].find(r.alg);
        if (it == d["digest"].end() || !it->is_string() || it->get<std::string>() != r.hex) return false;
    }
    return true;
}

/// Every rule's ecosystem must have been checked: a "lockfile/<ecosystem>" resolvedDependency. Without it the
/// provenance lists none of that ecosystem's packages whatever the build used, so no rule over them can hold.
void require_checked_ecosystems(const Json& resolved, const std::vector<PackageRule>& rules) {
    std::set<std::string> checked;
    for (const auto& d : resolved)
        if (d.is_object() && d.contains("name") && d["name"].is_string()) checked.insert(d["name"].get<std::string>());
    for (const auto& r : rules)
        if (!checked.count("lockfile/" + r.ecosystem))
            throw Error("statement: the policy's package rule " + r.text + " is about pkg:" + r.type +
                        " packages, but the provenance has no lockfile/" + r.ecosystem + ": the build did not check " +
                        "the " + r.ecosystem + " ecosystem (request \"dependencies\"), so it proves nothing about them");
}

}  // namespace

void parse_package_rules(const Json& v, std::vector<PackageRule>& require, std::vector<PackageRule>& forbid) {
    if (!v.is_object()) bad("not an object");
    for (auto& [k, list] : v.items()) {
        if (k != "require" && k != "forbid") bad("unknown key '" + k + "' (require, forbid)");
        if (!list.is_array()) bad("'" + k + "' is not an array");
        for (const auto& r : list) (k == "require" ? require : forbid).push_back(parse_rule(r));
    }
}

std::string check_package_rules(const Json& resolved, const std::vector<PackageRule>& require,
                                const std::vector<PackageRule>& forbid) {
    if (require.empty() && forbid.empty()) return "";
    if (!resolved.is_array()) throw Error("statement: resolvedDependencies is not an array");
    require_checked_ecosystems(resolved, require);
    require_checked_ecosystems(resolved, forbid);
    std::vector<std::pair<PurlParts, const Json*>> packages;
    for (const auto& d : resolved)
        if (auto u = package_of(d)) packages.emplace_back(std::move(*u), &d);
    auto hit = [&](const PackageRule& r) -> const Json* {
        for (const auto& [u, d] : packages)
            if (matches(r, u, *d)) return d;
        return nullptr;
    };
    for (const auto& r : require)
        if (!hit(r)) throw Error("statement: the policy requires package " + r.text + ", which the provenance lacks");
    for (const auto& r : forbid)
        if (const Json* d = hit(r))
            throw Error("statement: the policy forbids package " + r.text + ", and the provenance has " +
                        (*d)["uri"].get<std::string>());
    return "; package rules: " + std::to_string(require.size()) + " required present, " +
           std::to_string(forbid.size()) + " forbidden absent";
}

}  // namespace kettle::bundle

// The policy's dependency rules (kettle/verify/policy.hpp PackageRule, docs/dependencies.md §3).
#include <algorithm>
#include <cctype>

#include "kettle/core/error.hpp"
#include "kettle/verify/policy.hpp"

namespace kettle::bundle {

namespace {

[[noreturn]] void bad(const std::string& why) { throw Error("policy file: packages: " + why); }

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
    if (p.purl.rfind("pkg:", 0) != 0 || p.purl.find('@', 4) != std::string::npos)
        bad("rule " + p.text + ": 'purl' must be a package URL without @version");
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

bool matches(const PackageRule& r, const Json& d) {
    if (!d.is_object() || !d.contains("uri") || !d["uri"].is_string()) return false;
    std::string uri = d["uri"].get<std::string>();
    if (uri.size() <= r.purl.size() + 1 || uri.compare(0, r.purl.size(), r.purl) != 0 || uri[r.purl.size()] != '@')
        return false;
    std::string version = uri.substr(r.purl.size() + 1);
    version = version.substr(0, version.find_first_of("?#"));
    if (!r.op.empty()) {
        int c = compare_versions(version, r.version);
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
    for (const auto& r : require) {
        bool found = std::any_of(resolved.begin(), resolved.end(), [&](const Json& d) { return matches(r, d); });
        if (!found) throw Error("statement: the policy requires package " + r.text + ", which the provenance lacks");
    }
    for (const auto& r : forbid)
        for (const auto& d : resolved)
            if (matches(r, d))
                throw Error("statement: the policy forbids package " + r.text + ", and the provenance has " +
                            d["uri"].get<std::string>());
    if (require.empty() && forbid.empty()) return "";
    return "; package rules: " + std::to_string(require.size()) + " required present, " +
           std::to_string(forbid.size()) + " forbidden absent";
}

}  // namespace kettle::bundle

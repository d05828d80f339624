// Package URL parsing for the policy's package rules (purl_parts.hpp).
#include "purl_parts.hpp"

#include <algorithm>
#include <cctype>

#include "kettle/core/error.hpp"

namespace kettle::bundle {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/// Undo percent-encoding; a '%' without two hex digits after it is an error.
std::string decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out.push_back(s[i]);
            continue;
        }
        int hi = i + 2 < s.size() ? hex_value(s[i + 1]) : -1, lo = hi >= 0 ? hex_value(s[i + 2]) : -1;
        if (hi < 0 || lo < 0) throw Error("a '%' that is not followed by two hex digits");
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
    }
    return out;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

/// Split `s` at '/', dropping empty segments (purl-spec: leading, trailing and doubled slashes carry nothing).
std::vector<std::string_view> segments(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t pos = 0;
    while (pos <= s.size()) {
        std::size_t slash = s.find('/', pos);
        if (slash == std::string_view::npos) slash = s.size();
        if (slash > pos) out.push_back(s.substr(pos, slash - pos));
        pos = slash + 1;
    }
    return out;
}

std::map<std::string, std::string> parse_qualifiers(std::string_view q) {
    std::map<std::string, std::string> out;
    std::size_t pos = 0;
    while (pos <= q.size()) {
        std::size_t amp = q.find('&', pos);
        if (amp == std::string_view::npos) amp = q.size();
        std::string_view kv = q.substr(pos, amp - pos);
        pos = amp + 1;
        if (kv.empty()) continue;
        std::size_t eq = kv.find('=');
        if (eq == std::string_view::npos || eq == 0) throw Error("a qualifier that is not key=value");
        std::string key = lower(std::string(kv.substr(0, eq))), value = decode(kv.substr(eq + 1));
        if (value.empty()) continue;
        if (!out.emplace(key, value).second) throw Error("the qualifier '" + key + "' given twice");
    }
    return out;
}

}  // namespace

PurlParts parse_purl(std::string_view s) {
    if (s.size() < 4 || lower(std::string(s.substr(0, 4))) != "pkg:") throw Error("not a package URL (pkg:...)");
    s.remove_prefix(4);
    while (!s.empty() && s.front() == '/') s.remove_prefix(1);
    PurlParts p;
    if (std::size_t hash = s.find('#'); hash != std::string_view::npos) {
        for (std::string_view seg : segments(s.substr(hash + 1))) {
            std::string d = decode(seg);
            if (d == "." || d == "..") continue;
            p.subpath += (p.subpath.empty() ? "" : "/") + d;
        }
        s = s.substr(0, hash);
    }
    if (std::size_t q = s.find('?'); q != std::string_view::npos) {
        p.qualifiers = parse_qualifiers(s.substr(q + 1));
        s = s.substr(0, q);
    }
    if (std::size_t at = s.rfind('@'); at != std::string_view::npos) {
        p.has_version = true;
        p.version = decode(s.substr(at + 1));
        s = s.substr(0, at);
    }
    std::size_t slash = s.find('/');
    p.type = lower(std::string(s.substr(0, slash)));
    if (p.type.empty()) throw Error("no type");
    const bool fold = p.type == "npm" || p.type == "deb";
    for (std::string_view seg : segments(slash == std::string_view::npos ? std::string_view() : s.substr(slash + 1))) {
        std::string d = decode(seg);
        if (d.find('/') != std::string::npos) throw Error("a namespace or name segment that decodes to hold '/'");
        p.path.push_back(fold ? lower(std::move(d)) : std::move(d));
    }
    if (p.path.empty()) throw Error("no name");
    return p;
}

}  // namespace kettle::bundle

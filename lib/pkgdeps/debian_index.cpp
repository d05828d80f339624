// dpkg status, InRelease and Packages readers (kettle/pkgdeps/debian.hpp).
#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <set>

#include "kettle/core/error.hpp"
#include "kettle/core/text.hpp"
#include "kettle/pkgdeps/debian.hpp"

namespace kettle::pkgdeps {

namespace {

/// The value of field `name`, matched without regard to ASCII case (Debian Policy §5.1: "Field names are not
/// case-sensitive"; the deb822 reader refuses a name twice in any case, so there is at most one).
std::string_view field(const std::vector<Deb822Field>& fs, std::string_view name) {
    auto same = [](std::string_view a, std::string_view b) {
        return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
                   return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
               });
    };
    for (const auto& f : fs)
        if (same(f.name, name)) return f.value;
    return {};
}

/// Does a dpkg Status value "<want> <flag> <status>" (deb-status(5), dpkg(1) "Package states") leave files of the
/// package on disk? Every status but "not-installed" and "config-files" (only conffiles are left) does:
/// half-installed, unpacked, half-configured, triggers-awaited, triggers-pending, installed, whatever the want
/// (unknown, install, hold, deinstall, purge) and flag (ok, reinstreq). Throws on any other shape or word.
bool files_on_disk(std::string_view status, std::size_t line) {
    auto bad = [&]() -> bool {
        throw Error("dpkg status line " + std::to_string(line) + ": Status " + quote_text(status, 80) +
                    " is not \"<want> <flag> <status>\" of deb-status(5)");
    };
    std::string_view w[3];
    std::size_t pos = 0;
    for (int i = 0; i < 3; ++i) {
        std::size_t sp = i < 2 ? status.find(' ', pos) : status.size();
        if (sp == std::string_view::npos || sp == pos) return bad();
        w[i] = status.substr(pos, sp - pos);
        pos = sp + 1;
    }
    auto one_of = [](std::string_view s, std::initializer_list<std::string_view> l) {
        return std::find(l.begin(), l.end(), s) != l.end();
    };
    if (!one_of(w[0], {"unknown", "install", "hold", "deinstall", "purge"}) || !one_of(w[1], {"ok", "reinstreq"}) ||
        !one_of(w[2], {"not-installed", "config-files", "half-installed", "unpacked", "half-configured",
                       "triggers-awaited", "triggers-pending", "installed"}))
        return bad();
    return w[2] != "not-installed" && w[2] != "config-files";
}

bool is_hex64(std::string_view s) {
    return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

bool parse_size(std::string_view s, std::uint64_t& out) {
    if (s.empty() || s.size() > 15 || s.find_first_not_of("0123456789") != std::string_view::npos) return false;
    out = std::stoull(std::string(s));
    return true;
}

bool valid_pool_path(std::string_view s) {
    if (s.size() > 1024 || s.rfind("pool/", 0) != 0 || s.find("..") != std::string_view::npos) return false;
    for (unsigned char c : s)
        if (c <= 0x20 || c >= 0x7f) return false;
    return true;
}

/// The signed text of a clearsigned message, dash-escaping undone (RFC 4880 §7.1).
std::string clearsigned_text(std::string_view text) {
    constexpr std::string_view head = "-----BEGIN PGP SIGNED MESSAGE-----\n";
    constexpr std::string_view sig = "\n-----BEGIN PGP SIGNATURE-----\n";
    if (text.rfind(head, 0) != 0) throw Error("InRelease: not an OpenPGP clearsigned message");
    std::size_t body = text.find("\n\n", head.size() - 1);
    std::size_t end = text.find(sig);
    if (body == std::string_view::npos || end == std::string_view::npos || end < body + 2)
        throw Error("InRelease: no signed text between the armour header and the signature");
    std::string_view signed_part = text.substr(body + 2, end - body - 2);
    std::string out;
    out.reserve(signed_part.size());
    std::size_t pos = 0;
    while (pos <= signed_part.size()) {
        std::size_t nl = signed_part.find('\n', pos);
        std::string_view l = signed_part.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        if (l.rfind("- ", 0) == 0) l.remove_prefix(2);
        else if (!l.empty() && l[0] == '-') throw Error("InRelease: an armour line inside the signed text");
        out.append(l);
        if (nl == std::string_view::npos) break;
        out.push_back('\n');
        pos = nl + 1;
    }
    return out;
}

/// The " <hex> <size> <path>" lines of a Release SHA256 field.
std::vector<DebRelease::Entry> release_sha256_lines(std::string_view v) {
    std::vector<DebRelease::Entry> out;
    std::set<std::string> paths;
    std::size_t pos = 0;
    while (pos < v.size()) {
        std::size_t nl = v.find('\n', pos);
        std::string_view l = v.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? v.size() : nl + 1;
        while (!l.empty() && (l.front() == ' ' || l.front() == '\t')) l.remove_prefix(1);
        if (l.empty()) continue;
        std::size_t a = l.find(' ');
        std::size_t b = a == std::string_view::npos ? a : l.find_first_not_of(' ', a);
        std::size_t c = b == std::string_view::npos ? b : l.find(' ', b);
        std::size_t d = c == std::string_view::npos ? c : l.find_first_not_of(' ', c);
        DebRelease::Entry e;
        if (d == std::string_view::npos || !is_hex64(l.substr(0, a)) || !parse_size(l.substr(b, c - b), e.size))
            throw Error("InRelease: a SHA256 line that is not \"<64 hex> <size> <path>\": " + quote_text(l, 100));
        e.sha256 = std::string(l.substr(0, a));
        e.path = std::string(l.substr(d));
        if (e.path.size() > 512 || e.path.find_first_of(" \t") != std::string::npos)
            throw Error("InRelease: a SHA256 line with a bad path: " + quote_text(l, 100));
        if (!paths.insert(e.path).second) throw Error("InRelease: " + quote_text(e.path) + " listed twice under SHA256");
        if (out.size() >= 100'000) throw Error("InRelease: more than 100000 SHA256 lines");
        out.push_back(std::move(e));
    }
    return out;
}

}  // namespace

std::vector<DebPackage> dpkg_installed(std::string_view text, const Deb822Limits& limits) {
    std::vector<DebPackage> out;
    for_each_deb822(text, "dpkg status", limits, [&](const std::vector<Deb822Field>& fs, std::size_t line) {
        if (!files_on_disk(field(fs, "Status"), line)) return;
        DebPackage p{std::string(field(fs, "Package")), std::string(field(fs, "Version")),
                     std::string(field(fs, "Architecture")), "", "", 0};
        if (!valid_deb_name(p.name) || !valid_deb_version(p.version) || !valid_deb_arch(p.architecture))
            throw Error("dpkg status line " + std::to_string(line) + ": a package whose files are on disk (Status " +
                        quote_text(field(fs, "Status"), 80) + ") without a valid Package, Version or Architecture (" +
                        quote_text(p.name, 80) + ")");
        out.push_back(std::move(p));
    });
    std::sort(out.begin(), out.end());
    for (std::size_t i = 1; i < out.size(); ++i)
        if (out[i].name == out[i - 1].name && out[i].architecture == out[i - 1].architecture)
            throw Error("dpkg status: " + out[i].name + ":" + out[i].architecture + " is installed twice");
    return out;
}

DebRelease parse_inrelease(std::string_view text) {
    if (text.size() > (std::size_t{16} << 20)) throw Error("InRelease: larger than 16 MiB");
    const std::string body = clearsigned_text(text);
    DebRelease r;
    int n = 0;
    for_each_deb822(body, "InRelease", Deb822Limits{std::uint64_t{16} << 20, 1, std::uint64_t{16} << 20, 256},
                    [&](const std::vector<Deb822Field>& fs, std::size_t) {
                        ++n;
                        r.date = std::string(field(fs, "Date"));
                        r.codename = std::string(field(fs, "Codename"));
                        r.suite = std::string(field(fs, "Suite"));
                        r.sha256 = release_sha256_lines(field(fs, "SHA256"));
                    });
    if (n != 1) throw Error("InRelease: the signed text is not one paragraph");
    if (r.date.empty() || r.date.size() > 64) throw Error("InRelease: no Date field");
    if (r.sha256.empty()) throw Error("InRelease: no SHA256 field");
    return r;
}

std::vector<DebPackage> packages_index_entries(std::string_view text, const std::vector<DebPackage>& wanted,
                                               const Deb822Limits& limits) {
    std::set<std::string> want;
    for (const auto& w : wanted) want.insert(w.name + ' ' + w.version + ' ' + w.architecture);
    std::set<std::string> seen;
    std::vector<DebPackage> out;
    for_each_deb822(text, "Packages", limits, [&](const std::vector<Deb822Field>& fs, std::size_t line) {
        DebPackage p{std::string(field(fs, "Package")), std::string(field(fs, "Version")),
                     std::string(field(fs, "Architecture")), std::string(field(fs, "Filename")),
                     std::string(field(fs, "SHA256")), 0};
        auto bad = [&](const std::string& why) {
            return Error("Packages line " + std::to_string(line) + " (" + quote_text(p.name, 80) + "): " + why);
        };
        if (!valid_deb_name(p.name) || !valid_deb_version(p.version) || !valid_deb_arch(p.architecture))
            throw bad("no valid Package, Version or Architecture");
        if (!valid_pool_path(p.filename)) throw bad("Filename missing or not a plain path under pool/");
        if (!is_hex64(p.sha256)) throw bad("SHA256 missing or not 64 lower-case hex digits");
        if (!parse_size(field(fs, "Size"), p.size)) throw bad("Size missing or not a decimal number");
        std::string key = p.name + ' ' + p.version + ' ' + p.architecture;
        if (!seen.insert(key).second) throw bad(p.name + " " + p.version + " " + p.architecture + " listed twice");
        if (want.count(key)) out.push_back(std::move(p));
    });
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace kettle::pkgdeps

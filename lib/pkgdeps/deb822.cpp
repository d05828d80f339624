// The strict deb822 reader and the Debian names (kettle/pkgdeps/debian.hpp).
#include <algorithm>
#include <cctype>
#include <tuple>

#include "kettle/core/error.hpp"
#include "kettle/core/text.hpp"
#include "kettle/pkgdeps/debian.hpp"

namespace kettle::pkgdeps {

namespace {

bool valid_field_name(std::string_view n) {
    if (n.empty() || n.size() > 128 || n[0] == '#' || n[0] == '-') return false;
    for (unsigned char c : n)
        if (c <= 0x20 || c >= 0x7f || c == ':') return false;
    return true;
}

/// One paragraph being read: its fields, where it started, how many bytes so far.
struct Para {
    std::vector<Deb822Field> fields;
    std::size_t line = 0, start = 0;
};

}  // namespace

void for_each_deb822(std::string_view text, std::string_view what, const Deb822Limits& limits,
                     const std::function<void(const std::vector<Deb822Field>&, std::size_t)>& each) {
    const std::string w(what);
    if (text.size() > limits.max_bytes) throw Error(w + ": larger than " + std::to_string(limits.max_bytes) + " bytes");
    if (text.find('\0') != std::string_view::npos || text.find('\r') != std::string_view::npos)
        throw Error(w + ": NUL or CR bytes (not a deb822 file)");
    Para p;
    std::uint64_t stanzas = 0;
    auto finish = [&]() {
        if (p.fields.empty()) return;
        if (++stanzas > limits.max_stanzas) throw Error(w + ": more than " + std::to_string(limits.max_stanzas) + " paragraphs");
        each(p.fields, p.line);
        p.fields.clear();
    };
    std::size_t pos = 0, line = 0;
    while (pos < text.size()) {
        ++line;
        std::size_t nl = text.find('\n', pos);
        std::size_t end = nl == std::string_view::npos ? text.size() : nl;
        std::string_view l = text.substr(pos, end - pos);
        auto bad = [&](const std::string& why) { return Error(w + " line " + std::to_string(line) + ": " + why); };
        if (l.empty()) {
            finish();
        } else if (l[0] == ' ' || l[0] == '\t') {
            if (p.fields.empty()) throw bad("a continuation line with no field before it");
            Deb822Field& f = p.fields.back();
            // The value runs on over the line break: a view from its start to this line's end.
            f.value = std::string_view(f.value.data(), static_cast<std::size_t>(l.data() + l.size() - f.value.data()));
        } else {
            std::size_t colon = l.find(':');
            if (colon == std::string_view::npos) throw bad("not a field (no ':'): " + quote_text(l, 60));
            std::string_view name = l.substr(0, colon);
            if (!valid_field_name(name)) throw bad("bad field name " + quote_text(name, 60));
            if (p.fields.empty()) p.line = line, p.start = pos;
            for (const auto& f : p.fields)
                if (f.name.size() == name.size() && std::equal(f.name.begin(), f.name.end(), name.begin(), [](char a, char b) {
                        return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
                    }))
                    throw bad("field " + std::string(name) + " twice in one paragraph");
            if (p.fields.size() >= limits.max_fields) throw bad("more than " + std::to_string(limits.max_fields) + " fields in one paragraph");
            std::string_view v = l.substr(colon + 1);
            while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
            p.fields.push_back({name, v});
        }
        if (!p.fields.empty() && end - p.start > limits.max_stanza_bytes)
            throw bad("a paragraph larger than " + std::to_string(limits.max_stanza_bytes) + " bytes");
        if (nl == std::string_view::npos) break;
        pos = nl + 1;
    }
    finish();
}

bool DebPackage::operator<(const DebPackage& o) const {
    return std::tie(name, architecture, version) < std::tie(o.name, o.architecture, o.version);
}

bool valid_deb_name(std::string_view s) {
    if (s.size() < 2 || s.size() > 256) return false;
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9'))) return false;
    return s.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789+.-") == std::string_view::npos;
}

bool valid_deb_version(std::string_view s) {
    if (s.empty() || s.size() > 256) return false;
    if (s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.+~:-") != std::string_view::npos)
        return false;
    std::size_t colon = s.find(':');
    if (colon != std::string_view::npos) {
        if (colon == 0 || s.substr(0, colon).find_first_not_of("0123456789") != std::string_view::npos) return false;
        s.remove_prefix(colon + 1);
    }
    return !s.empty() && s[0] >= '0' && s[0] <= '9';
}

bool valid_deb_arch(std::string_view s) {
    return !s.empty() && s.size() <= 64 && s.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string_view::npos;
}

}  // namespace kettle::pkgdeps

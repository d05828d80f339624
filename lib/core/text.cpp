// UTF-8 validation (RFC 3629 section 4, the byte ranges of its "UTF8-octets" ABNF) and safe quoting.
#include "kettle/core/text.hpp"

#include <cstdint>

namespace kettle {

std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
    auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = at(i);
    if (c < 0x80) return 1;
    std::size_t n;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte (RFC 3629 section 4)
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c == 0xE0) n = 3, lo = 0xA0;
    else if (c >= 0xE1 && c <= 0xEC) n = 3;
    else if (c == 0xED) n = 3, hi = 0x9F;  // no surrogates
    else if (c >= 0xEE && c <= 0xEF) n = 3;
    else if (c == 0xF0) n = 4, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) n = 4;
    else if (c == 0xF4) n = 4, hi = 0x8F;  // nothing above U+10FFFF
    else return 0;                         // 0x80..0xC1 (continuation or overlong lead), 0xF5..0xFF
    if (s.size() - i < n) return 0;
    if (at(i + 1) < lo || at(i + 1) > hi) return 0;
    for (std::size_t k = 2; k < n; ++k)
        if (at(i + k) < 0x80 || at(i + k) > 0xBF) return 0;
    return n;
}

std::size_t first_invalid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t n = utf8_sequence_length(s, i);
        if (n == 0) return i;
        i += n;
    }
    return s.size();
}

bool valid_utf8(std::string_view s) { return first_invalid_utf8(s) == s.size(); }

std::string printable(std::string_view s, std::size_t max_bytes) {
    static const char hx[] = "0123456789ABCDEF";
    static const std::string_view kCut = "...";
    auto escape = [&](unsigned char b) { return std::string{'\\', 'x', hx[b >> 4], hx[b & 15]}; };
    std::string out;
    std::size_t keep = 0;  // a prefix of `out` that still leaves room for the cut marker
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t n = utf8_sequence_length(s, i);
        auto c = static_cast<unsigned char>(s[i]);
        std::string piece;
        if (n == 0) piece = escape(c), n = 1;
        else if (n == 1 && (c < 0x20 || c == 0x7F)) piece = escape(c);
        else if (n == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0)  // C1 controls U+0080..U+009F
            piece = "\\u00" + escape(static_cast<unsigned char>(s[i + 1])).substr(2);
        else piece.assign(s.substr(i, n));
        if (out.size() + piece.size() > max_bytes) {
            out.resize(keep);
            out += kCut;
            return out;
        }
        out += piece;
        i += n;
        if (out.size() + kCut.size() <= max_bytes) keep = out.size();
    }
    return out;
}

std::string quote_text(std::string_view s, std::size_t max_bytes) { return "\"" + printable(s, max_bytes) + "\""; }

std::string_view without_phase_prefix(std::string_view error, std::string_view phase) {
    if (!phase.empty() && error.size() > phase.size() + 2 && error.compare(0, phase.size(), phase) == 0 &&
        error.compare(phase.size(), 2, ": ") == 0)
        error.remove_prefix(phase.size() + 2);
    return error;
}

}  // namespace kettle

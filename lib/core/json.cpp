#include "kettle/core/json.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <vector>

#include "kettle/core/error.hpp"
#include "kettle/core/text.hpp"

namespace kettle {

namespace {

constexpr std::int64_t kMaxSafe = (std::int64_t{1} << 53) - 1;

// nlohmann turns an integer literal too large for 64 bits into a double, which the callback cannot tell
// from "1e30". So integer literals (no fraction, no exponent) are checked on the text itself, skipping strings.
// Returns the byte offset of the first unsafe integer literal, or npos.
std::size_t find_unsafe_integer(std::string_view t) {
    bool in_str = false;
    for (std::size_t i = 0; i < t.size(); ++i) {
        char c = t[i];
        if (in_str) {
            if (c == '\\') ++i;
            else if (c == '"') in_str = false;
            continue;
        }
        if (c == '"') { in_str = true; continue; }
        if (c != '-' && (c < '0' || c > '9')) continue;
        std::size_t start = i, j = i + (c == '-' ? 1 : 0);
        std::size_t digits_from = j;
        while (j < t.size() && t[j] >= '0' && t[j] <= '9') ++j;
        bool integral = !(j < t.size() && (t[j] == '.' || t[j] == 'e' || t[j] == 'E'));
        while (j < t.size() && (t[j] == '.' || t[j] == 'e' || t[j] == 'E' || t[j] == '+' || t[j] == '-' ||
                                (t[j] >= '0' && t[j] <= '9')))
            ++j;
        if (integral) {
            std::string_view digits = t.substr(digits_from, j - digits_from);
            while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
            if (digits.size() > 16 || (digits.size() == 16 && digits > "9007199254740991")) return start;
        }
        i = j - 1;
    }
    return std::string_view::npos;
}

// RFC 8785 section 3.2.2.3 (ECMAScript Number::toString) writes a double of magnitude below 10^21 that has no
// fraction in integer notation, and every double beyond 2^53-1 has none: 1e16 is written 10000000000000000. The
// literal rule (find_unsafe_integer) refuses such text, so the same value must be refused in every notation, or
// jcs() would write something parse_strict refuses. From 10^21 on the form has an exponent ("1e+30") and reads
// back as the same double, so those values stay accepted (RFC 8785's own example holds 1E30).
bool written_as_unsafe_integer(double d) {
    double a = std::fabs(d);
    return a > static_cast<double>(kMaxSafe) && a < 1e21;
}

}  // namespace

Json parse_strict(std::string_view text, int max_depth) {
    // nlohmann's lexer already rejects invalid UTF-8, lone surrogates and trailing garbage.
    // The callback adds what I-JSON needs on top: unique member names, a depth bound and the
    // safe-integer range. Callbacks arrive in document order, so a stack of key sets suffices.
    std::vector<std::set<std::string>> keys;
    std::string problem;
    auto cb = [&](int depth, Json::parse_event_t ev, Json& parsed) -> bool {
        if (!problem.empty()) return false;
        switch (ev) {
            case Json::parse_event_t::object_start:
            case Json::parse_event_t::array_start:
                if (depth >= max_depth) problem = "nesting deeper than " + std::to_string(max_depth);
                if (ev == Json::parse_event_t::object_start) keys.emplace_back();
                else keys.emplace_back();  // keep the stack aligned with depth
                break;
            case Json::parse_event_t::object_end:
            case Json::parse_event_t::array_end:
                if (!keys.empty()) keys.pop_back();
                break;
            case Json::parse_event_t::key: {
                const auto& k = parsed.get_ref<const std::string&>();
                if (keys.empty() || !keys.back().insert(k).second) problem = "duplicate member name " + quote_text(k);
                break;
            }
            case Json::parse_event_t::value:
                if (parsed.is_number_unsigned()) {
                    if (parsed.get<std::uint64_t>() > static_cast<std::uint64_t>(kMaxSafe))
                        problem = "integer " + parsed.dump() + " is outside ±(2^53-1)";
                } else if (parsed.is_number_integer()) {
                    auto v = parsed.get<std::int64_t>();
                    if (v > kMaxSafe || v < -kMaxSafe) problem = "integer " + parsed.dump() + " is outside ±(2^53-1)";
                } else if (parsed.is_number_float()) {
                    double d = parsed.get<double>();
                    if (!std::isfinite(d)) problem = "number is not finite";
                    else if (written_as_unsafe_integer(d))
                        problem = "number " + parsed.dump() + " is an integer outside ±(2^53-1)";
                }
                break;
        }
        return problem.empty();
    };
    if (auto at = find_unsafe_integer(text); at != std::string_view::npos)
        throw Error("json: integer literal at byte " + std::to_string(at) + " is outside ±(2^53-1)");
    Json out;
    try {
        out = Json::parse(text.begin(), text.end(), cb, /*allow_exceptions=*/true, /*ignore_comments=*/false);
    } catch (const Json::exception& e) {  // parse_error, and out_of_range for number overflow
        if (!problem.empty()) throw Error("json: " + problem);
        throw Error("json: " + printable(e.what(), 400));  // nlohmann quotes the bytes last read
    }
    if (!problem.empty()) throw Error("json: " + problem);
    if (out.is_discarded()) throw Error("json: document rejected");
    return out;
}

namespace {

// UTF-8 -> UTF-16 code units, for RFC 8785 section 3.2.3 member ordering.
std::u16string utf16(const std::string& s) {
    std::u16string out;
    for (std::size_t i = 0; i < s.size();) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        std::uint32_t cp;
        std::size_t n;
        if (c < 0x80) { cp = c; n = 1; }
        else if ((c & 0xE0) == 0xC0) { cp = c & 0x1F; n = 2; }
        else if ((c & 0xF0) == 0xE0) { cp = c & 0x0F; n = 3; }
        else { cp = c & 0x07; n = 4; }
        if (i + n > s.size()) throw Error("jcs: truncated UTF-8 in a member name");
        for (std::size_t k = 1; k < n; ++k) cp = cp << 6 | (static_cast<unsigned char>(s[i + k]) & 0x3F);
        i += n;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            out.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
            out.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
        } else {
            out.push_back(static_cast<char16_t>(cp));
        }
    }
    return out;
}

void put_string(std::string& out, const std::string& s) {
    static const char hx[] = "0123456789abcdef";
    if (std::size_t bad = first_invalid_utf8(s); bad != s.size())
        throw Error("jcs: a string is not valid UTF-8 (byte " + std::to_string(bad) + " of " + quote_text(s, 80) + ")");
    out.push_back('"');
    for (unsigned char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    out += "\\u00";
                    out.push_back(hx[c >> 4]);
                    out.push_back(hx[c & 15]);
                } else {
                    out.push_back(static_cast<char>(c));
                }
        }
    }
    out.push_back('"');
}

// ECMAScript Number::toString(x) for finite doubles (ECMA-262, 7.1.12.1), as RFC 8785 3.2.2.3 requires.
void put_double(std::string& out, double x) {
    if (!std::isfinite(x)) throw Error("jcs: NaN and Infinity have no JSON form");
    if (x == 0) { out.push_back('0'); return; }
    if (x < 0) { out.push_back('-'); x = -x; }
    char buf[64];
    // Shortest round-trip digits in scientific form: d[.ddd]e[+-]XX.
    auto r = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
    std::string sci(buf, r.ptr);
    auto epos = sci.find('e');
    std::string mant = sci.substr(0, epos);
    int exp10 = std::stoi(sci.substr(epos + 1));
    std::string digits;
    for (char c : mant) if (c != '.') digits.push_back(c);
    while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
    int k = static_cast<int>(digits.size());
    int n = exp10 + 1;
    if (k <= n && n <= 21) {
        out += digits;
        out.append(static_cast<std::size_t>(n - k), '0');
    } else if (0 < n && n <= 21) {
        out += digits.substr(0, static_cast<std::size_t>(n));
        out.push_back('.');
        out += digits.substr(static_cast<std::size_t>(n));
    } else if (-6 < n && n <= 0) {
        out += "0.";
        out.append(static_cast<std::size_t>(-n), '0');
        out += digits;
    } else {
        int e = n - 1;
        out.push_back(digits[0]);
        if (k > 1) {
            out.push_back('.');
            out += digits.substr(1);
        }
        out.push_back('e');
        out.push_back(e < 0 ? '-' : '+');
        out += std::to_string(e < 0 ? -e : e);
    }
}

void put(std::string& out, const Json& v) {
    switch (v.type()) {
        case Json::value_t::null: out += "null"; break;
        case Json::value_t::boolean: out += v.get<bool>() ? "true" : "false"; break;
        case Json::value_t::string: put_string(out, v.get_ref<const std::string&>()); break;
        case Json::value_t::number_integer: {
            auto i = v.get<std::int64_t>();
            if (i > kMaxSafe || i < -kMaxSafe) throw Error("jcs: integer " + std::to_string(i) + " is outside ±(2^53-1)");
            out += std::to_string(i);
            break;
        }
        case Json::value_t::number_unsigned: {
            auto u = v.get<std::uint64_t>();
            if (u > static_cast<std::uint64_t>(kMaxSafe)) throw Error("jcs: integer " + std::to_string(u) + " is outside ±(2^53-1)");
            out += std::to_string(u);
            break;
        }
        case Json::value_t::number_float: put_double(out, v.get<double>()); break;
        case Json::value_t::array: {
            out.push_back('[');
            bool first = true;
            for (const auto& e : v) {
                if (!first) out.push_back(',');
                first = false;
                put(out, e);
            }
            out.push_back(']');
            break;
        }
        case Json::value_t::object: {
            std::vector<std::pair<std::u16string, const std::string*>> keys;
            keys.reserve(v.size());
            for (auto it = v.begin(); it != v.end(); ++it) keys.emplace_back(utf16(it.key()), &it.key());
            std::sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
            out.push_back('{');
            bool first = true;
            for (const auto& [u, k] : keys) {
                if (!first) out.push_back(',');
                first = false;
                put_string(out, *k);
                out.push_back(':');
                put(out, v.at(*k));
            }
            out.push_back('}');
            break;
        }
        case Json::value_t::binary: throw Error("jcs: binary values have no JSON form");
        case Json::value_t::discarded: throw Error("jcs: discarded value");
    }
}

}  // namespace

std::string dump_text(const Json& value, int indent) {
    return value.dump(indent, ' ', false, Json::error_handler_t::replace);
}

std::string jcs(const Json& value) {
    std::string out;
    put(out, value);
    return out;
}

}  // namespace kettle

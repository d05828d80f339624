// Reading fields of hostile JSON (evidence.json, the envelope, the statement, the policy file) for the bundle
// verifier (private to lib/verify/). Every accessor checks the type before it reads.
#pragma once
#include <algorithm>
#include <string>

#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/json.hpp"

namespace kettle::bundle {

/// True when `s` is exactly `n` characters of lowercase hex.
inline bool is_lower_hex(const std::string& s, std::size_t n) {
    return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

/// A hex string of exactly `nbytes` bytes, decoded. Throws Error("<what>: ...").
inline Bytes hex_field(const Json& v, std::size_t nbytes, const std::string& what) {
    if (!v.is_string()) throw Error(what + ": not a hex string");
    std::string s = v.get<std::string>();
    if (s.size() != nbytes * 2) throw Error(what + ": expected " + std::to_string(nbytes) + " bytes of hex");
    return unhex(s);
}

/// Member `k` of object `o`, or nullptr when `o` is not an object or the member is absent or null.
inline const Json* member(const Json& o, const char* k) {
    if (!o.is_object()) return nullptr;
    auto it = o.find(k);
    if (it == o.end() || it->is_null()) return nullptr;
    return &*it;
}

/// Member `k` of `o` as a non-empty string. Throws Error("<what>: missing string '<k>'").
inline std::string str_member(const Json& o, const char* k, const std::string& what) {
    const Json* v = member(o, k);
    if (!v || !v->is_string() || v->get<std::string>().empty()) throw Error(what + ": missing string '" + k + "'");
    return v->get<std::string>();
}

}  // namespace kettle::bundle

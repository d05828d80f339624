#include "kettle/core/base64.hpp"

#include <mbedtls/base64.h>

#include "kettle/core/error.hpp"

namespace kettle {

std::string base64_encode(ByteView data) {
    std::size_t need = 0;
    mbedtls_base64_encode(nullptr, 0, &need, data.data(), data.size());
    std::string out(need, '\0');
    std::size_t olen = 0;
    if (mbedtls_base64_encode(reinterpret_cast<unsigned char*>(out.data()), out.size(), &olen, data.data(),
                              data.size()) != 0)
        throw Error("base64: encoding failed");
    out.resize(olen);
    return out;
}

Bytes base64_decode(std::string_view text, const char* what, bool allow_url, std::size_t max_out) {
    if (text.size() / 4 * 3 > max_out + 3) throw Error(std::string(what) + ": base64 text too long");
    std::string s(text);
    bool url = false, std_only = false;
    for (char& c : s) {
        if (c == '-' || c == '_') {
            if (!allow_url) throw Error(std::string(what) + ": URL-safe base64 not accepted here");
            url = true;
            c = (c == '-') ? '+' : '/';
        } else if (c == '+' || c == '/') {
            std_only = true;
        } else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '=')) {
            throw Error(std::string(what) + ": invalid base64 character");
        }
    }
    if (url && std_only) throw Error(std::string(what) + ": mixed base64 alphabets");
    if (s.size() % 4 != 0) {
        if (!allow_url) throw Error(std::string(what) + ": base64 length is not a multiple of 4");
        if (s.size() % 4 == 1) throw Error(std::string(what) + ": bad base64 length");
        s.append(4 - s.size() % 4, '=');
    }
    std::size_t need = 0;
    int rc = mbedtls_base64_decode(nullptr, 0, &need, reinterpret_cast<const unsigned char*>(s.data()), s.size());
    if (rc == MBEDTLS_ERR_BASE64_INVALID_CHARACTER) throw Error(std::string(what) + ": invalid base64");
    if (need > max_out) throw Error(std::string(what) + ": decoded data exceeds " + std::to_string(max_out) + " bytes");
    Bytes out(need);
    std::size_t olen = 0;
    if (mbedtls_base64_decode(out.data(), out.size(), &olen, reinterpret_cast<const unsigned char*>(s.data()),
                              s.size()) != 0)
        throw Error(std::string(what) + ": invalid base64");
    out.resize(olen);
    // Canonical form only: re-encoding must give back the (padded) input, so non-zero trailing bits fail.
    std::string again = base64_encode(out);
    if (again != s) throw Error(std::string(what) + ": non-canonical base64");
    return out;
}

}  // namespace kettle

// Base64 (RFC 4648) over mbedTLS.
#pragma once
#include <string>
#include <string_view>

#include "kettle/core/bytes.hpp"

namespace kettle {

/// Standard alphabet, padded (RFC 4648 section 4). This is what Kettle writes everywhere.
std::string base64_encode(ByteView data);

/// Decode base64. Accepts the standard alphabet (section 4) and, when `allow_url` is true, the
/// URL-safe alphabet (section 5, `-` `_`), with or without `=` padding (DSSE requires verifiers to
/// accept both). Rejects whitespace, mixed alphabets, non-zero trailing bits and any other character.
/// `max_out` bounds the decoded size. Throws Error("<what>: ...").
Bytes base64_decode(std::string_view text, const char* what = "base64", bool allow_url = false,
                    std::size_t max_out = std::size_t{64} << 20);

}  // namespace kettle

// JSON for Kettle: nlohmann::json as the value model, a strict reader and an RFC 8785 (JCS) writer.
#pragma once
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace kettle {

using Json = nlohmann::json;

/// Strict parse of untrusted JSON text (RFC 8259 + I-JSON, RFC 7493):
///  - rejects duplicate object member names (at any depth);
///  - rejects invalid UTF-8 and lone surrogate escapes;
///  - rejects integers outside the IEEE-754 safe integer range ±(2^53-1): an integer literal beyond it, and any
///    number in another notation whose RFC 8785 form would be such a literal (magnitude above 2^53-1 and below
///    10^21: "1e16" is refused like "10000000000000000"); from 10^21 on jcs() writes an exponent ("1e+30"), so
///    those are accepted as doubles; rejects non-finite values; fractions are kept as double. Whatever this accepts,
///    jcs() writes, and the written text reads back to the same value (tests/fuzz json);
///  - rejects trailing garbage, and nesting deeper than `max_depth` (default 64).
/// Throws Error("json: <reason> at byte N").
Json parse_strict(std::string_view text, int max_depth = 64);

/// Serialize for a reader on the other side (status.json, console lines, run.json): nlohmann's dump() with
/// `indent` (-1 = compact), where every byte of a string that is not well-formed UTF-8 becomes U+FFFD instead of
/// an exception. It cannot fail on content, so a record of a failure can always be written.
std::string dump_text(const Json& value, int indent = -1);

/// Serialize per RFC 8785 (JSON Canonicalization Scheme): object members sorted by their UTF-16
/// code units, no whitespace, ECMAScript number formatting (ES2019 Number::toString), minimal
/// string escapes. Throws Error for NaN/Inf, integers beyond ±2^53-1 (not representable exactly) and strings that
/// are not well-formed UTF-8 (RFC 8785 section 3.2.2.2 requires valid Unicode; a signed document is never repaired).
std::string jcs(const Json& value);

}  // namespace kettle

// UTF-8 checks and safe quoting of untrusted bytes in messages (RFC 3629, section 3 and 4).
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace kettle {

/// Length in bytes (1..4) of the well-formed UTF-8 sequence starting at `s[i]`, or 0 when the bytes there are not
/// one (RFC 3629 section 4: no overlong forms, no surrogates U+D800..U+DFFF, nothing above U+10FFFF, no truncated
/// sequence). `i` must be < s.size().
std::size_t utf8_sequence_length(std::string_view s, std::size_t i);

/// True when every byte of `s` belongs to a well-formed UTF-8 sequence (the empty string is valid).
bool valid_utf8(std::string_view s);

/// Offset of the first byte that is not part of a well-formed UTF-8 sequence, or s.size() when there is none.
std::size_t first_invalid_utf8(std::string_view s);

/// `s` made safe to quote in an error message and in JSON: well-formed UTF-8 sequences are kept, except the C0
/// controls, DEL and the C1 controls, which become "\xNN" (or "\u0085" style for C1), and every byte that is not
/// part of a well-formed sequence becomes "\xNN" (upper-case hex). The result is valid UTF-8 without control
/// characters. When the whole result fits in `max_bytes` (the default 200 suits one name) it is returned; otherwise
/// it is cut on a character boundary and ends with "...", at most max_bytes bytes in all (max_bytes >= 3). Never
/// throws except std::bad_alloc.
std::string printable(std::string_view s, std::size_t max_bytes = 200);

/// printable(s, max_bytes) between double quotes: the form every error message uses to quote a name it received.
std::string quote_text(std::string_view s, std::size_t max_bytes = 200);

/// `error` without a leading "<phase>: ": guest errors often start with their phase's name ("deps: npm: ..."), so a
/// line "FAILED in phase deps: " + the result names the phase once. A view into `error`; never throws.
std::string_view without_phase_prefix(std::string_view error, std::string_view phase);

}  // namespace kettle

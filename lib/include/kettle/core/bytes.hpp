// Byte buffers, hex, little-endian field access and bounded file I/O.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kettle {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

/// Lower-case hex of `b` (2 characters per byte).
std::string hex(ByteView b);
/// Parse hex (upper or lower case, even length, no prefix or spaces). Throws Error on bad input.
Bytes unhex(std::string_view s);
/// "0x" followed by the lower-case hex digits of `v`, no leading zeros ("0x0" for zero).
std::string hex_int(std::uint64_t v);
/// View the bytes of a string.
inline ByteView as_bytes(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string to_string(ByteView b) { return {b.begin(), b.end()}; }

/// Little-endian reads at byte offset `off`; throw Error when `off + width` exceeds `b.size()`.
std::uint16_t le16(ByteView b, std::size_t off);
std::uint32_t le32(ByteView b, std::size_t off);
std::uint64_t le64(ByteView b, std::size_t off);
/// Append little-endian values.
void put_le16(Bytes& out, std::uint16_t v);
void put_le32(Bytes& out, std::uint32_t v);
void put_le64(Bytes& out, std::uint64_t v);
/// Bounded sub-span: throws Error("<what>: ... out of bounds") instead of reading past the end.
ByteView slice(ByteView b, std::size_t off, std::size_t len, const char* what = "buffer");

/// Read a whole regular file, refusing files larger than `max_bytes` (default 1 GiB).
/// Throws Error naming the path on any I/O failure.
Bytes read_file(const std::string& path, std::size_t max_bytes = std::size_t{1} << 30);
/// Write (create or truncate) a file; throws Error naming the path.
void write_file(const std::string& path, ByteView data);
inline void write_file(const std::string& path, std::string_view data) { write_file(path, as_bytes(data)); }

/// Constant-time comparison of equal-length buffers (false when lengths differ).
bool equal_ct(ByteView a, ByteView b);

}  // namespace kettle

// A bounded reader of the Protocol Buffers binary wire format (https://protobuf.dev/programming-guides/encoding/),
// for the few hostile messages the verifier reads (Google's VMLaunchEndorsement). It decodes one message level at a
// time: the caller descends into a length-delimited field only where its schema has a nested message, so nesting
// never goes deeper than the schema.
#pragma once
#include <cstdint>
#include <string>
#include <utility>

#include "kettle/core/bytes.hpp"

namespace kettle::protobuf {

/// Wire types (encoding guide, "Message Structure"). Groups (3, 4) are deprecated and refused; 6 and 7 are invalid.
enum class WireType : std::uint8_t { varint = 0, i64 = 1, len = 2, i32 = 5 };

/// One field record: its number (1 .. 2^29-1), wire type, and value: `varint` for varint, `fixed` for i64/i32
/// (little-endian), `bytes` (a view into the message) for len.
struct Field {
    std::uint32_t number = 0;
    WireType type = WireType::varint;
    std::uint64_t varint = 0;
    std::uint64_t fixed = 0;
    ByteView bytes;
};

/// Reads the records of one message in order. Every length is checked against the bytes that remain; a varint
/// longer than 10 bytes or above 2^64-1, a tag with field number 0 or above 2^29-1, a group or invalid wire type,
/// or a truncated value throws Error("<what>: ...") naming the offset.
class Reader {
public:
    Reader(ByteView message, std::string what) : msg_(message), what_(std::move(what)) {}
    /// The next record into `f`; false at the end of the message.
    bool next(Field& f);

private:
    std::uint64_t read_varint();
    [[noreturn]] void fail(const std::string& why) const;
    ByteView msg_;
    std::size_t pos_ = 0;
    std::string what_;
};

/// The field's wire type must be `want`; else Error("<what>: field <n> has wire type <t>, expected <want>").
void expect_type(const Field& f, WireType want, const std::string& what);

}  // namespace kettle::protobuf

// A bounded Protocol Buffers wire-format reader (see protobuf.hpp).
#include "kettle/core/protobuf.hpp"

#include "kettle/core/error.hpp"

namespace kettle::protobuf {

namespace {
const char* type_name(std::uint64_t t) {
    switch (t) {
    case 0: return "VARINT";
    case 1: return "I64";
    case 2: return "LEN";
    case 3: return "SGROUP";
    case 4: return "EGROUP";
    case 5: return "I32";
    default: return "invalid";
    }
}
}  // namespace

void Reader::fail(const std::string& why) const { throw Error(what_ + ": " + why + " at offset " + std::to_string(pos_)); }

std::uint64_t Reader::read_varint() {
    std::uint64_t v = 0;
    for (unsigned i = 0; i < 10; ++i) {
        if (pos_ >= msg_.size()) fail("truncated varint");
        const std::uint8_t b = msg_[pos_++];
        if (i == 9 && b > 1) fail("varint above 2^64-1 or longer than 10 bytes");
        v |= static_cast<std::uint64_t>(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) return v;
    }
    fail("varint longer than 10 bytes");
}

bool Reader::next(Field& f) {
    if (pos_ >= msg_.size()) return false;
    const std::uint64_t tag = read_varint();
    const std::uint64_t number = tag >> 3, type = tag & 7;
    if (number == 0 || number > 0x1fffffff) fail("field number " + std::to_string(number) + " out of range");
    if (type != 0 && type != 1 && type != 2 && type != 5)
        fail("field " + std::to_string(number) + " has wire type " + std::to_string(type) + " (" + type_name(type) +
             "), which is refused");
    f = Field{};
    f.number = static_cast<std::uint32_t>(number);
    f.type = static_cast<WireType>(type);
    if (f.type == WireType::varint) {
        f.varint = read_varint();
    } else if (f.type == WireType::len) {
        const std::uint64_t n = read_varint();
        if (n > msg_.size() - pos_)
            fail("field " + std::to_string(number) + " claims " + std::to_string(n) + " bytes, " +
                 std::to_string(msg_.size() - pos_) + " remain");
        f.bytes = msg_.subspan(pos_, static_cast<std::size_t>(n));
        pos_ += static_cast<std::size_t>(n);
    } else {
        const std::size_t w = f.type == WireType::i64 ? 8 : 4;
        if (w > msg_.size() - pos_) fail("truncated fixed-width field " + std::to_string(number));
        for (std::size_t i = 0; i < w; ++i) f.fixed |= static_cast<std::uint64_t>(msg_[pos_ + i]) << (8 * i);
        pos_ += w;
    }
    return true;
}

void expect_type(const Field& f, WireType want, const std::string& what) {
    if (f.type != want)
        throw Error(what + ": field " + std::to_string(f.number) + " has wire type " +
                    type_name(static_cast<std::uint64_t>(f.type)) + ", expected " +
                    type_name(static_cast<std::uint64_t>(want)));
}

}  // namespace kettle::protobuf

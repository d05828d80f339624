// The bounded protobuf wire-format reader. Known encodings from the encoding guide
// (https://protobuf.dev/programming-guides/encoding/): 08 96 01 is field 1 = varint 150; 12 07 74 65 73 74 69 6e 67
// is field 2 = "testing"; fixed-width records are little-endian.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/protobuf.hpp"

using namespace kettle;
using Catch::Matchers::ContainsSubstring;

namespace {
std::vector<protobuf::Field> all(const Bytes& b) {
    protobuf::Reader r(b, "msg");
    std::vector<protobuf::Field> out;
    protobuf::Field f;
    while (r.next(f)) out.push_back(f);
    return out;
}
std::string error_of(const Bytes& b) {
    try {
        all(b);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}
}  // namespace

TEST_CASE("protobuf: the encoding guide's examples", "[protobuf]") {
    const Bytes msg = unhex("089601" "120774657374696e67" "1d01020304" "210102030405060708");
    auto f = all(msg);  // the fields' bytes are views into msg: it must outlive them
    REQUIRE(f.size() == 4);
    CHECK(f[0].number == 1);
    CHECK(f[0].type == protobuf::WireType::varint);
    CHECK(f[0].varint == 150);
    CHECK(f[1].number == 2);
    CHECK(to_string(f[1].bytes) == "testing");
    CHECK(f[2].number == 3);
    CHECK(f[2].fixed == 0x04030201u);
    CHECK(f[3].number == 4);
    CHECK(f[3].fixed == 0x0807060504030201ull);
    CHECK(all(unhex("08ffffffffffffffffff01"))[0].varint == ~0ull);  // 2^64-1, ten bytes
    CHECK(all({}).empty());
}

TEST_CASE("protobuf: hostile records are refused with the reason", "[protobuf]") {
    CHECK_THAT(error_of(unhex("0896")), ContainsSubstring("truncated varint"));
    CHECK_THAT(error_of(unhex("08ffffffffffffffffff02")), ContainsSubstring("above 2^64-1"));
    CHECK_THAT(error_of(unhex("08ffffffffffffffffff8001")), ContainsSubstring("longer than 10 bytes"));  // 11 bytes
    CHECK_THAT(error_of(unhex("0001")), ContainsSubstring("field number 0"));
    CHECK_THAT(error_of(unhex("f8ffffff7f00")), ContainsSubstring("out of range"));  // 2^32-1 >> 3 > 2^29-1
    CHECK_THAT(error_of(unhex("0b")), ContainsSubstring("wire type 3 (SGROUP)"));
    CHECK_THAT(error_of(unhex("0c")), ContainsSubstring("wire type 4 (EGROUP)"));
    CHECK_THAT(error_of(unhex("0e")), ContainsSubstring("wire type 6"));
    CHECK_THAT(error_of(unhex("0f")), ContainsSubstring("wire type 7"));
    CHECK_THAT(error_of(unhex("0a0561")), ContainsSubstring("claims 5 bytes, 1 remain"));
    CHECK_THAT(error_of(unhex("0affffffffffffffffff01")), ContainsSubstring("remain"));  // a 2^64-1 length
    CHECK_THAT(error_of(unhex("0d010203")), ContainsSubstring("truncated fixed-width"));
    CHECK_THAT(error_of(unhex("0901020304050607")), ContainsSubstring("truncated fixed-width"));
    CHECK_THROWS_AS(protobuf::expect_type(all(unhex("0801"))[0], protobuf::WireType::len, "msg"), Error);
}

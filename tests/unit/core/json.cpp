// RFC 8785 (JCS) and the strict reader. The canonicalization cases are our own restatement of the published
// examples (RFC 8785 section 3.2.2/Appendix B and the cyberphone/json-canonicalization test inputs); the number
// cases were cross-checked with Node.js JSON.stringify, an independent ES Number::toString.
#include <cstring>
#include <string>

#include <catch2/catch_test_macros.hpp>

#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/json.hpp"
#include "test_support.hpp"

using namespace kettle;

static std::string canon(const std::string& in) { return jcs(parse_strict(in)); }

TEST_CASE("JCS: arrays keep order, members sort", "[json][jcs]") {
    CHECK(canon(R"([56,{"d":true,"10":null,"1":[]}])") == R"([56,{"1":[],"10":null,"d":true}])");
}

TEST_CASE("JCS: sorting ignores locale", "[json][jcs]") {
    std::string in = "{\"peach\":\"This sorting order\",\"p\xc3\xa9" "ch\xc3\xa9\":\"is wrong according to French\","
                     "\"p\xc3\xaa" "che\":\"but canonicalization MUST\",\"sin\":\"ignore locale\"}";
    std::string want = "{\"peach\":\"This sorting order\",\"p\xc3\xa9" "ch\xc3\xa9\":\"is wrong according to French\","
                       "\"p\xc3\xaa" "che\":\"but canonicalization MUST\",\"sin\":\"ignore locale\"}";
    CHECK(canon(in) == want);
}

TEST_CASE("JCS: nested structures", "[json][jcs]") {
    CHECK(canon(R"({"1":{"f":{"f":"hi","F":5},"\n":56.0},"10":{},"":"empty","a":{},"111":[{"e":"yes","E":"no"}],"A":{}})") ==
          R"({"":"empty","1":{"\n":56,"f":{"F":5,"f":"hi"}},"10":{},"111":[{"E":"no","e":"yes"}],"A":{},"a":{}})");
}

TEST_CASE("JCS: no Unicode normalization", "[json][jcs]") {
    CHECK(canon(R"({"Unnormalized Unicode":"A\u030a"})") == "{\"Unnormalized Unicode\":\"A\xcc\x8a\"}");
}

TEST_CASE("JCS: values (numbers, string escapes, literals)", "[json][jcs]") {
    std::string in = R"({"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],)"
                     R"("string":"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/","literals":[null,true,false]})";
    std::string want = "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
                       "\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
    CHECK(canon(in) == want);
}

TEST_CASE("JCS: member order is by UTF-16 code units", "[json][jcs]") {
    std::string in = R"({"\u20ac":"Euro Sign","\r":"Carriage Return","\u000a":"Newline","1":"One",)"
                     R"("\u0080":"Control\u007f","\ud83d\ude02":"Smiley","\u00f6":"Latin Small Letter O With Diaeresis",)"
                     R"("\ufb33":"Hebrew Letter Dalet With Dagesh","</script>":"Browser Challenge"})";
    std::string want = "{\"\\n\":\"Newline\",\"\\r\":\"Carriage Return\",\"1\":\"One\",\"</script>\":\"Browser Challenge\","
                       "\"\xc2\x80\":\"Control\x7f\",\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\","
                       "\"\xe2\x82\xac\":\"Euro Sign\",\"\xf0\x9f\x98\x82\":\"Smiley\","
                       "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}";
    CHECK(canon(in) == want);
}

static double from_bits(std::uint64_t bits) {
    double d;
    std::memcpy(&d, &bits, sizeof d);
    return d;
}

TEST_CASE("JCS: ES Number::toString of IEEE-754 doubles (RFC 8785 Appendix B)", "[json][jcs]") {
    struct Case { std::uint64_t bits; const char* want; };
    const Case cases[] = {
        {0x0000000000000000, "0"}, {0x8000000000000000, "0"}, {0x0000000000000001, "5e-324"},
        {0x8000000000000001, "-5e-324"}, {0x7fefffffffffffff, "1.7976931348623157e+308"},
        {0xffefffffffffffff, "-1.7976931348623157e+308"}, {0x4340000000000000, "9007199254740992"},
        {0xc340000000000000, "-9007199254740992"}, {0x4430000000000000, "295147905179352830000"},
        {0x44b52d02c7e14af5, "9.999999999999997e+22"}, {0x44b52d02c7e14af6, "1e+23"},
        {0x44b52d02c7e14af7, "1.0000000000000001e+23"}, {0x444b1ae4d6e2ef4e, "999999999999999700000"},
        {0x444b1ae4d6e2ef4f, "999999999999999900000"}, {0x444b1ae4d6e2ef50, "1e+21"},
        {0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"}, {0x3eb0c6f7a0b5ed8d, "0.000001"},
        {0x41b3de4355555553, "333333333.3333332"}, {0x41b3de4355555554, "333333333.33333325"},
        {0x41b3de4355555555, "333333333.3333333"}, {0x41b3de4355555556, "333333333.3333334"},
        {0x41b3de4355555557, "333333333.33333343"}, {0xbecbf647612f3696, "-0.0000033333333333333333"},
        {0x43143ff3c1cb0959, "1424953923781206.2"},
    };
    for (const auto& c : cases) {
        INFO("bits " << std::hex << c.bits);
        CHECK(jcs(Json(from_bits(c.bits))) == c.want);
    }
    CHECK_THROWS_AS(jcs(Json(from_bits(0x7ff0000000000000))), Error);  // Infinity
    CHECK_THROWS_AS(jcs(Json(from_bits(0x7ff8000000000000))), Error);  // NaN
}

TEST_CASE("JCS: integers are exact within ±(2^53-1) and refused beyond", "[json][jcs]") {
    CHECK(jcs(Json(9007199254740991LL)) == "9007199254740991");
    CHECK(jcs(Json(-9007199254740991LL)) == "-9007199254740991");
    CHECK_THROWS_AS(jcs(Json(9007199254740992LL)), Error);
    CHECK_THROWS_AS(jcs(Json(std::uint64_t{1} << 60)), Error);
}

TEST_CASE("strict reader rejects duplicate member names at any depth", "[json][strict]") {
    CHECK_THROWS_AS(parse_strict(R"({"a":1,"a":2})"), Error);
    CHECK_THROWS_AS(parse_strict(R"({"x":[{"b":1,"c":2,"b":3}]})"), Error);
    CHECK_NOTHROW(parse_strict(R"({"a":{"a":1},"b":{"a":2}})"));  // same name in sibling objects is fine
}

TEST_CASE("strict reader rejects invalid UTF-8 and lone surrogates", "[json][strict]") {
    CHECK_THROWS_AS(parse_strict("\"\xff\""), Error);
    CHECK_THROWS_AS(parse_strict("\"\xc0\xaf\""), Error);          // overlong '/'
    CHECK_THROWS_AS(parse_strict("\"\xed\xa0\x80\""), Error);      // UTF-8-encoded surrogate
    CHECK_THROWS_AS(parse_strict(R"("\ud800")"), Error);            // lone high surrogate escape
    CHECK_THROWS_AS(parse_strict(R"("\udc00x")"), Error);           // lone low surrogate escape
    CHECK(parse_strict(R"("\ud83d\ude02")").get<std::string>() == "\xf0\x9f\x98\x82");
}

TEST_CASE("strict reader bounds numbers to the safe integer range", "[json][strict]") {
    CHECK(parse_strict("9007199254740991").get<std::int64_t>() == 9007199254740991LL);
    CHECK(parse_strict("-9007199254740991").get<std::int64_t>() == -9007199254740991LL);
    CHECK_THROWS_AS(parse_strict("9007199254740992"), Error);
    CHECK_THROWS_AS(parse_strict("-9007199254740992"), Error);
    CHECK_THROWS_AS(parse_strict("[18446744073709551616]"), Error);
    CHECK_THROWS_AS(parse_strict("1e400"), Error);
    CHECK(parse_strict("9.007199254740991e15").get<double>() == 9007199254740991.0);
    CHECK(parse_strict("1.5e-300").get<double>() == 1.5e-300);
    CHECK(parse_strict("1.5").get<double>() == 1.5);
}

// Found by the json fuzz target (input kept in tests/data/fuzz/json/): "1e16" was accepted as a double, jcs() wrote
// it as 10000000000000000 (RFC 8785 Appendix B writes 2^53 as "9007199254740992"), and parse_strict refused that
// literal, so parse -> jcs -> parse failed. Every value whose RFC 8785 form is an integer literal beyond ±(2^53-1),
// i.e. magnitude in (2^53-1, 10^21), is now refused in every notation; from 10^21 on the form has an exponent
// (Appendix B: 0x444b1ae4d6e2ef50 is "1e+21"; section 3.2.2: 1E30 is "1e+30") and reads back as the same double.
TEST_CASE("strict reader accepts only numbers whose JCS form it reads back", "[json][strict][jcs]") {
    CHECK_THROWS_AS(parse_strict(to_string(read_file(test::fixture("fuzz/json/crash-1e16")))), Error);
    CHECK_THROWS_AS(parse_strict("10000000000000000"), Error);
    CHECK_THROWS_AS(parse_strict("[9.007199254740992e15]"), Error);
    CHECK_THROWS_AS(parse_strict("-9.999999999999999e20"), Error);
    CHECK_THROWS_AS(parse_strict("999999999999999900000.0"), Error);
    for (auto [in, want] : std::initializer_list<std::pair<const char*, const char*>>{
             {"1e21", "1e+21"}, {"1E30", "1e+30"}, {"-1.0e300", "-1e+300"}, {"9.007199254740991e15", "9007199254740991"},
             {"4.50", "4.5"}, {"2e-3", "0.002"}, {"-0.0", "0"}}) {
        INFO(in);
        Json v = parse_strict(in);
        std::string w = jcs(v);
        CHECK(w == want);
        CHECK(parse_strict(w) == v);
        CHECK(jcs(parse_strict(w)) == w);
    }
}

TEST_CASE("strict reader rejects trailing data, comments and deep nesting", "[json][strict]") {
    CHECK_THROWS_AS(parse_strict("{} x"), Error);
    CHECK_THROWS_AS(parse_strict("{} {}"), Error);
    CHECK_THROWS_AS(parse_strict("/* c */ {}"), Error);
    CHECK_THROWS_AS(parse_strict(""), Error);
    std::string deep(100, '[');
    deep += std::string(100, ']');
    CHECK_THROWS_AS(parse_strict(deep), Error);
    CHECK_NOTHROW(parse_strict(deep, 128));
}

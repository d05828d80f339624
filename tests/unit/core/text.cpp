// UTF-8 validation and safe quoting. Known answers: the examples of RFC 3629 section 7 (valid) and the malformed
// forms its section 10 names (overlong, surrogates, beyond U+10FFFF); then Python's strict UTF-8 decoder as an
// outside oracle over every 1- and 2-byte string and 20,000 random short strings.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <random>
#include <string>
#include <vector>

#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/json.hpp"
#include "kettle/core/text.hpp"
#include "test_support.hpp"

using namespace kettle;
using Catch::Matchers::ContainsSubstring;

TEST_CASE("UTF-8: RFC 3629 examples are valid, its malformed forms are not", "[text]") {
    // RFC 3629 section 7: "A<NOT IDENTICAL TO><ALPHA>.", Korean "hangugeo", Japanese "nihongo", U+233B4.
    for (const char* ok : {"\x41\xE2\x89\xA2\xCE\x91\x2E", "\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4",
                           "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", "\xEF\xBB\xBF\xF0\xA3\x8E\xB4", ""})
        CHECK(valid_utf8(ok));
    // Overlong "/" (C0 AF, E0 80 AF), a surrogate (ED A0 80), beyond U+10FFFF (F4 90 80 80), a lone continuation,
    // a truncated sequence, bytes that never appear (FE, FF).
    for (const char* bad : {"\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\x80", "\xE6\x97", "\xFE",
                            "a\xFF" "b"})
        CHECK_FALSE(valid_utf8(bad));
    CHECK(first_invalid_utf8("ab\xE6\x97\xA5\xFF") == 5);
}

TEST_CASE("UTF-8: the validator agrees with Python's decoder", "[text]") {
    std::vector<std::string> samples;
    for (int a = 0; a < 256; ++a) {
        samples.push_back(std::string(1, static_cast<char>(a)));
        for (int b = 0x80; b < 0xC0; b += 0x0F) samples.push_back(std::string{static_cast<char>(a), static_cast<char>(b)});
    }
    std::mt19937 rng(1234);
    const unsigned char interesting[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2,
                                         0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF};
    for (int i = 0; i < 20000; ++i) {
        std::string s;
        for (unsigned n = rng() % 6; n > 0; --n) s.push_back(static_cast<char>(interesting[rng() % sizeof interesting]));
        samples.push_back(s);
    }
    test::TempDir d;
    std::string lines;
    for (const auto& s : samples) lines += hex(as_bytes(s)) + "\n";
    write_file(d / "in.txt", lines);
    std::string out = test::run_host(
        "python3 -c 'import sys\nfor l in open(sys.argv[1]):\n"
        "  b=bytes.fromhex(l.strip())\n  try: b.decode(\"utf-8\"); print(1)\n  except UnicodeDecodeError: print(0)' " +
        d / "in.txt");
    REQUIRE(out.size() == samples.size() * 2);
    for (std::size_t i = 0; i < samples.size(); ++i) {
        INFO("bytes " << hex(as_bytes(samples[i])));
        CHECK(valid_utf8(samples[i]) == (out[2 * i] == '1'));
    }
}

TEST_CASE("printable: escapes what is not text, cuts on a character boundary", "[text]") {
    CHECK(printable("plain name") == "plain name");
    CHECK(printable("a\xFF" "b") == "a\\xFFb");
    CHECK(printable("tab\there\n") == "tab\\x09here\\x0A");
    CHECK(printable("\xC2\x85") == "\\u0085");         // C1 control NEL
    CHECK(printable("\xC3\xA9t\xC3\xA9") == "\xC3\xA9t\xC3\xA9");  // "ete" with accents is kept
    std::string accents;
    for (int i = 0; i < 100; ++i) accents += "\xC3\xA9";
    for (std::size_t max : {10u, 11u, 51u, 199u}) {
        std::string p = printable(accents, max);
        INFO("max " << max << ": " << p);
        CHECK(p.size() <= max);
        CHECK(valid_utf8(p));
        CHECK(p.substr(p.size() - 3) == "...");
    }
    CHECK(printable(accents, 200) == accents);
    CHECK(quote_text("x\xFF") == "\"x\\xFF\"");
}

TEST_CASE("JSON writers: status text never throws on content, the canonical form refuses it", "[text][json]") {
    Json j{{"error", "input: name \xFF\xFE cut \xE6\x97"}, {"ok", false}};
    std::string t;
    REQUIRE_NOTHROW(t = dump_text(j));
    CHECK(valid_utf8(t));
    std::string back = parse_strict(t)["error"].get<std::string>();  // U+FFFD where the bytes were not UTF-8
    CHECK_THAT(back, ContainsSubstring("input: name \xEF\xBF\xBD") && ContainsSubstring(" cut \xEF\xBF\xBD"));
    CHECK_THROWS_AS(j.dump(), Json::type_error);  // what status.json used before
    CHECK_THROWS_WITH(jcs(j), ContainsSubstring("not valid UTF-8"));
}

TEST_CASE("without_phase_prefix drops the phase name an error already starts with") {
    CHECK(kettle::without_phase_prefix("deps: npm: missing package a@1", "deps") == "npm: missing package a@1");
    CHECK(kettle::without_phase_prefix("ingest: bad tar", "deps") == "ingest: bad tar");
    CHECK(kettle::without_phase_prefix("depsx: y", "deps") == "depsx: y");
    CHECK(kettle::without_phase_prefix("deps: ", "deps") == "deps: ");  // nothing would be left: kept whole
    CHECK(kettle::without_phase_prefix("deps", "deps") == "deps");
    CHECK(kettle::without_phase_prefix("x: y", "") == "x: y");
}

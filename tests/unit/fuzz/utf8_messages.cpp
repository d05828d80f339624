// Hostile bytes that are not UTF-8 (what the sim_amdsp and evidence fuzz targets of tests/fuzz feed): an error
// message that quotes them must not break the JSON document that carries it. nlohmann's dump() throws type_error
// 316 on invalid UTF-8, so before the fix a request line with a byte 0xff made the simulated AMD-SP's handle_line
// (documented "never throws") throw out of its serving thread, `kettle verify --json` on an evidence.json with such
// a byte ended with "internal error" (exit 3) and no summary, and PID 1 could not write status.json for an input
// disk whose error quoted such a member name.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <filesystem>
#include <sys/wait.h>

#include "kettle/core/error.hpp"
#include "kettle/core/json.hpp"
#include "sim_amdsp.hpp"
#include "sim_bundle.hpp"
#include "test_support.hpp"

using namespace kettle;
using Catch::Matchers::ContainsSubstring;

namespace {
bool printable_ascii(const std::string& s) {
    for (unsigned char c : s)
        if (c < 0x20 || c >= 0x7f) return false;
    return true;
}
}  // namespace

TEST_CASE("parse_strict quotes the bytes of a syntax error as \\xHH", "[fuzz][json]") {
    for (std::string bad : {std::string("[\"a\xff\"]"), std::string("{\"k\":\xc3}"), std::string("\x01\x80")}) {
        try {
            parse_strict(bad);
            FAIL("accepted");
        } catch (const Error& e) {
            std::string m = e.what();
            INFO(m);
            CHECK(printable_ascii(m));
        }
    }
    try {
        parse_strict("[\"a\xff\"]");
    } catch (const Error& e) {
        CHECK_THAT(e.what(), ContainsSubstring("\\xFF"));
    }
}

TEST_CASE("dump_text writes invalid UTF-8 in a string as U+FFFD", "[fuzz][json]") {
    Json j{{"error", "input: bad\xff member"}};
    CHECK_THROWS(j.dump());
    Json back = parse_strict(dump_text(j, 2));
    CHECK(back["error"] == "input: bad\xef\xbf\xbd member");
}

TEST_CASE("the simulated AMD-SP answers a request with a byte 0xff with one error line", "[fuzz][runner]") {
    static runner::SimChain chain = runner::SimChain::load_or_create(runner::SimChain::default_dir());
    runner::SimAmdSp sp(chain, runner::SimPlatform{}, runner::SimLaunch{});
    // tests/fuzz sim_amdsp: a JSON string holding an invalid UTF-8 byte.
    for (std::string line : {std::string("{\"type\":\"\xff\"}"), std::string("\xff"), std::string("{\"\xc0\xaf\":1}")}) {
        std::string out;
        REQUIRE_NOTHROW(out = sp.handle_line(line));
        Json j = parse_strict(out);
        CHECK(j["type"] == "error");
    }
}

TEST_CASE("kettle verify --json on an evidence.json with a byte 0xff prints a FAILED summary", "[fuzz][cli]") {
    std::string kettle = std::string(KETTLE_BIN_DIR) + "/kettle";
    REQUIRE(std::filesystem::exists(kettle));
    test::TempDir t;
    std::string d = t / "b";
    bundle::Options o = test::make_sim_bundle(d);
    write_file(d + "/evidence.json", std::string_view("{\"schema\":\"kettle-evidence/v1\",\"platform\":\"snp\xff\"}"));
    std::string cmd = kettle + " verify " + d + " --json --allow-sim --no-nonce --expected-measurement " + hex(o.policy.snp.measurements.at(0)) +
                      " > " + (t / "out.json") + " 2>" + (t / "err.txt");
    int st = std::system(cmd.c_str());
    REQUIRE(WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 1);
    Json j = parse_strict(to_string(read_file(t / "out.json")));
    CHECK(j["result"] == "FAILED");
    CHECK(j["checks"].back()["name"] == "evidence");
}

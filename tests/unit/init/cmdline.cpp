// init/cmdline.cpp: the /proc/cmdline check of the guest PID 1.
#include <catch2/catch_test_macros.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "cmdline.hpp"

namespace {
// The source of truth, read independently of the generated header.
std::string cmdline_txt() {
    std::ifstream f(std::string(KETTLE_SOURCE_DIR) + "/image/cmdline.txt", std::ios::binary);
    REQUIRE(f.good());
    std::stringstream ss;
    ss << f.rdbuf();
    std::string s = ss.str();
    REQUIRE(!s.empty());
    REQUIRE(s.back() == '\n');
    s.pop_back();
    return s;
}
}  // namespace

TEST_CASE("builtin command line is image/cmdline.txt without its newline", "[cmdline]") {
    CHECK(kettle::builtin_cmdline() == cmdline_txt());
    CHECK(kettle::builtin_cmdline().find('\n') == std::string_view::npos);
}

TEST_CASE("cmdline_matches accepts exactly the built-in line", "[cmdline]") {
    const std::string want = cmdline_txt();
    CHECK(kettle::cmdline_matches(want + "\n"));  // what the kernel shows in /proc/cmdline
    CHECK(kettle::cmdline_matches(want));
}

TEST_CASE("cmdline_matches rejects any other line", "[cmdline]") {
    const std::string want = cmdline_txt();
    CHECK_FALSE(kettle::cmdline_matches(""));
    CHECK_FALSE(kettle::cmdline_matches("\n"));
    CHECK_FALSE(kettle::cmdline_matches(want + "\n\n"));
    CHECK_FALSE(kettle::cmdline_matches(want + " "));
    CHECK_FALSE(kettle::cmdline_matches(" " + want));
    CHECK_FALSE(kettle::cmdline_matches(want + " init=/bin/sh\n"));
    CHECK_FALSE(kettle::cmdline_matches("initrd=initrd " + want + "\n"));
    CHECK_FALSE(kettle::cmdline_matches(want.substr(0, want.size() - 1) + "\n"));
    CHECK_FALSE(kettle::cmdline_matches(want + std::string(1, '\0')));
    std::string flipped = want;
    flipped[0] = static_cast<char>(flipped[0] ^ 0x20);
    CHECK_FALSE(kettle::cmdline_matches(flipped + "\n"));
}

// The built executables, checked from outside: static linkage (file(1)), --version, exit codes.
#include <string>
#include <sys/wait.h>

#include <catch2/catch_test_macros.hpp>

#include "test_support.hpp"

static int exit_code(const std::string& cmd) {
    int st = std::system((cmd + " >/dev/null 2>&1").c_str());
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// [musl]: checks the shipped static musl executables, so the sanitizer run (make check-sanitize, whose kettle and
// init are dynamic ASan builds) leaves it out.
TEST_CASE("kettle and init are static x86-64 executables", "[cli][musl]") {
    std::string bin = KETTLE_BIN_DIR;
    for (const char* exe : {"kettle", "init"}) {
        std::string f = kettle::test::run_host("file -b " + bin + "/" + exe);
        INFO(exe << ": " << f);
        CHECK(f.find("ELF 64-bit") != std::string::npos);
        CHECK(f.find("x86-64") != std::string::npos);
        CHECK(f.find("statically linked") != std::string::npos);
    }
}

TEST_CASE("kettle --version names the lock file digest", "[cli]") {
    std::string out = kettle::test::run_host(std::string(KETTLE_BIN_DIR) + "/kettle --version");
    std::string lock = kettle::test::run_host(std::string("sha256sum ") + KETTLE_SOURCE_DIR + "/deps/kettle.lock").substr(0, 64);
    CHECK(out.rfind("kettle ", 0) == 0);
    CHECK(out.find("lock sha256:" + lock) != std::string::npos);
}

TEST_CASE("kettle exit codes: help 0, no or unknown command 2", "[cli]") {
    std::string k = std::string(KETTLE_BIN_DIR) + "/kettle";
    CHECK(exit_code(k + " --help") == 0);
    CHECK(exit_code(k) == 2);
    CHECK(exit_code(k + " frobnicate") == 2);
}

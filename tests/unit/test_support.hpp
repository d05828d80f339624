// Helpers shared by the unit tests.
#pragma once
#include <cstdlib>
#include <filesystem>
#include <string>

#include <catch2/catch_test_macros.hpp>

namespace kettle::test {

/// Path of ../shared (public fixtures), or "" when absent. Tests that need it SKIP.
inline std::string shared_dir() {
    const char* env = std::getenv("KETTLE_SHARED");
    std::string d = env && *env ? env : std::string(KETTLE_SOURCE_DIR) + "/../shared";
    return std::filesystem::is_directory(d + "/testdata") ? d : std::string();
}

#define KETTLE_REQUIRE_SHARED(var)                                                       \
    const std::string var = ::kettle::test::shared_dir();                                \
    if (var.empty()) SKIP("../shared/testdata is not present: public fixtures skipped")

/// A fresh temporary directory, removed at scope exit.
struct TempDir {
    std::filesystem::path path;
    TempDir() {
        char tmpl[] = "/tmp/kettle-test-XXXXXX";
        const char* p = ::mkdtemp(tmpl);
        REQUIRE(p != nullptr);
        path = p;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    std::string str() const { return path.string(); }
};

/// Run a shell command (host tools as outside oracles); returns its stdout. Fails the test on a non-zero exit.
std::string run_host(const std::string& cmd);

}  // namespace kettle::test

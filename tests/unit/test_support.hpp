// Helpers shared by the unit tests.
#pragma once
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>
#include <unistd.h>

#include <catch2/catch_test_macros.hpp>

namespace kettle::test {

/// `<repo>/tests/data/<rel>` (rel like "snp/measure"): the public fixtures committed with the tests (sources
/// in tests/data/README.md). Fails the test, naming `rel`, when it does not exist: nothing is skipped.
inline std::string fixture(const std::string& rel) {
    std::string p = std::string(KETTLE_SOURCE_DIR) + "/tests/data/" + rel;
    if (!std::filesystem::exists(p)) FAIL("test fixture tests/data/" + rel + " is missing");
    return p;
}

/// A fresh directory under $TMPDIR (default /tmp), removed with its contents at scope exit.
/// The one TempDir of the unit tests (a second definition in another header would break the ODR).
struct TempDir {
    std::string path;
    TempDir() {
        const char* t = std::getenv("TMPDIR");
        std::string tmpl = std::string(t && *t ? t : "/tmp") + "/kettle-test-XXXXXX";
        std::vector<char> b(tmpl.begin(), tmpl.end());
        b.push_back('\0');
        if (!::mkdtemp(b.data())) throw std::runtime_error("mkdtemp failed");
        path = b.data();
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& str() const { return path; }
    std::string operator/(const std::string& n) const { return path + "/" + n; }
};

/// Run a shell command (host tools as outside oracles); returns its stdout. Fails the test on a non-zero exit.
std::string run_host(const std::string& cmd);

}  // namespace kettle::test

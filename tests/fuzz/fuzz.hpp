// Shared by the libFuzzer targets in tests/fuzz (README.md there). Each target is one executable whose
// LLVMFuzzerTestOneInput feeds the input to one parser of hostile bytes. The rule every target enforces: bad input
// may only fail with kettle::Error (a clear message); any other exception escapes to libFuzzer and is reported as a
// crash, like a sanitizer finding or a broken round-trip invariant (KETTLE_FUZZ_CHECK).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"

namespace kettle::fuzz {

/// Run `f`, swallowing kettle::Error (the expected outcome for most inputs). Returns true when `f` returned.
template <class F>
bool accepts(F&& f) {
    try {
        f();
        return true;
    } catch (const kettle::Error&) {
        return false;
    }
}

[[noreturn]] inline void fail(const char* file, int line, const char* what, const std::string& detail) {
    std::fprintf(stderr, "%s:%d: fuzz invariant broken: %s %s\n", file, line, what, detail.c_str());
    std::abort();
}

/// `<repo>/tests/data/<rel>` (the fixtures some targets load once at start-up).
inline std::string fixture(const std::string& rel) { return std::string(KETTLE_SOURCE_DIR) + "/tests/data/" + rel; }

/// A temporary directory for targets whose parser needs a path, removed at exit: under /dev/shm when it exists
/// (no disk writes per input), else $TMPDIR or /tmp.
std::string scratch_dir(const char* tag);
/// Remove everything below `dir` (not `dir` itself).
void empty_dir(const std::string& dir);
/// A memfd holding `data`, at offset 0 (read-only use by the parser). Aborts if the kernel refuses.
int memfd_with(ByteView data);

}  // namespace kettle::fuzz

#define KETTLE_FUZZ_CHECK(cond, detail)                                                    \
    do {                                                                                   \
        if (!(cond)) ::kettle::fuzz::fail(__FILE__, __LINE__, #cond, (detail));            \
    } while (0)

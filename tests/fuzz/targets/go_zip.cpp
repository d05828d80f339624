// Fuzz target: the guest's reader of a Go module zip (pkgdeps::module_zip_h1, lib/pkgdeps/golang.cpp;
// golang.org/x/mod/zip layout: every entry a regular file under "<module>@<version>/"), which hashes each file for
// the dirhash h1. The zip is a file the host sent: hostile bytes. Module "example.com/m" at "v1.0.0" (the seeds
// make-seeds writes use it); limits smaller than the guest's keep each run short (the same checks).
// Invariant: an accepted zip gives a 32-byte h1.
#include <unistd.h>

#include "fuzz.hpp"
#include "kettle/pkgdeps/golang.hpp"

using namespace kettle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    pkgdeps::DepsLimits lim;
    lim.max_entries = 4096;
    lim.max_extracted_bytes = 32u << 20;
    int fd = fuzz::memfd_with(ByteView(data, size));
    Bytes h1;
    bool ok = fuzz::accepts([&] { h1 = pkgdeps::module_zip_h1(fd, "example.com/m", "v1.0.0", lim); });
    ::close(fd);
    if (ok) KETTLE_FUZZ_CHECK(h1.size() == 32, std::to_string(h1.size()));
    return 0;
}

// Fuzz target: the host's output-disk reader (read_output_disk, lib/disk/format.cpp; docs/formats.md §2), which
// extracts the guest's members into a scratch directory under /dev/shm (emptied after every input).
// The first input byte picks the mode. Odd: the rest is the payload (a tar), wrapped in a header and trailer with
// the right lengths and digests (tests/unit/guest_test_util.hpp output_envelope), so the fuzzer reaches the tar
// reader past the SHA-256 checks it could never satisfy. Even: the rest is the whole disk, as is.
#include "fuzz.hpp"
#include "guest_test_util.hpp"
#include "kettle/disk/format.hpp"

#include <unistd.h>

using namespace kettle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    static const std::string root = fuzz::scratch_dir("output");
    std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    std::string disk = (data[0] & 1) ? test::output_envelope(rest) : rest;
    int fd = fuzz::memfd_with(as_bytes(disk));
    const std::string dest = root + "/d";
    ::mkdir(dest.c_str(), 0700);
    OutputLimits lim;
    lim.max_members = 4096;
    lim.max_member_bytes = 8u << 20;
    lim.max_total_bytes = 32u << 20;
    fuzz::accepts([&] { read_output_disk("/proc/self/fd/" + std::to_string(fd), dest, lim); });
    ::close(fd);
    fuzz::empty_dir(root);
    return 0;
}

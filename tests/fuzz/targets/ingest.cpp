// Fuzz target: the guest's input-disk reader (ingest_input, lib/disk/ingest.cpp; docs/formats.md §1): the outer
// tar, request.json, the source/ and files/ trees, and the nested toolchain archive (tar, tar.zst, tar.gz) with
// its links, each extracted into a scratch directory under /dev/shm that is emptied after every input. The
// input is the device: a memfd of exactly its bytes. Smaller extraction limits than the guest's defaults keep
// each run short; the limit checks are the same code.
// Invariants: an accepted disk hashed every byte (device_size and device_sha256 match the input).
#include "fuzz.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/disk/format.hpp"

#include <sys/stat.h>
#include <unistd.h>

using namespace kettle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string root = fuzz::scratch_dir("ingest");
    const std::string dest = root + "/d";
    ::mkdir(dest.c_str(), 0700);
    IngestLimits lim;
    lim.max_entries = 4096;
    lim.max_member_bytes = 8u << 20;
    lim.max_total_bytes = 32u << 20;
    int fd = fuzz::memfd_with(ByteView(data, size));
    IngestResult r;
    bool ok = fuzz::accepts([&] { r = ingest_input(fd, size, dest, lim); });
    ::close(fd);
    fuzz::empty_dir(root);
    if (ok) {
        KETTLE_FUZZ_CHECK(r.device_size == size, "device size");
        KETTLE_FUZZ_CHECK(r.device_sha256 == sha256(ByteView(data, size)), "device digest");
    }
    return 0;
}

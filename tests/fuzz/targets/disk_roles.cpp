// Fuzz target: how the guest tells its disks apart by content (classify_disk, lib/disk/roles.cpp; docs/formats.md
// §0) from the first kDiskProbeBytes of a device the host attached, and the host's reader of a toolchain image
// file (read_toolchain_image, lib/disk/verity.cpp; docs/formats.md §5.1: the EROFS superblock's block count, the
// dm-verity superblock, the root hash), which `kettle run` and `kettle toolchain info` use on a file someone else
// may have made. The image is read from a memfd of exactly the input.
// Invariants: an accepted image fits in the input (toolchain_image_bytes(D) ≤ size) and has a 32-byte root hash;
// an input classified as a toolchain carries the EROFS magic; the blank label is classified as output.
#include "fuzz.hpp"
#include "kettle/disk/roles.hpp"
#include "kettle/disk/verity.hpp"

#include <algorithm>
#include <unistd.h>

using namespace kettle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    ByteView in(data, size);
    DiskRole role = classify_disk(in.subspan(0, std::min(size, kDiskProbeBytes)));
    disk_role_name(role);
    if (role == DiskRole::toolchain)
        KETTLE_FUZZ_CHECK(size >= 1028 && le32(in, 1024) == 0xE0F5E1E2u, "a toolchain without the EROFS magic");
    int fd = fuzz::memfd_with(in);
    ToolchainImageInfo info;
    bool ok = fuzz::accepts([&] { info = read_toolchain_image("/proc/self/fd/" + std::to_string(fd)); });
    ::close(fd);
    if (ok) {
        KETTLE_FUZZ_CHECK(info.image_bytes == toolchain_image_bytes(info.ref.data_blocks) && info.image_bytes <= size,
                          "an image larger than its file");
        KETTLE_FUZZ_CHECK(info.ref.root_hash.size() == 32 && info.file_bytes == size, "root hash or file size");
    }
    static const Bytes blank = blank_output_label();
    static const bool blank_ok = classify_disk(blank) == DiskRole::output;
    KETTLE_FUZZ_CHECK(blank_ok, "the blank output label is not classified as output");
    return 0;
}

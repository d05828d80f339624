// How the guest tells its disks apart by content, whatever bus they are on (virtio-blk, NVMe, SCSI):
// docs/formats.md §0 "Finding the disks". The first 4096 bytes of every whole block device are classified;
// the host marks a fresh output disk with a 512-byte label. Integers little-endian.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "kettle/core/bytes.hpp"

namespace kettle {

/// What a device holds, judged from its first bytes.
enum class DiskRole { unknown, input, output, toolchain };
const char* disk_role_name(DiskRole r);

/// Bytes the guest reads from the start of each device to classify it.
inline constexpr std::size_t kDiskProbeBytes = 4096;

/// The blank-output label (512 bytes) at offset 0 of an output disk before the guest writes it:
/// magic "KETTLE-BLANK-OUT" (16 ASCII bytes, no NUL), u32 version = 1 at 16, zeros to 512. The guest
/// overwrites it with the output header (docs/formats.md §2).
inline constexpr char kBlankOutputMagic[16] = {'K', 'E', 'T', 'T', 'L', 'E', '-', 'B', 'L', 'A', 'N', 'K', '-', 'O', 'U', 'T'};
inline constexpr std::size_t kBlankOutputLabelSize = 512;
Bytes blank_output_label();

/// Classify a device from `head`, its first bytes (at least 512 are needed; fewer → unknown):
///   input:  a ustar header (magic "ustar" at 257, header checksum valid) of a regular file (typeflag '0' or NUL)
///           named "request.json" or "./request.json" — the first member of an input disk (§1.1);
///   output: the blank-output label exactly (magic, version 1, the rest of the 512 bytes zero);
///   toolchain: an EROFS superblock, le32 magic 0xE0F5E1E2 at offset 1024 (Linux fs/erofs/erofs_fs.h,
///           EROFS_SUPER_OFFSET and EROFS_SUPER_MAGIC_V1), the start of a toolchain image (docs/formats.md §5.1);
///           needs at least 1028 bytes of `head`;
///   unknown: anything else (a GPT boot disk, a used output disk, zeros).
DiskRole classify_disk(ByteView head);

/// One whole block device and its role.
struct ProbedDisk {
    std::string name;  ///< e.g. "vda", "nvme0n1"
    DiskRole role = DiskRole::unknown;
};

/// The input, output and toolchain device names chosen from probed disks, each role on its own: a role claimed
/// by more than one disk (a host can attach copies and forgeries: ambiguity is refused, never resolved by
/// order), and an input or output role claimed by none, leaves its name empty and says why in its error, so
/// that an ambiguous input disk can still be reported on a unique output disk. The toolchain disk is optional:
/// none leaves both `toolchain` and `toolchain_error` empty (PID 1 fails only when the request names an image).
struct DiskChoice {
    std::string input, output, toolchain;                    ///< device names, or empty
    std::string input_error, output_error, toolchain_error;  ///< non-empty when the name is empty (toolchain: on
                                                             ///< ambiguity only)
};
DiskChoice choose_disks(const std::vector<ProbedDisk>& disks);

}  // namespace kettle

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
enum class DiskRole { unknown, input, output };
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
///   unknown: anything else (a GPT boot disk, a used output disk, zeros).
DiskRole classify_disk(ByteView head);

/// One whole block device and its role.
struct ProbedDisk {
    std::string name;  ///< e.g. "vda", "nvme0n1"
    DiskRole role = DiskRole::unknown;
};

/// The input and output device names chosen from probed disks, each role on its own: a role claimed by no
/// disk, or by more than one (a host can attach copies and forgeries: ambiguity is refused, never resolved by
/// order), leaves its name empty and says why in its error, so that an ambiguous input disk can still be
/// reported on a unique output disk.
struct DiskChoice {
    std::string input, output;              ///< device names, or empty
    std::string input_error, output_error;  ///< non-empty exactly when the name is empty
};
DiskChoice choose_disks(const std::vector<ProbedDisk>& disks);

}  // namespace kettle

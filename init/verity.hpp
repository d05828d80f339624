// PID 1's toolchain disk: the toolchain image (kettle/disk/verity.hpp, docs/formats.md §5) opened through a Linux
// device-mapper "verity" target with the root hash the request names, mounted read-only as the build's root.
// Device-mapper is driven with its ioctls on /dev/mapper/control (linux/dm-ioctl.h, interface version 4); no
// userspace tool runs in the guest. A block that does not match its hash fails the read with EIO, and the
// target's status turns from "V" to "C"; PID 1 reads that status after the build.
#pragma once
#include <cstdint>
#include <string>

#include "kettle/core/bytes.hpp"
#include "kettle/core/json.hpp"
#include "kettle/disk/verity.hpp"

namespace kettle::init {

/// The toolchain image as PID 1 opened it.
struct ToolchainDisk {
    ToolchainImageRef ref;         ///< from the request
    std::string disk;              ///< the disk it was read from (e.g. /dev/vdc, /dev/nvme3n1)
    std::uint64_t disk_bytes = 0;  ///< that disk's size (BLKGETSIZE64), at least toolchain_image_bytes(D)
    std::string mapped;            ///< the block node of the dm-verity device (/dev/kettle-toolchain)
    std::string mountpoint;        ///< where the EROFS filesystem is mounted read-only
};

/// The device-mapper name of the toolchain's verity device.
inline constexpr const char* kToolchainDmName = "kettle-toolchain";

/// Open `disk` through dm-verity with `ref`, read block 0 through it, and mount it (EROFS, read-only, nosuid,
/// nodev) at `mountpoint` (created). Errors: Error("toolchain-integrity: ...") when the disk is smaller than
/// the image the request names or block 0 fails verification (a wrong root hash fails every block);
/// Error("toolchain: ...") when device-mapper or the mount fails otherwise.
ToolchainDisk open_toolchain_image(const ToolchainImageRef& ref, const std::string& disk, const std::string& mountpoint);

/// True when the verity target reports a corrupted block since it was created (status "C"), false for "V".
/// Throws Error("toolchain: ...") when the status cannot be read or is neither.
bool toolchain_corrupted();

/// "toolchain-integrity: ..." for status.json, naming the root hash and, when the kernel log has it, the first
/// block that failed (the kernel's "device-mapper: verity: ... block N is corrupted" line).
std::string toolchain_integrity_error(const ToolchainDisk& tc);

/// status.json inputs.toolchain for an image: root_hash, data_blocks, image_bytes, and, once opened, disk and
/// disk_bytes.
Json toolchain_status_json(const ToolchainImageRef& ref, const ToolchainDisk* opened);

/// The DM_TABLE_LOAD argument for one target of `sectors` 512-byte sectors of type `target` with `params`:
/// struct dm_ioctl (version 4.0.0, `name`, DM_READONLY_FLAG, one target, data_start = sizeof(struct dm_ioctl)),
/// then struct dm_target_spec (start 0, length, next = its size + params rounded up to 8), then the
/// NUL-terminated params, padded to a multiple of 8. Throws Error for a name or target type that does not fit.
Bytes dm_table_load_buffer(const std::string& name, std::uint64_t sectors, const std::string& target,
                           const std::string& params);

}  // namespace kettle::init

// Finding the input and output disks by content (docs/formats.md §0): every whole block device in /sys/block
// is probed, whatever its bus (virtio-blk vdX, NVMe nvmeXnY, SCSI sdX), so one image serves QEMU and the clouds.
#pragma once
#include <string>

#include "kettle/disk/roles.hpp"

namespace kettle::init {

struct FoundDisks {
    DiskChoice choice;
    std::string summary;  ///< "disks: vda (input), vdb (output), nvme0n1 (unknown)" for the console and build log
};

/// Probe at most 64 whole disks under `sys_block` (skipping loop, ram, zram, dm-, md, sr, fd, nbd devices),
/// reading the first kDiskProbeBytes of `dev_dir`/<name> read-only, and choose the input and output disks
/// (kettle::choose_disks; a missing or ambiguous role has its error set) and the optional toolchain disk. Names become `dev_dir`/<name>.
/// Throws Error only when `sys_block` cannot be listed or holds more
/// than 64 devices.
FoundDisks find_kettle_disks(const std::string& sys_block = "/sys/block", const std::string& dev_dir = "/dev");

}  // namespace kettle::init

// `kettle toolchain pack`: a toolchain image (kettle/disk/verity.hpp, docs/formats.md §5) from a rootfs tarball,
// with Debian's tools on the host: GNU tar to unpack, erofs-utils' mkfs.erofs for the filesystem and
// cryptsetup-bin's veritysetup for the dm-verity hash area, every identifier and timestamp fixed so that the same
// rootfs (with the same tool versions) gives the same root hash.
#pragma once
#include <cstdint>
#include <string>

#include "kettle/disk/verity.hpp"

namespace kettle::runner {

/// The directories the build sandbox mounts over (docs/formats.md §4); a read-only image must already hold them.
inline constexpr const char* kSandboxMountPoints[] = {"src", "dev", "proc", "tmp", "inputs"};

/// Make the tree at `root` look as the guest makes an extracted tarball (docs/formats.md §1): directories 0755,
/// regular files 0755 when any execute bit was set, else 0644 (no set-id or sticky bits), symbolic links kept as
/// they are; then create each missing kSandboxMountPoints directory (mode 0755). Owners are not touched
/// (mkfs.erofs --all-root makes every file root's). Throws Error naming the path for a device node, FIFO or
/// socket, or a mount point that exists but is not a directory.
void normalize_rootfs(const std::string& root);

/// The versions of the Debian packages whose tools make the image ("erofs-utils 1.5-1, cryptsetup-bin 2:2.6.1-…"),
/// from dpkg-query; "(version unknown)" off Debian.
std::string pack_tool_versions();

/// Pack the rootfs tarball `tarball` (.tar, .tar.zst or .tar.gz; GNU tar detects the compression) into the
/// image `out` (written under a temporary name next to it, then renamed): unpack into a scratch directory next to
/// `out` (removed afterwards), normalize_rootfs, `mkfs.erofs -T<epoch> -U<kToolchainImageUuid> --all-root -x -1`
/// (uncompressed, no extended attributes), `veritysetup format` with SHA-256, 4096-byte blocks, format 1,
/// verity_salt(), the same UUID and --hash-offset = the EROFS size. Checks that read_toolchain_image finds the
/// root hash veritysetup printed and that the file is exactly toolchain_image_bytes(D). Throws Error with the
/// failing tool's message.
ToolchainImageInfo pack_toolchain_image(const std::string& tarball, const std::string& out, std::uint64_t epoch);

}  // namespace kettle::runner

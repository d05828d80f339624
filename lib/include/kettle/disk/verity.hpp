// Toolchain images: a read-only EROFS filesystem of the toolchain rootfs followed by its dm-verity hash area, on a
// disk of its own. The normative description is docs/formats.md §5 ("Toolchain image").
//
// Layout of an image of D data blocks (every block 4096 bytes, offsets in bytes):
//   [0, 4096*D)                   the EROFS filesystem (EROFS superblock at 1024: le32 magic 0xE0F5E1E2)
//   [4096*D, 4096*(D+1))          the dm-verity superblock (cryptsetup's on-disk format, 512 bytes, zero padded)
//   [4096*(D+1), 4096*(D+1+H))    the hash tree, H = verity_hash_blocks(D), top level first
// dm-verity format 1 (Linux Documentation/admin-guide/device-mapper/verity.rst, cryptsetup "DMVerity"): every
// data block and every hash block below the top is hashed as SHA-256(salt || block); a hash block holds 128
// digests of 32 bytes, zero padded; the root hash is SHA-256(salt || the single top-level hash block), or, for an
// image of one data block (no tree at all), SHA-256(salt || that block).
// Fixed parameters: SHA-256, 4096-byte data and hash blocks, the salt verity_salt(), format 1, hash tree
// starting one block after the data (after the superblock). The identity of an image is its root hash together
// with D; the guest never reads the verity superblock (only the kernel's dm-verity reads the image).
#pragma once
#include <cstdint>
#include <string>

#include "kettle/core/bytes.hpp"

namespace kettle {

inline constexpr std::uint32_t kVerityBlockSize = 4096;             ///< data and hash block size, bytes
inline constexpr std::uint64_t kToolchainImageMinBlocks = 1;         ///< a tiny EROFS image is one block
inline constexpr std::uint64_t kToolchainImageMaxBlocks = 1ull << 28;  ///< 1 TiB of data
/// The EROFS filesystem UUID and the verity superblock UUID of every image `kettle toolchain pack` makes.
inline constexpr const char* kToolchainImageUuid = "6b657474-6c65-4000-8000-746f6f6c6368";
/// The format name recorded in the provenance (annotations.format of the "toolchain" dependency).
inline constexpr const char* kToolchainImageFormat = "erofs+dm-verity/v1";

/// The fixed salt: the 32 bytes of SHA-256 over the 25 ASCII bytes "kettle-toolchain-image/v1".
const Bytes& verity_salt();

/// What a build request names (request.json "toolchain_image"): the image's identity.
struct ToolchainImageRef {
    Bytes root_hash;               ///< 32 bytes
    std::uint64_t data_blocks = 0; ///< D, kToolchainImageMinBlocks .. kToolchainImageMaxBlocks
};

/// Hash-tree blocks (without the superblock block) for D data blocks, as Linux dm-verity lays them out
/// (verity_ctr: the smallest number of levels L with (D - 1) >> 7L == 0; level i holds ceil(D / 128^(i+1))
/// blocks; D = 1 has no level at all). Throws Error when D is outside kToolchainImageMinBlocks ..
/// kToolchainImageMaxBlocks.
std::uint64_t verity_hash_blocks(std::uint64_t data_blocks);
/// Bytes of a whole image: 4096 * (D + 1 + verity_hash_blocks(D)).
std::uint64_t toolchain_image_bytes(std::uint64_t data_blocks);
/// The block (of 4096 bytes, counted from the start of the disk) where the hash tree starts: D + 1.
inline std::uint64_t verity_hash_start_block(std::uint64_t data_blocks) { return data_blocks + 1; }

/// The parameter string of a Linux device-mapper "verity" target over `device` ("major:minor" or a path, used
/// for both the data and the hash device): "1 DEV DEV 4096 4096 D D+1 sha256 <root hex> <salt hex>", no optional
/// arguments, so a block that does not match its hash fails the read with EIO (the default error mode).
/// Throws Error for a root hash that is not 32 bytes, a bad D, or a device with a space or control byte.
std::string verity_target_params(const ToolchainImageRef& ref, const std::string& device);

/// A toolchain image file as the host reads it (`kettle run`, `kettle toolchain info`).
struct ToolchainImageInfo {
    ToolchainImageRef ref;           ///< root hash and D
    std::uint64_t image_bytes = 0;   ///< toolchain_image_bytes(D)
    std::uint64_t file_bytes = 0;    ///< size of the file (at least image_bytes)
};

/// Read the identity of the image file at `path` without hashing its data: D from the EROFS superblock (block
/// size 4096 required), the verity superblock at 4096*D (signature "verity\0\0", version 1, hash type 1,
/// "sha256", 4096/4096, the same D, salt = verity_salt()), and the root hash SHA-256(salt || top hash block)
/// (for D = 1: SHA-256(salt || data block 0)).
/// The data is not checked here: the guest's dm-verity checks every block it reads against the root hash.
/// Throws Error("toolchain image <path>: <reason>").
ToolchainImageInfo read_toolchain_image(const std::string& path);

}  // namespace kettle

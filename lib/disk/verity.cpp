// Toolchain images (EROFS + dm-verity hash tree): fixed parameters, tree geometry, the device-mapper target line,
// and the host's reading of an image's identity. See kettle/disk/verity.hpp and docs/formats.md §5.
#include "kettle/disk/verity.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"

namespace kettle {

namespace {

constexpr std::uint64_t kHashesPerBlock = kVerityBlockSize / 32;  // 128 SHA-256 digests per hash block
constexpr std::uint32_t kErofsMagic = 0xE0F5E1E2;                 // EROFS_SUPER_MAGIC_V1
constexpr std::size_t kErofsSuperOffset = 1024;                   // EROFS_SUPER_OFFSET

void check_blocks(std::uint64_t d) {
    if (d < kToolchainImageMinBlocks || d > kToolchainImageMaxBlocks)
        throw Error("toolchain image: " + std::to_string(d) + " data blocks is outside " +
                    std::to_string(kToolchainImageMinBlocks) + ".." + std::to_string(kToolchainImageMaxBlocks));
}

Bytes pread_exact(int fd, std::uint64_t off, std::size_t len, const std::string& what) {
    Bytes b(len);
    std::size_t got = 0;
    while (got < len) {
        ssize_t n = ::pread(fd, b.data() + got, len - got, static_cast<off_t>(off + got));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw Error(what + ": read: " + std::strerror(errno));
        if (n == 0) throw Error(what + ": the file ends at " + std::to_string(off + got) + " bytes, before " + std::to_string(off + len));
        got += static_cast<std::size_t>(n);
    }
    return b;
}

/// The cryptsetup verity superblock (512 bytes): "verity\0\0" | le32 version | le32 hash_type | uuid[16] |
/// algorithm[32] | le32 data_block_size | le32 hash_block_size | le64 data_blocks | le16 salt_size | pad[6] |
/// salt[256] | pad[168]. Checks every field against the fixed parameters and `data_blocks`.
void check_verity_superblock(ByteView sb, std::uint64_t data_blocks, const std::string& what) {
    if (std::memcmp(sb.data(), "verity\0\0", 8) != 0)
        throw Error(what + ": no dm-verity superblock after the EROFS data (was it made by `kettle toolchain pack`?)");
    if (le32(sb, 8) != 1 || le32(sb, 12) != 1) throw Error(what + ": verity superblock version or hash type is not 1");
    char alg[33] = {};
    std::memcpy(alg, sb.data() + 32, 32);
    if (std::strcmp(alg, "sha256") != 0) throw Error(what + ": verity hash algorithm is not sha256");
    if (le32(sb, 64) != kVerityBlockSize || le32(sb, 68) != kVerityBlockSize)
        throw Error(what + ": verity data and hash block sizes are not 4096");
    if (le64(sb, 72) != data_blocks)
        throw Error(what + ": the verity superblock covers " + std::to_string(le64(sb, 72)) +
                    " data blocks, the EROFS filesystem has " + std::to_string(data_blocks));
    const Bytes& salt = verity_salt();
    if (le16(sb, 80) != salt.size() || std::memcmp(sb.data() + 88, salt.data(), salt.size()) != 0)
        throw Error(what + ": the verity salt is not Kettle's fixed salt");
}

}  // namespace

const Bytes& verity_salt() {
    static const Bytes salt = sha256(std::string_view("kettle-toolchain-image/v1"));
    return salt;
}

std::uint64_t verity_hash_blocks(std::uint64_t d) {
    check_blocks(d);
    // Levels as Linux verity_ctr counts them: the smallest L with (D - 1) >> (7 L) == 0; level i (0 = the one
    // over the data) holds ceil(D / 128^(i+1)) blocks, the top level exactly one. D = 1: L = 0, no tree.
    if (d == 1) return 0;
    std::uint64_t total = 0, per = 1;
    for (;;) {
        per *= kHashesPerBlock;
        std::uint64_t blocks = (d + per - 1) / per;
        total += blocks;
        if (blocks == 1) return total;
    }
}

std::uint64_t toolchain_image_bytes(std::uint64_t d) {
    return (d + 1 + verity_hash_blocks(d)) * kVerityBlockSize;
}

std::string verity_target_params(const ToolchainImageRef& ref, const std::string& device) {
    if (ref.root_hash.size() != 32) throw Error("toolchain image: the root hash must be 32 bytes");
    check_blocks(ref.data_blocks);
    if (device.empty()) throw Error("toolchain image: no device");
    for (char c : device)
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) throw Error("toolchain image: bad device name");
    std::string d = std::to_string(ref.data_blocks), bs = std::to_string(kVerityBlockSize);
    return "1 " + device + " " + device + " " + bs + " " + bs + " " + d + " " +
           std::to_string(verity_hash_start_block(ref.data_blocks)) + " sha256 " + hex(ref.root_hash) + " " +
           hex(verity_salt());
}

ToolchainImageInfo read_toolchain_image(const std::string& path) {
    const std::string what = "toolchain image " + path;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Error(what + ": " + std::strerror(errno));
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) throw Error(what + ": not a regular file");
    ToolchainImageInfo info;
    info.file_bytes = static_cast<std::uint64_t>(st.st_size);

    Bytes esb = pread_exact(fd, kErofsSuperOffset, 128, what);
    if (le32(esb, 0) != kErofsMagic) throw Error(what + ": no EROFS superblock at offset 1024");
    if (esb[12] != 12) throw Error(what + ": the EROFS block size is not 4096 bytes");
    std::uint64_t d = le32(esb, 36);  // erofs_super_block.blocks
    try {
        check_blocks(d);
    } catch (const Error& e) {
        throw Error(what + ": " + e.what());
    }
    info.ref.data_blocks = d;
    info.image_bytes = toolchain_image_bytes(d);
    if (info.file_bytes < info.image_bytes)
        throw Error(what + ": " + std::to_string(info.file_bytes) + " bytes, less than the " +
                    std::to_string(info.image_bytes) + " bytes of EROFS data, verity superblock and hash tree");
    check_verity_superblock(pread_exact(fd, d * kVerityBlockSize, 512, what), d, what);
    // The root hash covers the top-level hash block, or the only data block when there is no tree.
    std::uint64_t top_block = d == 1 ? 0 : verity_hash_start_block(d);
    Bytes top = pread_exact(fd, top_block * kVerityBlockSize, kVerityBlockSize, what);
    Hasher h(HashAlg::sha256);
    h.update(verity_salt());
    h.update(top);
    info.ref.root_hash = h.finish();
    return info;
}

}  // namespace kettle

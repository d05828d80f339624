// Toolchain images: the dm-verity geometry and root hash against cryptsetup's veritysetup (an independent
// implementation), the target line against the kernel's documented format, and the host's reading of hostile
// image files.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <fcntl.h>
#include <unistd.h>

#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/disk/verity.hpp"
#include "test_support.hpp"

using namespace kettle;
using kettle::test::TempDir;
using Catch::Matchers::ContainsSubstring;

namespace {

bool have_tool(const char* name) {
    return std::system((std::string("command -v ") + name + " >/dev/null 2>&1 || test -x /usr/sbin/" + name).c_str()) == 0;
}

std::string veritysetup() {
    return std::system("command -v veritysetup >/dev/null 2>&1") == 0 ? "veritysetup" : "/usr/sbin/veritysetup";
}

/// A data area of `blocks` blocks that starts like an EROFS image (superblock magic, 4096-byte blocks, the block
/// count) and is otherwise a counter pattern, so every block hashes differently.
void write_data(const std::string& path, std::uint64_t blocks) {
    Bytes b(blocks * kVerityBlockSize);
    for (std::size_t i = 0; i < b.size(); i += 8) b[i] = static_cast<std::uint8_t>(i / 4096 * 7 + i / 8);
    Bytes sb;
    put_le32(sb, 0xE0F5E1E2);
    std::copy(sb.begin(), sb.end(), b.begin() + 1024);
    b[1024 + 12] = 12;
    Bytes n;
    put_le32(n, static_cast<std::uint32_t>(blocks));
    std::copy(n.begin(), n.end(), b.begin() + 1024 + 36);
    write_file(path, b);
}

/// veritysetup format with Kettle's parameters over `path` (data then hash area in the same file); returns the
/// root hash it prints.
std::string verity_format(const std::string& path, std::uint64_t blocks, const std::string& salt_hex) {
    std::string out = test::run_host(veritysetup() + " format --hash=sha256 --format=1 --data-block-size=4096 "
                                     "--hash-block-size=4096 --salt=" + salt_hex + " --uuid=" + kToolchainImageUuid +
                                     " --data-blocks=" + std::to_string(blocks) + " --hash-offset=" +
                                     std::to_string(blocks * 4096) + " " + path + " " + path);
    auto p = out.find("Root hash:");
    REQUIRE(p != std::string::npos);
    p = out.find_first_not_of(" \t", p + 10);
    return out.substr(p, 64);
}

}  // namespace

TEST_CASE("verity salt is SHA-256 of the documented string", "[verity]") {
    CHECK(hex(verity_salt()) == hex(sha256(std::string_view("kettle-toolchain-image/v1"))));
    CHECK(verity_salt().size() == 32);
}

TEST_CASE("verity geometry and root hash match veritysetup", "[verity]") {
    if (!have_tool("veritysetup")) SKIP("veritysetup (cryptsetup-bin) is not installed");
    // One, two and three tree levels, and the edges where a level fills up (128 digests per hash block).
    for (std::uint64_t d : {1ull, 2ull, 7ull, 128ull, 129ull, 16384ull, 16385ull}) {
        TempDir t;
        std::string img = t / "img";
        write_data(img, d);
        std::string printed = verity_format(img, d, hex(verity_salt()));
        ToolchainImageInfo info = read_toolchain_image(img);
        INFO("data blocks " << d);
        CHECK(info.ref.data_blocks == d);
        CHECK(hex(info.ref.root_hash) == printed);
        CHECK(info.file_bytes == toolchain_image_bytes(d));
        CHECK(info.image_bytes == info.file_bytes);
    }
    CHECK(verity_hash_blocks(1) == 0);  // no tree: the root hash is the data block's hash
    CHECK(verity_hash_blocks(2) == 1);
    CHECK(verity_hash_blocks(128) == 1);
    CHECK(verity_hash_blocks(129) == 3);          // 2 + 1
    CHECK(verity_hash_blocks(16385) == 129 + 2 + 1);
    CHECK_THROWS_WITH(verity_hash_blocks(0), ContainsSubstring("outside 1.."));
    CHECK_THROWS_WITH(verity_hash_blocks(kToolchainImageMaxBlocks + 1), ContainsSubstring("outside"));
}

TEST_CASE("verity target line follows the kernel's table format", "[verity]") {
    // Documentation/admin-guide/device-mapper/verity.rst: <version> <dev> <hash_dev> <data_block_size>
    // <hash_block_size> <num_data_blocks> <hash_start_block> <algorithm> <digest> <salt>
    ToolchainImageRef ref{Bytes(32, 0xab), 1000};
    std::string salt = hex(verity_salt());
    CHECK(verity_target_params(ref, "253:2") ==
          "1 253:2 253:2 4096 4096 1000 1001 sha256 "
          "abababababababababababababababababababababababababababababababab " + salt);
    CHECK_THROWS(verity_target_params(ToolchainImageRef{Bytes(31, 0), 1000}, "253:2"));
    CHECK_THROWS(verity_target_params(ref, "253:2 extra"));
    CHECK_THROWS(verity_target_params(ref, ""));
    CHECK_THROWS(verity_target_params(ToolchainImageRef{Bytes(32, 0), 0}, "253:2"));
}

TEST_CASE("read_toolchain_image refuses files that are not Kettle images", "[verity]") {
    if (!have_tool("veritysetup")) SKIP("veritysetup (cryptsetup-bin) is not installed");
    TempDir t;
    std::string img = t / "img";
    write_data(img, 40);
    verity_format(img, 40, hex(verity_salt()));
    Bytes good = read_file(img);
    auto with = [&](std::size_t off, std::uint8_t v) {
        Bytes b = good;
        b[off] = v;
        write_file(t / "bad", b);
        return t / "bad";
    };
    const std::size_t sb = 40 * 4096;
    CHECK_THROWS_WITH(read_toolchain_image(with(1024, 0)), ContainsSubstring("no EROFS superblock"));
    CHECK_THROWS_WITH(read_toolchain_image(with(1024 + 12, 9)), ContainsSubstring("block size is not 4096"));
    CHECK_THROWS_WITH(read_toolchain_image(with(sb + 72, 41)), ContainsSubstring("verity superblock covers 41"));
    CHECK_THROWS_WITH(read_toolchain_image(with(1024 + 36, 0)), ContainsSubstring("outside 1.."));
    CHECK_THROWS_WITH(read_toolchain_image(with(1024 + 36, 39)), ContainsSubstring("no dm-verity superblock"));
    CHECK_THROWS_WITH(read_toolchain_image(with(sb, 'X')), ContainsSubstring("no dm-verity superblock"));
    CHECK_THROWS_WITH(read_toolchain_image(with(sb + 32, 'm')), ContainsSubstring("not sha256"));
    CHECK_THROWS_WITH(read_toolchain_image(with(sb + 88, good[sb + 88] ^ 1)), ContainsSubstring("fixed salt"));
    write_file(t / "short", ByteView(good.data(), good.size() - 4096));
    CHECK_THROWS_WITH(read_toolchain_image(t / "short"), ContainsSubstring("less than the"));
    CHECK_THROWS_WITH(read_toolchain_image(t / "missing"), ContainsSubstring("No such file"));
    // A salt other than Kettle's gives a different tree: refused by name rather than opened with a wrong hash.
    write_data(t / "other", 40);
    verity_format(t / "other", 40, std::string(64, '0'));
    CHECK_THROWS_WITH(read_toolchain_image(t / "other"), ContainsSubstring("fixed salt"));
}

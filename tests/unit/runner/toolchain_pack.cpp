// `kettle toolchain pack`: a rootfs tarball (made by GNU tar here) becomes an EROFS + dm-verity image whose
// contents, read back by erofs-utils' own fsck.erofs --extract, are the rootfs as the guest's tarball path would
// see it; the root hash is the same on a second run and printed by `kettle toolchain info`.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/disk/verity.hpp"
#include "test_support.hpp"
#include "toolchain_image.hpp"

using namespace kettle;
using kettle::test::TempDir;
using Catch::Matchers::ContainsSubstring;
namespace fs = std::filesystem;

namespace {

bool have_pack_tools() {
    return std::system("command -v mkfs.erofs >/dev/null 2>&1 && command -v fsck.erofs >/dev/null 2>&1 && "
                       "command -v dump.erofs >/dev/null 2>&1 && "
                       "{ command -v veritysetup || test -x /usr/sbin/veritysetup; } >/dev/null 2>&1") == 0;
}

/// A small rootfs with the cases normalization must handle, as a tarball owned by a non-root user.
std::string make_rootfs_tar(const TempDir& t, const std::string& name, const std::string& extra_cmd = "") {
    std::string r = t / (name + ".d");
    test::run_host("set -e; mkdir -p " + r + "/bin " + r + "/etc " + r + "/usr/lib " + r + "/secret; cd " + r +
                   "; printf '#!/bin/sh\\necho hi\\n' > bin/tool; chmod 4755 bin/tool;"
                   " echo private > etc/shadow; chmod 0600 etc/shadow; chmod 0700 secret; echo s > secret/f;"
                   " ln -s /bin/tool bin/link; ln bin/tool usr/lib/hard; echo data > usr/lib/data; chmod 0444 usr/lib/data;"
                   " mkdir -p tmp; chmod 1777 tmp; " + extra_cmd);
    std::string tar = t / (name + ".tar");
    test::run_host("tar --sort=name --owner=1234 --group=1234 --numeric-owner -C " + r + " -cf " + tar + " .");
    return tar;
}

mode_t mode_of(const std::string& p) {
    struct stat st {};
    REQUIRE(::lstat(p.c_str(), &st) == 0);
    return st.st_mode;
}

}  // namespace

TEST_CASE("toolchain pack: a reproducible image of the normalized rootfs", "[verity][pack]") {
    if (!have_pack_tools()) SKIP("erofs-utils or cryptsetup-bin is not installed");
    TempDir t;
    std::string tar = make_rootfs_tar(t, "rootfs");
    ToolchainImageInfo a = runner::pack_toolchain_image(tar, t / "a.img", 1704067200);
    ToolchainImageInfo b = runner::pack_toolchain_image(tar, t / "b.img", 1704067200);
    CHECK(hex(a.ref.root_hash) == hex(b.ref.root_hash));
    CHECK(read_file(t / "a.img") == read_file(t / "b.img"));
    CHECK(a.file_bytes == toolchain_image_bytes(a.ref.data_blocks));
    // No scratch directory is left next to the output.
    for (auto& e : fs::directory_iterator(t.str())) CHECK(e.path().filename().string().rfind(".kettle-pack", 0) != 0);
    // Another timestamp is another image.
    ToolchainImageInfo c = runner::pack_toolchain_image(tar, t / "c.img", 0);
    CHECK(hex(c.ref.root_hash) != hex(a.ref.root_hash));

    // erofs-utils' own reader: the EROFS data area (the first D blocks) extracted with owners and modes.
    std::string data = t / "data.erofs", x = t / "x";
    test::run_host("head -c " + std::to_string(a.ref.data_blocks * 4096) + " " + (t / "a.img") + " > " + data);
    test::run_host("fsck.erofs --extract=" + x + " --preserve " + data + " >/dev/null");
    CHECK((mode_of(x + "/bin/tool") & 07777) == 0755);        // set-uid dropped, executable kept
    CHECK((mode_of(x + "/etc/shadow") & 07777) == 0644);      // as the guest's tarball path makes it
    CHECK((mode_of(x + "/usr/lib/data") & 07777) == 0644);
    CHECK((mode_of(x + "/secret") & 07777) == 0755);
    CHECK((mode_of(x + "/tmp") & 07777) == 0755);             // the sandbox mounts its own /tmp (1777)
    CHECK(S_ISLNK(mode_of(x + "/bin/link")));
    CHECK(fs::read_symlink(x + "/bin/link") == "/bin/tool");
    for (const char* m : {"src", "dev", "proc", "tmp", "inputs"}) CHECK(S_ISDIR(mode_of(x + "/" + m)));
    // The hard link stays one inode (dump.erofs shows the on-disk inode number; the extraction copies).
    auto nid = [&](const char* p) {
        std::string o = test::run_host("dump.erofs --path=" + std::string(p) + " " + data);
        return o.substr(o.find("NID:"), o.find("Links:") - o.find("NID:"));
    };
    CHECK(nid("/bin/tool") == nid("/usr/lib/hard"));
    struct stat s1 {};
    REQUIRE(::stat((x + "/bin/tool").c_str(), &s1) == 0);
    if (::geteuid() == 0) {
        CHECK(s1.st_uid == 0);
        CHECK(s1.st_gid == 0);
    }
    CHECK(s1.st_mtime == 1704067200);
    CHECK(to_string(read_file(x + "/secret/f")) == "s\n");
}

TEST_CASE("toolchain pack refuses special files and mount points that are not directories", "[verity][pack]") {
    TempDir t;
    // normalize_rootfs alone: no tools needed.
    std::string r = t / "r";
    fs::create_directories(r + "/run");
    REQUIRE(::mkfifo((r + "/run/fifo").c_str(), 0600) == 0);
    CHECK_THROWS_WITH(runner::normalize_rootfs(r), ContainsSubstring("/run/fifo: a FIFO is not allowed"));
    std::string r2 = t / "r2";
    fs::create_directories(r2 + "/var/tmp");
    fs::create_directory_symlink("var/tmp", r2 + "/tmp");
    CHECK_THROWS_WITH(runner::normalize_rootfs(r2), ContainsSubstring("/tmp is not a directory"));
    if (!have_pack_tools()) SKIP("erofs-utils or cryptsetup-bin is not installed");
    std::string tar = make_rootfs_tar(t, "withfifo", "mkfifo run-fifo");
    CHECK_THROWS_WITH(runner::pack_toolchain_image(tar, t / "o.img", 0), ContainsSubstring("FIFO"));
    CHECK_FALSE(fs::exists(t / "o.img"));
    CHECK_THROWS_WITH(runner::pack_toolchain_image(t / "missing.tar", t / "o.img", 0),
                      ContainsSubstring("not a regular file"));
}

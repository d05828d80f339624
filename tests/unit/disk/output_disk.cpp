// Output disk: guest writer / host reader round trip and hostile output disks.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest_test_util.hpp"
#include "kettle/disk/format.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"

using namespace kettle;
using kettle::test::TarBuilder;
using kettle::test::TempDir;
using Catch::Matchers::ContainsSubstring;

namespace {

int make_disk(const std::string& path, std::uint64_t size) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(::ftruncate(fd, static_cast<off_t>(size)) == 0);
    return fd;
}


OutputDisk read_bytes(const std::string& disk) {
    TempDir d;
    write_file(d / "out.img", disk);
    ::mkdir((d / "x").c_str(), 0755);
    return read_output_disk(d / "out.img", d / "x");
}

}  // namespace

TEST_CASE("output disk round trip", "[output]") {
    TempDir d;
    int fd = make_disk(d / "out.img", 8 << 20);
    std::string big(300000, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
    write_file(d / "art.bin", big);
    {
        OutputWriter w(fd, 8 << 20);
        w.add_bytes("build.log", "line 1\nline 2\n");
        DiskMember a = w.add_file("artifacts/out/app.bin", d / "art.bin");
        CHECK(hex(a.sha256) == test::sha256sum(d / "art.bin"));
        w.add_bytes("status.json", R"({"version":1,"phase":"done","ok":true})");
        w.finish();
    }
    ::close(fd);
    ::mkdir((d / "x").c_str(), 0755);
    OutputDisk o = read_output_disk(d / "out.img", d / "x");
    CHECK(o.status.at("phase") == "done");
    REQUIRE(o.members.size() == 3);
    CHECK(o.members[1].name == "artifacts/out/app.bin");
    CHECK(hex(o.members[1].sha256) == test::sha256sum(d / "art.bin"));
    CHECK(test::sha256sum(d / "x/artifacts/out/app.bin") == test::sha256sum(d / "art.bin"));
    CHECK(to_string(read_file(d / "x/build.log")) == "line 1\nline 2\n");
    // GNU tar reads the payload as an ordinary tar.
    std::string cmd = "dd if='" + d / "out.img" + "' bs=4096 skip=1 2>/dev/null | tar -tf - > '" + d / "list" + "'";
    REQUIRE(std::system(cmd.c_str()) == 0);
    CHECK(to_string(read_file(d / "list")) == "build.log\nartifacts/out/app.bin\nstatus.json\n");
}

TEST_CASE("output writer reports a full disk and refuses bad names", "[output]") {
    TempDir d;
    int fd = make_disk(d / "out.img", 64 << 10);
    OutputWriter w(fd, 64 << 10);
    CHECK_THROWS_WITH(w.add_bytes("../x", "a"), ContainsSubstring("\"..\""));
    CHECK_THROWS_WITH(w.add_bytes("/abs", "a"), ContainsSubstring("absolute"));
    w.add_bytes("a", "1");
    CHECK_THROWS_WITH(w.add_bytes("a", "2"), ContainsSubstring("duplicate"));
    CHECK_THROWS_WITH(w.add_bytes("big", std::string(100 << 10, 'x')), ContainsSubstring("output disk is full"));
    ::close(fd);
}

TEST_CASE("output reader rejects hostile and incomplete output disks", "[output]") {
    std::string status = R"({"version":1,"phase":"done"})";
    std::string good_payload = TarBuilder().file("status.json", status).file("build.log", "x").finish();

    SECTION("well-formed envelope from the independent writer is accepted") {
        OutputDisk o = read_bytes(test::output_envelope(good_payload, 1 << 20));
        CHECK(o.status.at("phase") == "done");
    }
    SECTION("all zeros: never written") {
        CHECK_THROWS_WITH(read_bytes(std::string(1 << 20, '\0')), ContainsSubstring("no header magic"));
    }
    SECTION("missing complete marker") {
        std::string disk = test::output_envelope(good_payload, 1 << 20);
        std::size_t toff = 4096 + (good_payload.size() + 511) / 512 * 512;
        disk[toff] = 'X';
        CHECK_THROWS_WITH(read_bytes(disk), ContainsSubstring("no complete marker"));
    }
    SECTION("writer that never finished leaves no header") {
        TempDir d;
        int fd = make_disk(d / "o.img", 1 << 20);
        {
            OutputWriter w(fd, 1 << 20);
            w.add_bytes("status.json", status);
        }
        ::close(fd);
        ::mkdir((d / "x").c_str(), 0755);
        CHECK_THROWS_WITH(read_output_disk(d / "o.img", d / "x"), ContainsSubstring("no header magic"));
    }
    SECTION("truncated disk") {
        std::string disk = test::output_envelope(good_payload, 0);
        disk.resize(disk.size() - 600);
        CHECK_THROWS_WITH(read_bytes(disk), ContainsSubstring("runs past the end of the disk"));
    }
    SECTION("payload length larger than the disk") {
        std::string disk = test::output_envelope(good_payload, 1 << 20);
        disk[24 + 5] = 1;  // payload_length += 2^40
        CHECK_THROWS_WITH(read_bytes(disk), ContainsSubstring("runs past the end of the disk"));
    }
    SECTION("payload modified after the header was written") {
        std::string disk = test::output_envelope(good_payload, 1 << 20);
        disk[4096 + 600] ^= 1;
        CHECK_THROWS_WITH(read_bytes(disk), ContainsSubstring("payload digest mismatch"));
    }
    SECTION("version 2") {
        std::string disk = test::output_envelope(good_payload, 1 << 20);
        disk[16] = 2;
        CHECK_THROWS_WITH(read_bytes(disk), ContainsSubstring("version 2 is not supported"));
    }
    SECTION("path traversal member") {
        std::string p = TarBuilder().file("status.json", status).file("../../etc/cron.d/x", "boom").finish();
        CHECK_THROWS_WITH(read_bytes(test::output_envelope(p, 1 << 20)), ContainsSubstring("\"..\" in path"));
    }
    SECTION("absolute member") {
        std::string p = TarBuilder().file("/tmp/x", "boom").file("status.json", status).finish();
        CHECK_THROWS_WITH(read_bytes(test::output_envelope(p, 1 << 20)), ContainsSubstring("absolute path"));
    }
    SECTION("symlink member, then a write through it") {
        std::string p = TarBuilder().symlink("artifacts", "/etc").file("artifacts/passwd", "x").finish();
        CHECK_THROWS_WITH(read_bytes(test::output_envelope(p, 1 << 20)), ContainsSubstring("symbolic link is not allowed"));
    }
    SECTION("hard link member") {
        std::string p = TarBuilder().file("status.json", status).hardlink("x", "/etc/shadow").finish();
        CHECK_THROWS_WITH(read_bytes(test::output_envelope(p, 1 << 20)), ContainsSubstring("hard links are not allowed"));
    }
    SECTION("device member") {
        std::string p = TarBuilder().node("null", AE_IFCHR).finish();
        CHECK_THROWS_WITH(read_bytes(test::output_envelope(p, 1 << 20)), ContainsSubstring("character device is not allowed"));
    }
    SECTION("duplicate member") {
        std::string p = TarBuilder().file("status.json", status).file("status.json", status).finish();
        CHECK_THROWS_WITH(read_bytes(test::output_envelope(p, 1 << 20)), ContainsSubstring("duplicate name"));
    }
    SECTION("member size past the payload end") {
        std::string p = TarBuilder().file("status.json", status).file("big", std::string(5000, 'b')).finish();
        p.resize(p.find("big") / 512 * 512 + 1024);
        CHECK_THROWS_WITH(read_bytes(test::output_envelope(p, 1 << 20)), ContainsSubstring("runs past the end of the payload"));
    }
    SECTION("no status.json") {
        std::string p = TarBuilder().file("build.log", "x").finish();
        CHECK_THROWS_WITH(read_bytes(test::output_envelope(p, 1 << 20)), ContainsSubstring("status.json is missing"));
    }
    SECTION("status.json that is not JSON") {
        std::string p = TarBuilder().file("status.json", "{not json").finish();
        CHECK_THROWS_WITH(read_bytes(test::output_envelope(p, 1 << 20)), ContainsSubstring("json:"));
    }
}

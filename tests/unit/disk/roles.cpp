// Disks told apart by content (docs/formats.md §0): an input disk written by write_input_disk and read by GNU
// tar, the blank-output label, forged and ambiguous disks.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <cstring>

#include "guest_test_util.hpp"
#include "test_support.hpp"
#include "kettle/core/bytes.hpp"
#include "kettle/disk/format.hpp"
#include "kettle/disk/roles.hpp"

using namespace kettle;
using kettle::test::TarBuilder;
using kettle::test::TempDir;
using Catch::Matchers::ContainsSubstring;

TEST_CASE("an input disk as written for the guest is recognised; GNU tar agrees on its first member", "[disk][roles]") {
    TempDir d;
    std::string repo = d / "repo";
    REQUIRE(std::system(("set -e; git init -q -b main '" + repo + "' && cd '" + repo +
                         "' && echo x > f && git add f && git -c user.name=t -c user.email=t@example.org commit -q -m one")
                            .c_str()) == 0);
    write_file(d / "tc.tar", TarBuilder().dir("bin/").finish());
    InputDiskSpec spec;
    spec.request.argv = {"/bin/true"};
    spec.request.source_ref = "main";
    spec.source_dir = repo + "/.git";
    spec.toolchain_path = d / "tc.tar";
    write_input_disk(spec, d / "in.img");
    const Bytes img = read_file(d / "in.img");
    CHECK(classify_disk(ByteView(img).first(kDiskProbeBytes)) == DiskRole::input);
    CHECK(test::run_host("tar -tf " + (d / "in.img") + " | head -1") == "request.json\n");
}

TEST_CASE("the blank-output label and what is not an input or output disk", "[disk][roles]") {
    Bytes label = blank_output_label();
    REQUIRE(label.size() == 512);
    CHECK(std::memcmp(label.data(), "KETTLE-BLANK-OUT", 16) == 0);
    CHECK(le32(label, 16) == 1);
    label.resize(kDiskProbeBytes, 0);
    CHECK(classify_disk(label) == DiskRole::output);
    Bytes v2 = label;
    v2[16] = 2;
    CHECK(classify_disk(v2) == DiskRole::unknown);
    Bytes junk = label;
    junk[300] = 1;  // anything after the version must be zero
    CHECK(classify_disk(junk) == DiskRole::unknown);
    CHECK(classify_disk(Bytes(4096, 0)) == DiskRole::unknown);
    CHECK(classify_disk(ByteView(label).first(511)) == DiskRole::unknown);
    // A used output disk (its header) is not blank: the guest never writes over an earlier result.
    Bytes used(4096, 0);
    std::memcpy(used.data(), kOutputMagic, 16);
    CHECK(classify_disk(used) == DiskRole::unknown);
}

TEST_CASE("tar headers: only a valid ustar header of a regular request.json is an input disk", "[disk][roles]") {
    const std::string tar = TarBuilder().file("request.json", "{}").finish();
    Bytes h(tar.begin(), tar.begin() + 512);
    CHECK(classify_disk(h) == DiskRole::input);
    Bytes bad = h;
    bad[20] ^= 1;  // the name (and so the checksum) changes
    CHECK(classify_disk(bad) == DiskRole::unknown);
    const std::string other = TarBuilder().file("requests.json", "{}").finish();
    CHECK(classify_disk(as_bytes(other.substr(0, 512))) == DiskRole::unknown);
    const std::string dir = TarBuilder().dir("request.json/").finish();
    CHECK(classify_disk(as_bytes(dir.substr(0, 512))) == DiskRole::unknown);
}

TEST_CASE("each role must be claimed by exactly one disk", "[disk][roles]") {
    auto c = choose_disks({{"nvme0n1", DiskRole::unknown}, {"nvme1n1", DiskRole::input}, {"nvme2n1", DiskRole::output}});
    CHECK(c.input == "nvme1n1");
    CHECK(c.output == "nvme2n1");
    CHECK(c.input_error.empty());
    c = choose_disks({{"vda", DiskRole::input}, {"vdb", DiskRole::input}, {"vdc", DiskRole::output}});
    CHECK(c.input.empty());
    CHECK_THAT(c.input_error, ContainsSubstring("2 devices look like the input disk (vda, vdb)"));
    CHECK(c.output == "vdc");  // the failure can still be reported on the output disk
    c = choose_disks({{"vda", DiskRole::unknown}});
    CHECK_THAT(c.input_error, ContainsSubstring("no input disk"));
    CHECK_THAT(c.output_error, ContainsSubstring("no output disk"));
}

TEST_CASE("a toolchain image is recognised by the EROFS superblock mkfs.erofs writes", "[disk][roles][verity]") {
    TempDir d;
    REQUIRE(std::system(("set -e; mkdir -p '" + (d / "root/bin") + "' && echo x > '" + (d / "root/bin/tool") +
                         "' && mkfs.erofs --quiet '" + (d / "tc.img") + "' '" + (d / "root") + "' >/dev/null")
                            .c_str()) == 0);
    const Bytes img = read_file(d / "tc.img");
    REQUIRE(img.size() >= kDiskProbeBytes);
    CHECK(classify_disk(ByteView(img).first(kDiskProbeBytes)) == DiskRole::toolchain);
    CHECK(classify_disk(ByteView(img).first(1027)) == DiskRole::unknown);  // too short to hold the magic
    Bytes bad(img.begin(), img.begin() + kDiskProbeBytes);
    bad[1024] ^= 1;
    CHECK(classify_disk(bad) == DiskRole::unknown);
}

TEST_CASE("the toolchain disk is optional, but never chosen between two", "[disk][roles][verity]") {
    auto c = choose_disks({{"vda", DiskRole::input}, {"vdb", DiskRole::output}});
    CHECK(c.toolchain.empty());
    CHECK(c.toolchain_error.empty());
    c = choose_disks({{"vda", DiskRole::input}, {"vdb", DiskRole::output}, {"vdc", DiskRole::toolchain}});
    CHECK(c.toolchain == "vdc");
    c = choose_disks({{"vda", DiskRole::input}, {"vdb", DiskRole::output}, {"vdc", DiskRole::toolchain},
                      {"vdd", DiskRole::toolchain}});
    CHECK(c.toolchain.empty());
    CHECK_THAT(c.toolchain_error, ContainsSubstring("2 devices look like the toolchain disk (vdc, vdd)"));
    CHECK(c.input == "vda");
    CHECK(c.output == "vdb");
}

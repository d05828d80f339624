// Ingest hashes the device and the nested toolchain member on helper threads, through a ring of 1 MiB buffers
// (lib/disk/ingest.cpp, PipelinedHasher). These inputs span many ring turns, with members that straddle buffer
// boundaries, so a slot reused too early or a chunk hashed out of order would change a digest or a file. Known
// answers come from the system's sha256sum; failures must end cleanly (threads joined) with an error.
#include <catch2/catch_test_macros.hpp>

#include <random>
#include <sys/stat.h>
#include <unistd.h>

#include "guest_test_util.hpp"
#include "kettle/disk/format.hpp"

using namespace kettle;
using kettle::test::TarBuilder;
using kettle::test::TempDir;

namespace {

constexpr std::size_t MiB = std::size_t{1} << 20;

/// Deterministic, incompressible-enough bytes.
std::string noise(std::size_t n, unsigned seed) {
    std::mt19937 g(seed);
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(g() & 0xff);
    return s;
}

struct Made {
    std::vector<std::pair<std::string, std::string>> files;  // member name, local copy of its content
};

/// A toolchain of ~11 MiB whose file sizes sit on and around the 1 MiB buffer size, plus the input disk.
Made make_disk(TempDir& d, const char* filter, const std::string& tc_name) {
    Made m;
    const std::size_t sizes[] = {MiB - 1, MiB, MiB + 1, 3 * MiB + 517, 5 * MiB - 300, 0, 12345};
    TarBuilder tb(filter);
    tb.dir("usr/").dir("usr/lib/");
    unsigned seed = 0;
    for (std::size_t n : sizes) {
        std::string id = std::to_string(++seed), data = noise(n, seed);
        write_file(d / ("orig" + id), data);
        m.files.emplace_back("usr/lib/f" + id, d / ("orig" + id));
        tb.file("usr/lib/f" + id, data);
    }
    write_file(d / tc_name, tb.finish());
    ::mkdir((d / "repo").c_str(), 0755);
    ::mkdir((d / "repo/objects").c_str(), 0755);
    write_file(d / "repo/HEAD", std::string("ref: refs/heads/main\n"));
    write_file(d / "extra.bin", noise(2 * MiB + 7, 99));
    InputDiskSpec spec;
    spec.request.argv = {"true"};
    spec.request.source_ref = "main";
    spec.source_dir = d / "repo";
    spec.toolchain_path = d / tc_name;
    spec.files = {{"extra.bin", d / "extra.bin"}};
    write_input_disk(spec, d / "in.img");
    return m;
}

}  // namespace

TEST_CASE("ingest digests and files over many buffer turns match sha256sum", "[ingest]") {
    if (!test::have_tool("sha256sum")) SKIP("sha256sum missing");
    struct Case {
        const char* filter;
        const char* tc_name;
        const char* member;
    };
    for (Case c : {Case{nullptr, "tc.tar", "toolchain.tar"}, Case{"zstd", "tc.tar.zst", "toolchain.tar.zst"},
                   Case{"gzip", "tc.tar.gz", "toolchain.tar.gz"}}) {
        DYNAMIC_SECTION(c.member) {
            TempDir d;
            Made m = make_disk(d, c.filter, c.tc_name);
            ::mkdir((d / "out").c_str(), 0755);
            IngestResult r = ingest_input_path(d / "in.img", d / "out");
            CHECK(r.device_size > 4 * MiB);
            CHECK(hex(r.device_sha256) == test::sha256sum(d / "in.img"));
            CHECK(r.toolchain.name == c.member);
            CHECK(hex(r.toolchain.sha256) == test::sha256sum(d / c.tc_name));
            for (const auto& [name, orig] : m.files)
                CHECK(test::sha256sum(d / ("out/rootfs/" + name)) == test::sha256sum(orig));
            REQUIRE(r.files.size() == 1);
            CHECK(hex(r.files[0].sha256) == test::sha256sum(d / "extra.bin"));
        }
    }
}

TEST_CASE("ingest of a device cut short after several buffer turns fails cleanly", "[ingest]") {
    TempDir d;
    make_disk(d, nullptr, "tc.tar");
    // Keep the first 6.5 MiB: the cut falls inside the nested toolchain, after the ring has wrapped.
    Bytes img = read_file(d / "in.img", 64 * MiB);
    REQUIRE(img.size() > 7 * MiB);
    img.resize(6 * MiB + MiB / 2);
    write_file(d / "cut.img", img);
    ::mkdir((d / "out").c_str(), 0755);
    CHECK_THROWS_AS(ingest_input_path(d / "cut.img", d / "out"), Error);
}

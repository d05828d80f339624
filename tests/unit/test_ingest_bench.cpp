// Ingest throughput against native `tar -x` + `sha256sum` on the same ~300 MB toolchain tarball (hidden test:
// run with `kettle-unit-tests "[.bench]"`; `make bench` may call it). Prints both times and the ratio.
#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <cstdio>
#include <sys/stat.h>

#include "guest_test_util.hpp"
#include "kettle/disk_format.hpp"

using namespace kettle;
using kettle::test::TempDir;

TEST_CASE("ingest throughput vs tar -x + sha256sum", "[.bench]") {
    if (!test::have_tool("tar") || !test::have_tool("sha256sum")) SKIP("tar or sha256sum missing");
    TempDir d;
    // ~300 MB of incompressible-ish files in a toolchain tar, made by GNU tar from /dev/urandom.
    std::string gen = "set -e; mkdir -p '" + d / "tc/usr/lib" + "'; for i in $(seq 1 150); do "
                      "head -c 2000000 /dev/urandom > '" + d / "tc/usr/lib" + "'/f$i; done; "
                      "tar -C '" + d / "tc" + "' -cf '" + d / "tc.tar" + "' .; rm -rf '" + d / "tc" + "'; "
                      "mkdir -p '" + d / "repo/objects" + "'; echo 'ref: refs/heads/main' > '" + d / "repo/HEAD" + "'";
    REQUIRE(std::system(gen.c_str()) == 0);
    InputDiskSpec spec;
    spec.request.argv = {"true"};
    spec.request.source_ref = "main";
    spec.source_dir = d / "repo";
    spec.toolchain_path = d / "tc.tar";
    write_input_disk(spec, d / "in.img");
    using clk = std::chrono::steady_clock;
    auto secs = [](clk::time_point a, clk::time_point b) { return std::chrono::duration<double>(b - a).count(); };
    std::string native = "mkdir '" + d / "n" + "' && sha256sum '" + d / "in.img" + "' >/dev/null && tar -C '" +
                         d / "n" + "' -xf '" + d / "tc.tar" + "'";
    std::system(("cat '" + d / "in.img" + "' > /dev/null").c_str());  // warm the page cache for both
    auto t0 = clk::now();
    REQUIRE(std::system(native.c_str()) == 0);
    auto t1 = clk::now();
    ::mkdir((d / "k").c_str(), 0755);
    IngestResult r = ingest_input_path(d / "in.img", d / "k");
    auto t2 = clk::now();
    double tn = secs(t0, t1), tk = secs(t1, t2);
    std::printf("bench ingest: %.1f MB; native tar -x + sha256sum %.2f s; kettle ingest %.2f s; "
                "throughput ratio (native time / kettle time) %.2f\n",
                r.device_size / 1e6, tn, tk, tn / tk);
    CHECK(r.toolchain.size > 290'000'000);
}

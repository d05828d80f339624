// Ingest throughput against native `tar -x` + `sha256sum` on the same ~300 MB toolchain tarball (hidden test:
// run with `kettle-unit-tests "[.bench]"`; `make bench` may call it). Three ways, alternating in one run: native,
// kettle in process (ingest_input_path, as PID 1 ran it before the parser child), and kettle split as the guest
// runs it now (ingest_in_child: this process reads and hashes the device and pipes it to a forked child that
// parses and extracts; unconfined here, so the figure is the cost of the split itself, not of the namespaces and
// cgroup, which the VM's fixed overhead covers). Prints the times and the ratios.
#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>
#include <sys/resource.h>
#include <sys/stat.h>

#include "guest_test_util.hpp"
#include "kettle/disk/format.hpp"
#include "parser_child.hpp"

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
    auto cpu = [](int who) {  // user + system seconds
        struct rusage u {};
        ::getrusage(who, &u);
        return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
    };
    // Native and kettle alternate, KETTLE_BENCH_RUNS times each (default 3), from a warm page cache; the medians
    // and their ratio are printed, with the CPU time (user + system) of each side: on a machine whose cores are
    // busy, wall time follows CPU time, whatever the threads. A benchmark, not a timed test: nothing here asserts a time.
    int runs = 3;
    if (const char* e = std::getenv("KETTLE_BENCH_RUNS")) runs = std::max(1, std::min(20, std::atoi(e)));
    std::system(("cat '" + d / "in.img" + "' '" + d / "tc.tar" + "' > /dev/null").c_str());
    std::vector<double> tn, tk, cn, ck, ts, cs;
    IngestResult r;
    init::ParserJail jail;
    jail.name = "ingest";
    jail.confine = false;
    for (int i = 0; i < runs; ++i) {
        std::string n = d / ("n" + std::to_string(i)), k = d / ("k" + std::to_string(i)),
                    sp = d / ("s" + std::to_string(i));
        std::string native = "mkdir '" + n + "' && sha256sum '" + d / "in.img" + "' >/dev/null && tar -C '" + n +
                             "' -xf '" + d / "tc.tar" + "'";
        double c0 = cpu(RUSAGE_CHILDREN);
        auto t0 = clk::now();
        REQUIRE(std::system(native.c_str()) == 0);
        auto t1 = clk::now();
        double c1 = cpu(RUSAGE_CHILDREN);
        ::mkdir(k.c_str(), 0755);
        double c2 = cpu(RUSAGE_SELF);
        auto t2 = clk::now();
        r = ingest_input_path(d / "in.img", k);
        auto t3 = clk::now();
        double c3 = cpu(RUSAGE_SELF);
        ::mkdir(sp.c_str(), 0755);
        double c4 = cpu(RUSAGE_SELF) + cpu(RUSAGE_CHILDREN);
        auto t4 = clk::now();
        IngestResult rs = init::ingest_in_child(d / "in.img", sp, {}, jail, {}, nullptr);
        auto t5 = clk::now();
        double c5 = cpu(RUSAGE_SELF) + cpu(RUSAGE_CHILDREN);
        REQUIRE(rs.device_sha256 == r.device_sha256);
        tn.push_back(secs(t0, t1));
        tk.push_back(secs(t2, t3));
        ts.push_back(secs(t4, t5));
        cn.push_back(c1 - c0);
        ck.push_back(c3 - c2);
        cs.push_back(c5 - c4);
        std::printf("bench ingest run %d: native %.2f s (cpu %.2f s), kettle in process %.2f s (cpu %.2f s), "
                    "kettle split %.2f s (cpu %.2f s)\n",
                    i + 1, tn.back(), cn.back(), tk.back(), ck.back(), ts.back(), cs.back());
        REQUIRE(std::system(("rm -rf '" + n + "' '" + k + "' '" + sp + "'").c_str()) == 0);
    }
    auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
    };
    double mn = median(tn), mk = median(tk), ms = median(ts), mcn = median(cn), mck = median(ck), mcs = median(cs);
    std::printf("bench ingest: %.1f MB; native tar -x + sha256sum %.2f s; kettle ingest in process %.2f s "
                "(ratio %.2f); kettle ingest split into PID 1 + child %.2f s (ratio %.2f); median of %d\n",
                r.device_size / 1e6, mn, mk, mn / mk, ms, mn / ms, runs);
    std::printf("bench ingest cpu: native %.2f s, in process %.2f s (ratio %.2f), split %.2f s (ratio %.2f)\n", mcn,
                mck, mcn / mck, mcs, mcn / mcs);
    std::printf("bench ingest json: {\"device_mb\": %.1f, \"native_s\": %.3f, \"kettle_inprocess_s\": %.3f, "
                "\"ratio_inprocess\": %.3f, \"kettle_s\": %.3f, \"ratio\": %.3f, \"native_cpu_s\": %.3f, "
                "\"kettle_inprocess_cpu_s\": %.3f, \"kettle_cpu_s\": %.3f, \"cpu_ratio\": %.3f, \"runs\": %d}\n",
                r.device_size / 1e6, mn, mk, mn / mk, ms, mn / ms, mcn, mck, mcs, mcn / mcs, runs);
    CHECK(r.toolchain.size > 290'000'000);
}

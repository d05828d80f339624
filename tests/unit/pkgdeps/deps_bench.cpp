// Hidden benchmark (bench/deps_bench.sh, never a timed test): the guest's npm check and layout
// (verify_and_lay_out, the same library code, unconfined on the host) against `npm ci --offline --ignore-scripts`
// of the same lockfile, alternating, on the set in $KETTLE_DEPS_BENCH_DIR (src/ with package.json and
// package-lock.json, pkgs/ with the tarballs; made by bench/deps_bench.sh from make demo-deps).
#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "kettle/pkgdeps/package.hpp"

namespace fs = std::filesystem;

TEST_CASE("deps throughput vs npm ci --offline", "[.][bench]") {
    const char* dir = std::getenv("KETTLE_DEPS_BENCH_DIR");
    REQUIRE(dir);
    const std::string base = dir;
    const int runs = std::getenv("KETTLE_BENCH_RUNS") ? std::atoi(std::getenv("KETTLE_BENCH_RUNS")) : 3;
    double best_k = 1e9, best_n = 1e9;
    kettle::pkgdeps::VerifiedSet v;
    auto now = [] { return std::chrono::steady_clock::now(); };
    for (int i = 0; i < runs; ++i) {
        for (const char* w : {"k", "n"}) {
            std::string work = base + "/run-" + w;
            fs::remove_all(work);
            fs::create_directories(work);
            fs::copy_file(base + "/src/package.json", work + "/package.json");
            fs::copy_file(base + "/src/package-lock.json", work + "/package-lock.json");
            auto t0 = now();
            if (w[0] == 'k') {
                v = kettle::pkgdeps::verify_and_lay_out("npm", work, base + "/pkgs");
            } else {
                std::string cmd = "cd '" + work + "' && npm ci --offline --ignore-scripts --no-audit --no-fund >/dev/null 2>&1";
                REQUIRE(std::system(cmd.c_str()) == 0);
            }
            double s = std::chrono::duration<double>(now() - t0).count();
            (w[0] == 'k' ? best_k : best_n) = std::min(w[0] == 'k' ? best_k : best_n, s);
        }
    }
    double mb = static_cast<double>(v.bytes) / 1e6;
    std::printf("bench deps: %zu packages, %.1f MB of tarballs: kettle %.2f s (%.1f MB/s, %.0f packages/s), "
                "npm ci --offline %.2f s (%.1f MB/s, %.0f packages/s)\n",
                v.packages.size(), mb, best_k, mb / best_k, v.packages.size() / best_k, best_n, mb / best_n,
                v.packages.size() / best_n);
    std::printf("bench deps json: {\"packages\": %zu, \"tarball_bytes\": %llu, \"kettle_s\": %.3f, \"npm_ci_offline_s\": %.3f, "
                "\"kettle_mb_s\": %.2f, \"npm_mb_s\": %.2f, \"kettle_packages_s\": %.1f, \"npm_packages_s\": %.1f, \"runs\": %d}\n",
                v.packages.size(), static_cast<unsigned long long>(v.bytes), best_k, best_n, mb / best_k, mb / best_n,
                v.packages.size() / best_k, v.packages.size() / best_n, runs);
}

// Red-team regressions: hostile bundles and output disks that once hung, escaped or passed.
// A good sim-snp bundle is made with the producers' own code (as in verify/interop.cpp), then mutated.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>
#include <cstdlib>
#include <cstring>
#include <csignal>
#include <filesystem>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "guest_test_util.hpp"
#include "kettle/attest/attest.hpp"
#include "kettle/verify/bundle.hpp"
#include "kettle/disk/format.hpp"
#include "kettle/provenance/dsse.hpp"
#include "kettle/core/error.hpp"
#include "kettle/provenance/evidence.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/provenance/statement.hpp"
#include "kettle/core/x509.hpp"
#include "sim_bundle.hpp"
#include "test_support.hpp"

using namespace kettle;
namespace fs = std::filesystem;
using Catch::Matchers::ContainsSubstring;

namespace {


/// Runs fn in a child process; returns its exit code, or -1 when it was still running after `seconds` (killed).
template <typename F>
int in_child_with_timeout(F fn, int seconds) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::setpgid(0, 0);  // its own process group, so a hung grandchild is killed with it
        int rc = 99;
        try {
            rc = fn();
        } catch (...) {
            rc = 98;
        }
        ::_exit(rc);
    }
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    for (;;) {
        int st = 0;
        pid_t r = ::waitpid(pid, &st, WNOHANG);
        if (r == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        if (std::chrono::steady_clock::now() > until) {
            ::kill(-pid, SIGKILL);
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &st, 0);
            return -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

void replace_with_fifo(const std::string& p) {
    fs::remove(p);
    REQUIRE(::mkfifo(p.c_str(), 0644) == 0);
}

}  // namespace

TEST_CASE("redteam: the good bundle verifies (baseline for the mutations)", "[redteam][bundle]") {
    test::TempDir t;
    std::string d = t / "b";
    bundle::Options o = test::make_sim_bundle(d);
    bundle::Summary s = bundle::verify_bundle(d, o);
    for (auto& c : s.checks) UNSCOPED_INFO(c.name << ": " << c.detail);
    CHECK(s.ok);
}

TEST_CASE("redteam: a FIFO in place of a bundle file fails verification instead of hanging", "[redteam][bundle]") {
    for (const char* f : {"evidence.json", "provenance.intoto.jsonl"}) {
        test::TempDir t;
        std::string d = t / "b";
        bundle::Options o = test::make_sim_bundle(d);
        replace_with_fifo(d + "/" + f);
        int rc = in_child_with_timeout([&] { return bundle::verify_bundle(d, o).ok ? 0 : 1; }, 10);
        INFO(f);
        CHECK(rc == 1);  // -1: still blocked in open(2) after 10 s
    }
}

TEST_CASE("redteam: bundle files that are symlinks out of the bundle are not followed", "[redteam][bundle]") {
    for (const char* f : {"evidence.json", "provenance.intoto.jsonl"}) {
        test::TempDir t;
        std::string d = t / "b";
        bundle::Options o = test::make_sim_bundle(d);
        // The real file lives outside OUT_DIR; the bundle only points at it.
        fs::rename(d + "/" + f, t / "elsewhere");
        fs::create_symlink(t / "elsewhere", d + "/" + f);
        bundle::Summary s = bundle::verify_bundle(d, o);
        INFO(f);
        CHECK_FALSE(s.ok);
        CHECK(s.failed() == "evidence");
        REQUIRE_FALSE(s.checks.empty());
        CHECK_THAT(s.checks.back().detail, ContainsSubstring("symbolic link"));
    }
}

TEST_CASE("redteam: kettle inspect on a bundle with a FIFO, /dev/zero or a symlink out ends promptly", "[redteam][cli]") {
    std::string kettle = std::string(KETTLE_BIN_DIR) + "/kettle";
    if (::access(kettle.c_str(), X_OK) != 0) SKIP("kettle binary not built");
    test::TempDir t;
    std::string d = t / "b";
    test::make_sim_bundle(d);
    write_file(d + "/status.json", std::string_view("{\"ok\":true}"));
    replace_with_fifo(d + "/build.log");
    fs::remove(d + "/status.json");
    fs::create_symlink("/dev/zero", d + "/status.json");
    write_file(t / "secret.json", std::string_view("{\"secret\":\"outside the bundle\"}"));
    fs::rename(d + "/evidence.json", t / "ev.json");
    fs::create_symlink(t / "secret.json", d + "/evidence.json");
    std::string out = t / "inspect.txt";
    int rc = in_child_with_timeout(
        [&] {
            std::string cmd = "'" + kettle + "' inspect '" + d + "' > '" + out + "' 2>&1";
            int st = std::system(cmd.c_str());
            return WIFEXITED(st) ? WEXITSTATUS(st) : 97;
        },
        20);
    CHECK(rc != -1);
    std::string text = to_string(read_file(out));
    INFO(text);
    CHECK_THAT(text, !ContainsSubstring("outside the bundle"));
    CHECK_THAT(text, ContainsSubstring("NOT A REGULAR FILE"));
}

namespace {

/// One raw 512-byte ustar header (independent of libarchive), checksum computed per POSIX.
std::string ustar(const std::string& name, std::uint64_t size, char type) {
    std::string h(512, '\0');
    std::memcpy(h.data(), name.data(), std::min<std::size_t>(name.size(), 100));
    std::snprintf(h.data() + 100, 8, "%07o", 0644);
    std::snprintf(h.data() + 108, 8, "%07o", 0);
    std::snprintf(h.data() + 116, 8, "%07o", 0);
    std::snprintf(h.data() + 124, 12, "%011llo", static_cast<unsigned long long>(size));
    std::snprintf(h.data() + 136, 12, "%011o", 0);
    h[156] = type;
    std::memcpy(h.data() + 257, "ustar\0" "00", 8);
    std::memset(h.data() + 148, ' ', 8);
    unsigned sum = 0;
    for (unsigned char c : h) sum += c;
    std::snprintf(h.data() + 148, 8, "%06o", sum);
    h[155] = ' ';
    return h;
}
std::string pad512(std::string s) {
    s.resize((s.size() + 511) / 512 * 512, '\0');
    return s;
}
/// A pax extended header ('x') carrying the given records, then the entry it applies to.
std::string pax(const std::vector<std::pair<std::string, std::string>>& kv) {
    std::string body;
    for (auto& [k, v] : kv) {
        std::string rec = " " + k + "=" + v + "\n";
        std::size_t n = rec.size() + 1;
        while (std::to_string(n).size() + rec.size() != n) ++n;
        body += std::to_string(n) + rec;
    }
    return ustar("PaxHeader", body.size(), 'x') + pad512(body);
}
void read_raw_output(const std::string& payload) {
    test::TempDir t;
    write_file(t / "out.img", test::output_envelope(payload));
    ::mkdir((t / "x").c_str(), 0755);
    read_output_disk(t / "out.img", t / "x");
}

}  // namespace

TEST_CASE("redteam: raw-tar tricks on the output disk are refused", "[redteam][output]") {
    const std::string status = R"({"version":1,"ok":true,"phase":"done"})";
    const std::string good = ustar("status.json", status.size(), '0') + pad512(status) + std::string(1024, '\0');
    read_raw_output(good);  // the hand-made tar itself is fine
    SECTION("pax path with ..") {
        std::string p = pax({{"path", "artifacts/../../escape"}}) + ustar("x", 1, '0') + pad512("x") + good;
        CHECK_THROWS_WITH(read_raw_output(p), ContainsSubstring(".."));
    }
    SECTION("pax size larger than the payload") {
        std::string p = pax({{"size", "99999999999"}}) + ustar("artifacts/big", 1, '0') + pad512("x") + good;
        CHECK_THROWS(read_raw_output(p));
    }
    SECTION("GNU sparse 1.0 entry") {
        std::string p = pax({{"GNU.sparse.major", "1"}, {"GNU.sparse.minor", "0"}, {"GNU.sparse.name", "artifacts/s"},
                             {"GNU.sparse.realsize", "1048576"}}) +
                        ustar("GNUSparseFile.0/s", 512, '0') + pad512("1\n0\n1\n") + good;
        CHECK_THROWS(read_raw_output(p));
    }
    SECTION("old GNU sparse type S with a hole") {
        std::string h = ustar("artifacts/s", 512, 'S');
        std::memcpy(h.data() + 257, "ustar  \0", 8);  // GNU magic
        std::snprintf(h.data() + 386, 12, "%011o", 1024);  // sparse[0].offset: a hole before the data
        std::snprintf(h.data() + 398, 12, "%011o", 512);   // sparse[0].numbytes
        std::snprintf(h.data() + 483, 12, "%011o", 1536);  // realsize
        std::memset(h.data() + 148, ' ', 8);
        unsigned sum = 0;
        for (unsigned char c : h) sum += c;
        std::snprintf(h.data() + 148, 8, "%06o", sum);
        h[155] = ' ';
        CHECK_THROWS_WITH(read_raw_output(h + pad512("x") + good), ContainsSubstring("sparse"));
    }
    SECTION("the same name twice via ./") {
        std::string p = ustar("artifacts/a", 1, '0') + pad512("a") + ustar("./artifacts/a", 1, '0') + pad512("b") + good;
        CHECK_THROWS_WITH(read_raw_output(p), ContainsSubstring("duplicate"));
    }
    SECTION("status.json twice (a second, forged status)") {
        std::string p = ustar("status.json", status.size(), '0') + pad512(status) + good;
        CHECK_THROWS_WITH(read_raw_output(p), ContainsSubstring("duplicate"));
    }
    SECTION("a GNU long name on a symlink entry") {
        // (A contiguous file, type 7, is a regular file to POSIX and libarchive: accepted as one.)
        std::string ln = "artifacts/link";
        CHECK_THROWS(read_raw_output(ustar("././@LongLink", ln.size() + 1, 'L') + pad512(ln + '\0') +
                                     ustar("x", 0, '2') + good));
    }
}

TEST_CASE("redteam: output disk directories count toward the member limit", "[redteam][output]") {
    test::TempDir t;
    test::TarBuilder tb;
    for (int i = 0; i < 50; ++i) tb.dir("d" + std::to_string(i));
    tb.file("status.json", R"({"version":1,"ok":true,"phase":"done"})");
    std::string payload = tb.finish();
    std::string disk = test::output_envelope(payload);
    write_file(t / "out.img", disk);
    OutputLimits lim;
    lim.max_members = 10;
    ::mkdir((t / "x").c_str(), 0755);
    CHECK_THROWS_WITH(read_output_disk(t / "out.img", t / "x", lim), ContainsSubstring("more than 10 members"));
    // Within the limit it reads.
    lim.max_members = 51;
    ::mkdir((t / "y").c_str(), 0755);
    CHECK(read_output_disk(t / "out.img", t / "y", lim).status.at("ok") == true);
}

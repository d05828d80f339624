// Input disk classes of issue 19: names that are not UTF-8 (refused, and every message about them stays valid
// UTF-8), sparse members made by GNU tar (named as such, not as "runs past the end"), repository links at any
// depth (commondir, gitdir, alternates), the files/ count, and ingest_stream (the ingest child's entry point).
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <fcntl.h>
#include <functional>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest_test_util.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/text.hpp"
#include "kettle/disk/format.hpp"

using namespace kettle;
using kettle::test::TarBuilder;
using kettle::test::TempDir;
using Catch::Matchers::ContainsSubstring;

namespace {

const std::string kReq = R"({"version":1,"argv":["/bin/sh"],"source_ref":"main"})";

std::string disk_with(const std::function<void(TarBuilder&)>& extra, const std::function<void(TarBuilder&)>& tc = {}) {
    TarBuilder t;
    t.file("request.json", kReq);
    t.dir("source/");
    t.file("source/HEAD", "ref: refs/heads/main\n");
    TarBuilder inner;
    inner.file("bin/sh", "#!", 0755);
    if (tc) tc(inner);
    t.file("toolchain.tar", inner.finish());
    extra(t);
    return t.finish();
}

/// The error message of ingesting `disk` ("" when it was accepted).
std::string ingest_error(const std::string& disk, const IngestLimits& lim = {}) {
    TempDir d;
    write_file(d / "disk.img", disk);
    ::mkdir((d / "out").c_str(), 0755);
    try {
        ingest_input_path(d / "disk.img", d / "out", lim);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("ingest refuses names that are not UTF-8, at every level, in a UTF-8 message", "[ingest][utf8]") {
    std::string long_name = "files/";
    for (int i = 0; i < 150; ++i) long_name += "\xC3\xA9";  // 300 bytes of "e acute", cut by the quote
    struct Case {
        const char* name;
        std::string disk;
        const char* expect;
    };
    std::vector<Case> cases = {
        {"an extra file", disk_with([](TarBuilder& t) { t.file("files/bad\xFF" "name", "x"); }), "not valid UTF-8"},
        {"a source file", disk_with([](TarBuilder& t) { t.file("source/refs/heads/\xC0\xAF", "x"); }), "not valid UTF-8"},
        {"a toolchain file", disk_with([](TarBuilder&) {}, [](TarBuilder& i) { i.file("lib/\xED\xA0\x80", "x"); }),
         "not valid UTF-8"},
        {"a toolchain symlink target", disk_with([](TarBuilder&) {}, [](TarBuilder& i) { i.symlink("l", "/x\xFE"); }),
         "symbolic link target"},
        {"a long multi-byte name with a control byte",
         disk_with([&](TarBuilder& t) { t.file(long_name + "\x01", "x"); }), "control byte"},
    };
    for (const auto& c : cases) {
        INFO("case: " << c.name);
        std::string err = ingest_error(c.disk);
        CHECK_THAT(err, ContainsSubstring(c.expect));
        CHECK(valid_utf8(err));
    }
    // A valid multi-byte name is accepted.
    CHECK(ingest_error(disk_with([](TarBuilder& t) { t.file("files/caf\xC3\xA9.txt", "x"); })).empty());
}

TEST_CASE("ingest refuses repository links at any depth, but not branches of those names", "[ingest][git]") {
    for (const char* bad : {"source/commondir", "source/gitdir", "source/worktrees/w/commondir",
                            "source/worktrees/w/gitdir", "source/modules/m/objects/info/alternates",
                            "source/objects/info/alternates", "source/objects/info/http-alternates"}) {
        INFO(bad);
        CHECK_THAT(ingest_error(disk_with([&](TarBuilder& t) { t.file(bad, "/work/in/rootfs\n"); })),
                   ContainsSubstring("commondir and gitdir files are not allowed"));
    }
    CHECK(ingest_error(disk_with([](TarBuilder& t) { t.file("source/refs/heads/commondir", std::string(40, 'a') + "\n"); }))
              .empty());
    CHECK(ingest_error(disk_with([](TarBuilder& t) { t.file("source/logs/refs/heads/gitdir", "x"); })).empty());
}

TEST_CASE("ingest names sparse members made by GNU tar as sparse", "[ingest][sparse]") {
    if (!test::have_tool("tar")) SKIP("GNU tar not installed");
    TempDir d;
    // A toolchain-less layout is enough: the sparse member is refused when its header is read.
    std::string setup = "set -e; cd '" + d.path + "'; mkdir -p src/source src/files; "
                        "printf '%s' '" + kReq + "' > src/request.json; echo 'ref: refs/heads/main' > src/source/HEAD; "
                        "truncate -s 4M src/files/holes; printf data | dd of=src/files/holes bs=1 seek=3000000 "
                        "conv=notrunc 2>/dev/null";
    test::run_host(setup);
    for (const char* format : {"gnu", "pax"}) {
        INFO("GNU tar --format=" << format << " --sparse");
        test::run_host("cd '" + d / "src" + "' && tar --format=" + format +
                       " --sparse --owner=0 --group=0 -cf ../disk.tar request.json source files");
        std::string disk = to_string(read_file(d / "disk.tar"));
        CHECK_THAT(ingest_error(disk), ContainsSubstring("files/holes: sparse entries are not supported"));
    }
}

TEST_CASE("ingest bounds the number of extra files", "[ingest]") {
    IngestLimits lim;
    lim.max_files = 3;
    std::string disk = disk_with([](TarBuilder& t) {
        for (int i = 0; i < 5; ++i) t.file("files/f" + std::to_string(i), "x");
    });
    CHECK_THAT(ingest_error(disk, lim), ContainsSubstring("more than 3 files under files/"));
}

TEST_CASE("ingest_stream reads a pipe and leaves the device digest to its caller", "[ingest]") {
    std::string disk = disk_with([](TarBuilder& t) { t.file("files/a", "hello"); });
    disk.resize((disk.size() + 4095) / 4096 * 4096, '\0');
    TempDir d;
    write_file(d / "disk.img", disk);
    ::mkdir((d / "a").c_str(), 0755);
    ::mkdir((d / "b").c_str(), 0755);
    IngestResult whole = ingest_input_path(d / "disk.img", d / "a");
    int p[2];
    REQUIRE(::pipe(p) == 0);
    pid_t w = ::fork();
    if (w == 0) {  // the writer: the whole disk, then end of file
        ::close(p[0]);
        std::size_t off = 0;
        while (off < disk.size()) {
            ssize_t n = ::write(p[1], disk.data() + off, disk.size() - off);
            if (n <= 0) ::_exit(1);
            off += static_cast<std::size_t>(n);
        }
        ::_exit(0);
    }
    ::close(p[1]);
    IngestResult streamed = ingest_stream(p[0], disk.size(), d / "b");
    ::close(p[0]);
    int st = 0;
    ::waitpid(w, &st, 0);
    CHECK(streamed.device_sha256.empty());
    CHECK(streamed.request_member.sha256 == whole.request_member.sha256);
    CHECK(streamed.toolchain.sha256 == whole.toolchain.sha256);
    REQUIRE(streamed.files.size() == 1);
    CHECK(streamed.files[0].sha256 == whole.files[0].sha256);
    CHECK(streamed.source_digest == whole.source_digest);
    CHECK(hex(whole.device_sha256) == test::sha256sum(d / "disk.img"));
}

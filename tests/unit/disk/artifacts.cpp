// Artifact collection: globs, regular files only, never through links leaving the workspace.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include "guest_test_util.hpp"
#include "kettle/disk/artifacts.hpp"
#include "kettle/core/error.hpp"

using namespace kettle;
using kettle::test::TempDir;
using Catch::Matchers::ContainsSubstring;

TEST_CASE("glob_match segments and **", "[artifacts]") {
    CHECK(glob_match("out/*.bin", "out/a.bin"));
    CHECK_FALSE(glob_match("out/*.bin", "out/sub/a.bin"));
    CHECK(glob_match("out/**/*.bin", "out/a.bin"));
    CHECK(glob_match("out/**/*.bin", "out/x/y/a.bin"));
    CHECK(glob_match("**", "a/b/c"));
    CHECK(glob_match("a?c", "abc"));
    CHECK_FALSE(glob_match("a?c", "a/c"));
    CHECK(glob_match("[ab].txt", "b.txt"));
    CHECK_FALSE(glob_match("[ab].txt", "c.txt"));
    CHECK_FALSE(glob_match("*.bin", "dir/a.bin"));
}

TEST_CASE("collect_artifacts takes regular files only and never follows links", "[artifacts]") {
    TempDir outside;
    write_file(outside / "secret.bin", "secret");
    TempDir d;
    std::string src = d / "src";
    ::mkdir(src.c_str(), 0755);
    ::mkdir((src + "/out").c_str(), 0755);
    ::mkdir((src + "/out/sub").c_str(), 0755);
    write_file(src + "/out/a.bin", "aaaa");
    write_file(src + "/out/sub/b.bin", "bb");
    write_file(src + "/out/c.txt", "c");
    REQUIRE(::symlink((outside / "secret.bin").c_str(), (src + "/out/link.bin").c_str()) == 0);
    REQUIRE(::symlink(outside.path.c_str(), (src + "/out/escape").c_str()) == 0);
    REQUIRE(::mkfifo((src + "/out/fifo.bin").c_str(), 0644) == 0);

    auto arts = collect_artifacts(src, {"out/**/*.bin"});
    REQUIRE(arts.size() == 2);
    CHECK(arts[0].name == "out/a.bin");
    CHECK(arts[0].size == 4);
    CHECK(hex(arts[0].sha256) == test::sha256sum(src + "/out/a.bin"));
    CHECK(arts[1].name == "out/sub/b.bin");
    CHECK(arts[1].path == src + "/out/sub/b.bin");

    // Patterns that only reach a symlink, a FIFO, or a directory behind a symlink match nothing.
    CHECK_THROWS_WITH(collect_artifacts(src, {"out/link.bin"}), ContainsSubstring("matched no regular file"));
    CHECK_THROWS_WITH(collect_artifacts(src, {"out/fifo.bin"}), ContainsSubstring("matched no regular file"));
    CHECK_THROWS_WITH(collect_artifacts(src, {"out/escape/*"}), ContainsSubstring("matched no regular file"));
    CHECK_THROWS_WITH(collect_artifacts(src, {"../*"}), ContainsSubstring("\"..\""));
    CHECK_THROWS_WITH(collect_artifacts(src, {"/etc/passwd"}), ContainsSubstring("must be relative"));

    // Overlapping patterns give each file once.
    auto twice = collect_artifacts(src, {"out/a.bin", "out/*.bin"});
    CHECK(twice.size() == 1);

    ArtifactLimits lim;
    lim.max_files = 1;
    CHECK_THROWS_WITH(collect_artifacts(src, {"**/*.bin"}, lim), ContainsSubstring("more than 1 artifacts"));
    ArtifactLimits lim2;
    lim2.max_total_bytes = 5;
    CHECK_THROWS_WITH(collect_artifacts(src, {"**/*.bin"}, lim2), ContainsSubstring("total size over the limit"));
}

TEST_CASE("collect_artifacts refuses a workspace root that is a symlink", "[artifacts]") {
    TempDir d;
    ::mkdir((d / "real").c_str(), 0755);
    write_file(d / "real/x", "x");
    REQUIRE(::symlink((d / "real").c_str(), (d / "src").c_str()) == 0);
    CHECK_THROWS_WITH(collect_artifacts(d / "src", {"x"}), ContainsSubstring("cannot open"));
}

TEST_CASE("gather_artifacts records a link to a regular file inside the workspace, skips every other link",
          "[artifacts]") {
    TempDir outside;
    write_file(outside / "secret.so", "secret");
    TempDir d;
    std::string src = d / "src";
    ::mkdir(src.c_str(), 0755);
    ::mkdir((src + "/build").c_str(), 0755);
    write_file(src + "/build/libx.so.1.2", "library bytes");
    auto ln = [&](const std::string& target, const std::string& name) {
        REQUIRE(::symlink(target.c_str(), (src + "/build/" + name).c_str()) == 0);
    };
    ln("libx.so.1.2", "libx.so.1");           // the usual chain: libx.so -> libx.so.1 -> libx.so.1.2
    ln("libx.so.1", "libx.so");
    ln("../build/./libx.so.1.2", "liby.so");  // relative, through "..", still inside
    ln(outside / "secret.so", "abs.so");      // absolute: refused (RESOLVE_BENEATH)
    const std::string out_dir = outside.path;
    ln("../../.." + out_dir.substr(out_dir.rfind('/')) + "/secret.so", "up.so");  // escapes by ".."
    ln("loop2.so", "loop1.so");               // a loop
    ln("loop1.so", "loop2.so");
    ln(".", "dir.so");                        // a directory
    ln("missing", "dangling.so");
    ln("/proc/self/environ", "magic.so");     // absolute (and a magic link)
    REQUIRE(::mkfifo((src + "/build/fifo").c_str(), 0644) == 0);
    ln("fifo", "fifo.so");                    // a FIFO: must not block the walk

    ArtifactCollection c = gather_artifacts(src, {"build/*.so", "build/*.a"});
    REQUIRE(c.artifacts.size() == 2);
    CHECK(c.artifacts[0].name == "build/libx.so");
    CHECK(c.artifacts[0].link_target == "build/libx.so.1.2");
    CHECK(c.artifacts[0].path == src + "/build/libx.so.1.2");
    CHECK(c.artifacts[0].size == 13);
    CHECK(hex(c.artifacts[0].sha256) == test::sha256sum(src + "/build/libx.so.1.2"));
    CHECK(c.artifacts[1].name == "build/liby.so");
    CHECK(c.artifacts[1].link_target == "build/libx.so.1.2");
    REQUIRE(c.unmatched == std::vector<std::string>{"build/*.a"});
    CHECK_THAT(unmatched_warning("build/*.a"), ContainsSubstring("\"build/*.a\" matched no regular file"));
    std::string all;
    for (const auto& w : c.warnings) all += w + "\n";
    CHECK(c.warnings.size() == 8);  // loop1 and loop2 each
    CHECK_THAT(all, ContainsSubstring("\"build/abs.so\" skipped: its target is absolute or leaves the workspace"));
    CHECK_THAT(all, ContainsSubstring("\"build/up.so\" skipped: its target is absolute or leaves the workspace"));
    CHECK_THAT(all, ContainsSubstring("\"build/magic.so\" skipped: its target is absolute"));
    CHECK_THAT(all, ContainsSubstring("\"build/loop1.so\" skipped: it is part of a loop"));
    CHECK_THAT(all, ContainsSubstring("\"build/dir.so\" skipped: its target is a directory"));
    CHECK_THAT(all, ContainsSubstring("\"build/dangling.so\" skipped: its target does not exist"));
    CHECK_THAT(all, ContainsSubstring("\"build/fifo.so\" skipped: its target is not a regular file"));

    // collect_artifacts (--require-artifacts) still fails on the pattern that recorded nothing.
    CHECK_THROWS_WITH(collect_artifacts(src, {"build/*.so", "build/*.a"}),
                      ContainsSubstring("pattern \"build/*.a\" matched no regular file"));
    // A pattern that reaches only refused links records nothing.
    CHECK(gather_artifacts(src, {"build/abs.so"}).unmatched.size() == 1);
}

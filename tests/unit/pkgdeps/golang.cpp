// Go: go.sum parsing and the h1: dirhash. Known answers: the h1: values of golang.org/x/mod v0.7.0/go.mod and
// golang.org/x/sync v0.1.0/go.mod in golang.org/x/tools v0.5.0's go.sum, over the go.mod files Debian packages
// (golang-golang-x-mod-dev 0.7.0-1, golang-golang-x-sync-dev 0.1.0-1; tests/data/README.md). The module zips of
// proxy.golang.org are out of reach here: the zip rules are checked on hand-made zips.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <fstream>
#include <unistd.h>

#include "test_support.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/pkgdeps/golang.hpp"

using namespace kettle;
using namespace kettle::pkgdeps;
using Catch::Matchers::ContainsSubstring;

namespace {

std::string slurp(const std::string& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

const GoSumEntry& find(const std::vector<GoSumEntry>& v, const std::string& m, const std::string& ver, bool gomod) {
    for (const auto& e : v)
        if (e.module == m && e.version == ver && e.go_mod == gomod) return e;
    FAIL("go.sum has no " << m << " " << ver);
    return v.front();
}

/// A zip of (name, content) entries, written by libarchive; returns an fd to it.
int zip_fd(const kettle::test::TempDir& d, const std::vector<std::pair<std::string, std::string>>& files,
           bool symlink = false) {
    std::string p = d.path + "/m.zip";
    struct archive* a = archive_write_new();
    archive_write_set_format_zip(a);
    archive_write_open_filename(a, p.c_str());
    for (const auto& [n, c] : files) {
        struct archive_entry* e = archive_entry_new();
        archive_entry_set_pathname(e, n.c_str());
        archive_entry_set_filetype(e, symlink ? AE_IFLNK : AE_IFREG);
        if (symlink) archive_entry_set_symlink(e, "/etc/passwd");
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, symlink ? 0 : static_cast<la_int64_t>(c.size()));
        archive_write_header(a, e);
        if (!symlink) archive_write_data(a, c.data(), c.size());
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
    return ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
}

}  // namespace

TEST_CASE("go: h1 of go.mod files equals the real go.sum (dirhash Hash1)") {
    auto sum = parse_go_sum(slurp(kettle::test::fixture("go/x-tools-v0.5.0.go.sum")));
    CHECK(sum.size() == 34);
    CHECK(gomod_h1(slurp(kettle::test::fixture("go/x-mod-v0.7.0/go.mod"))) ==
          find(sum, "golang.org/x/mod", "v0.7.0", true).h1);
    CHECK(gomod_h1(slurp(kettle::test::fixture("go/x-sync-v0.1.0/go.mod"))) ==
          find(sum, "golang.org/x/sync", "v0.1.0", true).h1);
    CHECK(gomod_h1("module x\n") != find(sum, "golang.org/x/sync", "v0.1.0", true).h1);
    CHECK(golang_purl("golang.org/x/mod", "v0.7.0") == "pkg:golang/golang.org/x/mod@v0.7.0");
}

TEST_CASE("go.sum hostile lines are refused") {
    CHECK_THROWS_WITH(parse_go_sum("a v1 h2:AAAA\n"), ContainsSubstring("is not h1:"));
    CHECK_THROWS_WITH(parse_go_sum("a v1 h1:AAAA\n"), ContainsSubstring("not 32 bytes"));
    std::string ok = "a v1 h1:" + std::string(43, 'A') + "=\n";
    CHECK(parse_go_sum(ok).size() == 1);
    CHECK_THROWS_WITH(parse_go_sum(ok + ok), ContainsSubstring("listed twice"));
    CHECK_THROWS_WITH(parse_go_sum("a\x01 v1 h1:x\n"), ContainsSubstring("plain printable"));
    CHECK_THROWS_WITH(parse_go_sum("a v1\n"), ContainsSubstring("not \"<module>"));
}

TEST_CASE("go: a module zip's h1 covers every file under module@version/; hostile zips are refused") {
    kettle::test::TempDir d;
    std::string gomod = "module example.com/m\n", src = "package m\n";
    int fd = zip_fd(d, {{"example.com/m@v1.0.0/go.mod", gomod}, {"example.com/m@v1.0.0/m.go", src}});
    // dirhash's summary lines, written out by hand from its definition.
    std::string lines = hex(sha256(gomod)) + "  example.com/m@v1.0.0/go.mod\n" + hex(sha256(src)) +
                        "  example.com/m@v1.0.0/m.go\n";
    CHECK(module_zip_h1(fd, "example.com/m", "v1.0.0") == sha256(lines));
    ::close(fd);
    fd = zip_fd(d, {{"example.com/m@v1.0.0/../../x", "x"}});
    CHECK_THROWS_WITH(module_zip_h1(fd, "example.com/m", "v1.0.0"), ContainsSubstring("\"..\" in path"));
    ::close(fd);
    fd = zip_fd(d, {{"other@v1.0.0/m.go", "x"}});
    CHECK_THROWS_WITH(module_zip_h1(fd, "example.com/m", "v1.0.0"), ContainsSubstring("not under"));
    ::close(fd);
    fd = zip_fd(d, {{"example.com/m@v1.0.0/a", "x"}, {"example.com/m@v1.0.0/a", "y"}});
    CHECK_THROWS_WITH(module_zip_h1(fd, "example.com/m", "v1.0.0"), ContainsSubstring("appears twice"));
    ::close(fd);
    fd = zip_fd(d, {{"example.com/m@v1.0.0/l", ""}}, true);
    CHECK_THROWS_WITH(module_zip_h1(fd, "example.com/m", "v1.0.0"), ContainsSubstring("not a regular file"));
    ::close(fd);
}

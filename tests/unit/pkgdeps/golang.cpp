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

// Zips made byte by byte, so that the local file header and the central directory (APPNOTE.TXT 4.3.7 and 4.3.12)
// can disagree. The go command extracts a module zip with archive/zip, which takes every entry's name, sizes and
// CRC-32 from the central directory (and lists every central record), without hashing it again (it trusts the
// .ziphash); libarchive's seekable reader takes the name from the local header, keeps the local header's sizes when
// they disagree with the central directory (with ARCHIVE_WARN), and drops a second central record that points at the
// same local header. So module_zip_h1 refuses a warning, and the guest hands the go command its own repacked zip.
namespace {

void put16(std::string& s, unsigned v) {
    for (int i = 0; i < 2; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put32(std::string& s, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
/// CRC-32 (ISO-HDLC, the one zip uses), bit by bit.
std::uint32_t crc32_of(std::string_view d) {
    std::uint32_t c = 0xffffffffu;
    for (unsigned char b : d) {
        c ^= b;
        for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return ~c;
}
/// A local file header (APPNOTE 4.3.7) of a stored (method 0) entry.
std::string local_header(const std::string& name, std::uint32_t crc, std::uint32_t size) {
    std::string s = "PK\x03\x04";
    put16(s, 20), put16(s, 0), put16(s, 0), put16(s, 0), put16(s, 0x21);  // version, flags, stored, time, 1980-01-01
    put32(s, crc), put32(s, size), put32(s, size);
    put16(s, static_cast<unsigned>(name.size())), put16(s, 0);
    return s + name;
}
/// A central directory header (APPNOTE 4.3.12): made by Unix, regular file 0644, stored.
std::string central_header(const std::string& name, std::uint32_t crc, std::uint32_t size, std::uint32_t offset) {
    std::string s = "PK\x01\x02";
    put16(s, 0x031e), put16(s, 20), put16(s, 0), put16(s, 0), put16(s, 0), put16(s, 0x21);
    put32(s, crc), put32(s, size), put32(s, size);
    put16(s, static_cast<unsigned>(name.size())), put16(s, 0), put16(s, 0), put16(s, 0), put16(s, 0);
    put32(s, 0100644u << 16), put32(s, offset);
    return s + name;
}
/// Local part + central directory (`count` records) + end of central directory record (APPNOTE 4.3.16).
std::string finish_zip(const std::string& body, const std::string& cd, unsigned count) {
    std::string e = "PK\x05\x06";
    put16(e, 0), put16(e, 0), put16(e, count), put16(e, count);
    put32(e, static_cast<std::uint32_t>(cd.size())), put32(e, static_cast<std::uint32_t>(body.size())), put16(e, 0);
    return body + cd + e;
}
/// `bytes` written to a new file in `d`; returns its path.
std::string bytes_fd_path(const kettle::test::TempDir& d, const std::string& bytes) {
    std::string p = d.path + "/crafted-" + std::to_string(bytes.size()) + ".zip";
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
}
int bytes_fd(const kettle::test::TempDir& d, const std::string& bytes) {
    return ::open(bytes_fd_path(d, bytes).c_str(), O_RDONLY | O_CLOEXEC);
}

/// True when module_zip_h1 takes the zip in `fd` for the honest module whose only file is `name` with `content`,
/// i.e. returns the h1 go.sum pins for it (throwing, or returning another h1, both refuse the zip).
bool taken_for_honest(int fd, const std::string& name, const std::string& content, int repack_fd = -1) {
    const Bytes honest = sha256(hex(sha256(content)) + "  " + name + "\n");  // dirhash's one summary line
    try {
        return module_zip_h1(fd, "example.com/m", "v1.0.0", {}, repack_fd) == honest;
    } catch (const Error&) {
        return false;
    }
}

/// (name, uncompressed size) of every central directory record of the zip `z`, read as archive/zip reads it: the
/// end of central directory record (APPNOTE 4.3.16, no comment) gives the directory's offset and record count.
std::vector<std::pair<std::string, std::uint32_t>> central_directory(const std::string& z) {
    auto u16 = [&](std::size_t o) { return unsigned(std::uint8_t(z.at(o))) | unsigned(std::uint8_t(z.at(o + 1))) << 8; };
    auto u32 = [&](std::size_t o) { return std::uint32_t(u16(o)) | std::uint32_t(u16(o + 2)) << 16; };
    REQUIRE(z.size() >= 22);
    const std::size_t eocd = z.size() - 22;
    REQUIRE(z.compare(eocd, 4, "PK\x05\x06") == 0);
    std::vector<std::pair<std::string, std::uint32_t>> out;
    std::size_t o = u32(eocd + 16);
    for (unsigned i = 0; i < u16(eocd + 10); ++i) {
        REQUIRE(z.compare(o, 4, "PK\x01\x02") == 0);
        const std::size_t n = u16(o + 28), x = u16(o + 30), c = u16(o + 32);
        out.emplace_back(z.substr(o + 46, n), u32(o + 24));
        o += 46 + n + x + c;
    }
    return out;
}

}  // namespace

TEST_CASE("go: a module zip whose central directory gives a longer entry than its local header is refused") {
    // The local header covers "package m\n" (the module go.sum pins); the central directory's size and CRC-32 also
    // cover the bytes after it, which the go command would compile as part of m.go. (Python's zipfile, another
    // central-directory reader, reads the longer content from this same layout.)
    kettle::test::TempDir d;
    const std::string name = "example.com/m@v1.0.0/m.go", legit = "package m\n",
                      evil = legit + "func init() { panic(\"not the module go.sum pins\") }\n";
    const std::string body = local_header(name, crc32_of(legit), static_cast<std::uint32_t>(legit.size())) + evil;
    const std::string cd = central_header(name, crc32_of(evil), static_cast<std::uint32_t>(evil.size()), 0);
    int fd = bytes_fd(d, finish_zip(body, cd, 1));
    CHECK_FALSE(taken_for_honest(fd, name, legit));
    ::close(fd);
}

TEST_CASE("go: the go command gets the repacked zip: a central directory naming other files never reaches it") {
    kettle::test::TempDir d;
    const std::string name = "example.com/m@v1.0.0/m.go", other = "example.com/m@v1.0.0/zz_init.go",
                      src = "package m\n";
    const auto crc = crc32_of(src);
    const auto size = static_cast<std::uint32_t>(src.size());
    const std::string body = local_header(name, crc, size) + src;
    const std::vector<std::pair<std::string, std::uint32_t>> hashed = {{name, size}};
    // (a) the only central record names another file; (b) two central records at one local header. Either way
    // archive/zip would extract zz_init.go from the original; from the repacked zip it gets m.go alone, the file
    // whose bytes were hashed.
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"renamed", finish_zip(body, central_header(other, crc, size, 0), 1)},
        {"two records", finish_zip(body, central_header(name, crc, size, 0) + central_header(other, crc, size, 0), 2)}};
    for (const auto& [label, zip] : cases) {
        INFO(label);
        const std::string orig = bytes_fd_path(d, zip), repacked = d.path + "/repacked-" + std::to_string(zip.size()) + ".zip";
        CHECK(central_directory(zip).back().first == other);
        int fd = ::open(orig.c_str(), O_RDONLY | O_CLOEXEC);
        int out = ::open(repacked.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        REQUIRE((fd >= 0 && out >= 0));
        const bool taken = taken_for_honest(fd, name, src, out);
        ::close(fd);
        ::close(out);
        if (taken) CHECK(central_directory(slurp(repacked)) == hashed);
    }
}

TEST_CASE("go: a repacked honest zip lists the same files with the same h1") {
    kettle::test::TempDir d;
    const std::vector<std::pair<std::string, std::string>> files = {
        {"example.com/m@v1.0.0/go.mod", "module example.com/m\n"}, {"example.com/m@v1.0.0/a/b.go", "package b\n"},
        {"example.com/m@v1.0.0/m.go", "package m\n"}};
    int fd = zip_fd(d, files);
    const std::string repacked = d.path + "/repacked.zip";
    int out = ::open(repacked.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE((fd >= 0 && out >= 0));
    const Bytes h1 = module_zip_h1(fd, "example.com/m", "v1.0.0", {}, out);
    ::close(fd);
    ::close(out);
    std::vector<std::pair<std::string, std::uint32_t>> want;
    for (const auto& [n, c] : files) want.emplace_back(n, static_cast<std::uint32_t>(c.size()));
    CHECK(central_directory(slurp(repacked)) == want);
    int again = ::open(repacked.c_str(), O_RDONLY | O_CLOEXEC);
    CHECK(module_zip_h1(again, "example.com/m", "v1.0.0") == h1);
    ::close(again);
}

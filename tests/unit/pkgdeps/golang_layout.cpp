// Go modules end to end in the guest's check (verify_and_lay_out "go"). Known answers: tests/data/go/app/go.sum was
// written by the real go command (Debian golang-go 1.19, `go mod tidy` over the file:// proxy that
// tests/data/go/go_proxy.py makes of tests/data/go/modules; tests/data/README.md): the h1 of every module zip and
// go.mod here must equal what Go itself computed. The zips below are written by libarchive, not by Go or Python:
// h1 depends on the file names and contents only, never on the zip's own bytes.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <unistd.h>

#include "test_support.hpp"
#include "kettle/core/base64.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/disk/parser_reply.hpp"
#include "kettle/pkgdeps/golang.hpp"
#include "kettle/verify/policy.hpp"

using namespace kettle;
using namespace kettle::pkgdeps;
using Catch::Matchers::ContainsSubstring;
namespace fs = std::filesystem;

namespace {

std::string slurp(const std::string& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

void spit(const std::string& p, const std::string& text) {
    fs::create_directories(fs::path(p).parent_path());
    std::ofstream(p, std::ios::binary) << text;
}

std::string module_of(const std::string& gomod) {
    auto at = gomod.find("module ") + 7;
    return gomod.substr(at, gomod.find('\n', at) - at);
}

/// Write the zip of the module directory `dir` ("<escaped>@<version>") to `out`: every file under
/// "<module path>@<version>/", the module path read from its go.mod.
void zip_module(const fs::path& dir, const std::string& out, const std::string& prefix_override = "") {
    std::string version = dir.filename().string().substr(dir.filename().string().find('@') + 1);
    std::string prefix = prefix_override.empty() ? module_of(slurp((dir / "go.mod").string())) + "@" + version + "/"
                                                 : prefix_override;
    struct archive* a = archive_write_new();
    archive_write_set_format_zip(a);
    archive_write_open_filename(a, out.c_str());
    for (const auto& f : fs::recursive_directory_iterator(dir)) {
        if (!f.is_regular_file()) continue;
        std::string content = slurp(f.path().string());
        struct archive_entry* e = archive_entry_new();
        archive_entry_set_pathname(e, (prefix + fs::relative(f.path(), dir).string()).c_str());
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, static_cast<la_int64_t>(content.size()));
        archive_write_header(a, e);
        archive_write_data(a, content.data(), content.size());
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
}

/// A checkout holding the app's go.mod and go.sum, and the deps/go/ files the host would send for it.
struct GoFixture {
    kettle::test::TempDir d;
    std::string src = d.path + "/src", pkgs = d.path + "/pkgs";
    std::vector<GoSumEntry> sum;
    GoFixture() {
        std::string app = kettle::test::fixture("go/app");
        spit(src + "/go.mod", slurp(app + "/go.mod"));
        spit(src + "/go.sum", slurp(app + "/go.sum"));
        sum = parse_go_sum(slurp(src + "/go.sum"));
        fs::create_directories(pkgs);
        std::map<std::string, fs::path> dirs;  // "module@version" -> module directory
        for (const auto& f : fs::recursive_directory_iterator(kettle::test::fixture("go/modules")))
            if (f.is_directory() && fs::exists(f.path() / "go.mod"))
                dirs[module_of(slurp((f.path() / "go.mod").string())) + "@" +
                     f.path().filename().string().substr(f.path().filename().string().find('@') + 1)] = f.path();
        for (const auto& e : sum) {
            const fs::path& dir = dirs.at(e.module + "@" + e.version);
            if (e.go_mod) spit(pkgs + "/" + go_member_name(e), slurp((dir / "go.mod").string()));
            else zip_module(dir, pkgs + "/" + go_member_name(e));
        }
    }
    const GoSumEntry& entry(const std::string& module, bool go_mod) const {
        for (const auto& e : sum)
            if (e.module == module && e.go_mod == go_mod) return e;
        throw Error("no entry");
    }
};

}  // namespace

TEST_CASE("go: EscapePath of golang.org/x/mod/module (upper case as !lower)") {
    // The example of https://go.dev/ref/mod#module-cache ("github.com/Azure" is stored as "github.com/!azure").
    CHECK(go_escape("github.com/Azure/azure-sdk-for-go") == "github.com/!azure/azure-sdk-for-go");
    CHECK(go_escape("v1.0.0-RC1") == "v1.0.0-!r!c1");
    CHECK_THROWS_WITH(go_escape("example.com/a!b"), ContainsSubstring("holds '!'"));
    CHECK_NOTHROW(check_module_path("example.com/Upper/caps"));
    CHECK_THROWS_WITH(check_module_path("example.com/../x"), ContainsSubstring("begins or ends with '.'"));
    CHECK_THROWS_WITH(check_module_path("/etc"), ContainsSubstring("empty element"));
    CHECK_THROWS_WITH(check_module_path("a/b\\c"), ContainsSubstring("holds the byte"));
    CHECK_THROWS_WITH(check_module_version("m", "v1/../../x"), ContainsSubstring("is not 1..128 bytes"));
}

TEST_CASE("go: the zips and go.mod files match the h1 the go command wrote; the module cache is laid out") {
    GoFixture f;
    REQUIRE(f.sum.size() == 6);
    VerifiedSet v = verify_and_lay_out("go", f.src, f.pkgs);
    CHECK(v.ecosystem == "go");
    CHECK(v.lockfile == "go.sum");
    CHECK(v.lockfile_sha256 == sha256(slurp(f.src + "/go.sum")));
    CHECK(v.files == 6);
    REQUIRE(v.packages.size() == 6);
    // Sorted purls; the module path keeps its case (Go paths are case-sensitive), the go.mod line is the subpath.
    CHECK(v.packages[0].purl == "pkg:golang/example.com/Upper/caps@v0.2.0");
    CHECK(v.packages[1].purl == "pkg:golang/example.com/Upper/caps@v0.2.0#go.mod");
    CHECK(v.packages[2].purl == "pkg:golang/example.com/greet@v1.0.0");
    CHECK(v.packages[0].alg == "dirHash");
    CHECK(v.packages[0].hex == hex(f.entry("example.com/Upper/caps", false).h1));
    const std::string at = f.src + "/.kettle-gomodcache/cache/download/example.com/!upper/caps/@v/";
    CHECK(slurp(at + "v0.2.0.ziphash") == "h1:DY2FxcfSJHvczeqNwgjI2xICZV6SS+EOPE/rNuPpdYs=");
    CHECK(slurp(at + "v0.2.0.mod") == slurp(kettle::test::fixture("go/modules/example.com/!upper/caps@v0.2.0/go.mod")));
    // The zip there is the guest's repack of the one on the disk: other bytes, the same files, so the same h1.
    {
        int z = ::open((at + "v0.2.0.zip").c_str(), O_RDONLY | O_CLOEXEC);
        REQUIRE(z >= 0);
        CHECK(base64_encode(module_zip_h1(z, "example.com/Upper/caps", "v0.2.0")) ==
              "DY2FxcfSJHvczeqNwgjI2xICZV6SS+EOPE/rNuPpdYs=");
        ::close(z);
    }
    CHECK(slurp(at + "list") == "v0.2.0\n");
    CHECK(slurp(at + "v0.2.0.info") == "{\"Version\":\"v0.2.0\"}\n");
    CHECK(fs::exists(f.src + "/.kettle-gomodcache/cache/download/example.com/num/@v/v1.1.0.zip"));
}

TEST_CASE("go: missing, extra, wrong and lying inputs fail the deps phase naming the module") {
    SECTION("missing") {
        GoFixture f;
        fs::remove(f.pkgs + "/" + go_member_name(f.entry("example.com/greet", false)));
        CHECK_THROWS_WITH(verify_and_lay_out("go", f.src, f.pkgs),
                          ContainsSubstring("missing module example.com/greet@v1.0.0 (zip)"));
    }
    SECTION("extra") {
        GoFixture f;
        spit(f.pkgs + "/h1-" + std::string(64, '0') + ".zip", "x");
        CHECK_THROWS_WITH(verify_and_lay_out("go", f.src, f.pkgs), ContainsSubstring("extra package file"));
    }
    SECTION("wrong bytes under the right name") {
        GoFixture f;
        std::string caps = f.pkgs + "/" + go_member_name(f.entry("example.com/Upper/caps", true));
        spit(caps, slurp(caps) + "\nrequire example.com/evil v1.0.0\n");
        CHECK_THROWS_WITH(verify_and_lay_out("go", f.src, f.pkgs),
                          ContainsSubstring("module example.com/Upper/caps@v0.2.0 (go.mod): its file's h1:"));
    }
    SECTION("a zip whose entries are not under module@version/") {
        GoFixture f;
        zip_module(kettle::test::fixture("go/modules/example.com/num@v1.1.0"),
                   f.pkgs + "/" + go_member_name(f.entry("example.com/num", false)), "example.com/evil@v1.1.0/");
        CHECK_THROWS_WITH(verify_and_lay_out("go", f.src, f.pkgs), ContainsSubstring("is not under example.com/num@v1.1.0/"));
    }
    SECTION("a go.sum that lies (another h1 for greet)") {
        GoFixture f;
        std::string s = slurp(f.src + "/go.sum");
        std::string good = "HzSs25KNOhyaYTgTuOMR0qRxb13NnOK/pB2gF1o1VUo=";
        s.replace(s.find(good), good.size(), base64_encode(sha256(std::string("lie"))));
        spit(f.src + "/go.sum", s);
        CHECK_THROWS_WITH(verify_and_lay_out("go", f.src, f.pkgs), ContainsSubstring("example.com/greet@v1.0.0"));
    }
    SECTION("a go.sum line with a traversing module path") {
        GoFixture f;
        spit(f.src + "/go.sum", "../../etc v1.0.0 h1:" + base64_encode(sha256(std::string("x"))) + "\n");
        CHECK_THROWS_WITH(verify_and_lay_out("go", f.src, f.pkgs), ContainsSubstring("begins or ends with '.'"));
    }
    SECTION("a commit that already holds the module cache directory") {
        GoFixture f;
        fs::create_directories(f.src + "/.kettle-gomodcache");
        CHECK_THROWS_WITH(verify_and_lay_out("go", f.src, f.pkgs), ContainsSubstring("already holds .kettle-gomodcache"));
    }
    SECTION("go.sum missing from the checkout, or a link") {
        GoFixture f;
        fs::remove(f.src + "/go.sum");
        fs::create_symlink("/etc/passwd", f.src + "/go.sum");
        CHECK_THROWS_WITH(verify_and_lay_out("go", f.src, f.pkgs), ContainsSubstring("deps: go: go.sum"));
    }
}

TEST_CASE("deps reply: a Go dirHash package survives the record") {
    std::vector<DepLockfile> locks{{"go", "go.sum", sha256(std::string("sum")), 1, 10}};
    std::vector<DepPackage> pk{{"pkg:golang/example.com/Upper/caps@v0.2.0#go.mod", "dirHash", std::string(64, 'b')}};
    ParserReply r = decode_parser_reply(encode_deps_reply(locks, pk), ReplyKind::deps);
    REQUIRE(r.ok);
    REQUIRE(r.packages.size() == 1);
    CHECK(r.packages[0].alg == "dirHash");
    CHECK(r.packages[0].purl == pk[0].purl);
    CHECK(r.packages[0].hex == pk[0].hex);
}

TEST_CASE("policy packages: Go purls, v-prefixed versions and the go.mod subpath") {
    Json deps = Json::array({Json{{"name", "lockfile/go"}, {"uri", "go.sum"}, {"digest", {{"sha256", std::string(64, 'e')}}}},
                             Json{{"uri", "pkg:golang/example.com/num@v1.10.0"}, {"digest", {{"dirHash", "ab"}}}},
                             Json{{"uri", "pkg:golang/example.com/num@v1.10.0#go.mod"}, {"digest", {{"dirHash", "cd"}}}}});
    auto check = [&](const std::string& policy) {
        bundle::Policy p = bundle::parse_policy(policy);
        return bundle::check_package_rules(deps, p.require_packages, p.forbid_packages);
    };
    // v1.10.0 > v1.9.0 numerically (a plain string comparison would say otherwise).
    CHECK_NOTHROW(check(R"({"packages":{"require":[{"purl":"pkg:golang/example.com/num","version":">v1.9.0"}]}})"));
    CHECK_NOTHROW(check(R"({"packages":{"require":[{"purl":"pkg:golang/example.com/num","digest":"dirHash:AB"}]}})"));
    CHECK_THROWS_WITH(check(R"({"packages":{"forbid":[{"purl":"pkg:golang/example.com/num","version":"<v1.11.0"}]}})"),
                      ContainsSubstring("forbids package"));
}

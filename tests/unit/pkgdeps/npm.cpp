// npm dependencies checked as the guest checks them (kettle/pkgdeps): a real package-lock.json and the four tarballs
// it pins, fetched from registry.npmjs.org (tests/data/README.md), then every hostile case of issue 15 item 4.
// Known answers: the integrity values npm wrote into the lockfile and the purl-spec npm examples.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <filesystem>
#include <functional>
#include <sys/stat.h>
#include <unistd.h>

#include "deps_test_util.hpp"
#include "kettle/core/base64.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/pkgdeps/npm.hpp"

using namespace kettle;
using namespace kettle::pkgdeps;
using kettle::test::TarBuilder;
using namespace kettle::test::deps;
using Catch::Matchers::ContainsSubstring;
namespace fs = std::filesystem;

namespace {

const char* kTarballs[] = {"is-number-7.0.0.tgz", "mkdirp-1.0.4.tgz", "string-locale-compare-1.1.0.tgz",
                           "to-regex-range-5.0.1.tgz"};

/// A checkout (src/) holding the real lockfile, and the host's package directory (pkgs/) holding its tarballs.
struct Fixture : DepsDirs {
    Fixture() : DepsDirs("npm", "package-lock.json") {
        std::string dir = kettle::test::fixture("npm");
        fs::copy_file(dir + "/package-lock.json", src + "/package-lock.json");
        for (const char* n : kTarballs) fs::copy_file(dir + "/" + n, pkgs + "/" + n);
    }
};

/// The SRI value of `data` as npm writes it.
std::string sri512(const std::string& data) { return "sha512-" + base64_encode(sha512(as_bytes(data))); }

/// A gzip tarball "package/..." with the given package.json and extra entries.
std::string tarball(const std::string& name, const std::string& version,
                    const std::function<void(TarBuilder&)>& extra = {}) {
    TarBuilder t("gzip");
    t.file("package/package.json", R"({"name":")" + name + R"(","version":")" + version + R"("})");
    if (extra) extra(t);
    return t.finish();
}

/// A lockfile pinning exactly one package `name`@`version` at node_modules/<name> with `integrity`.
std::string one_lock(const std::string& name, const std::string& version, const std::string& integrity) {
    return R"({"lockfileVersion":3,"packages":{"":{"name":"x"},"node_modules/)" + name + R"(":{"version":")" +
           version + R"(","integrity":")" + integrity + R"("}}})";
}

}  // namespace

TEST_CASE("purl: npm names with and without a scope, cargo, golang, deb (purl-spec examples)") {
    CHECK(npm_purl("@angular/animation", "12.3.1") == "pkg:npm/%40angular/animation@12.3.1");
    CHECK(npm_purl("foobar", "12.3.1") == "pkg:npm/foobar@12.3.1");
    CHECK(cargo_purl("rand", "0.7.2") == "pkg:cargo/rand@0.7.2");
    CHECK(golang_purl("google.golang.org/genproto", "abcdedf") == "pkg:golang/google.golang.org/genproto@abcdedf");
    CHECK(deb_purl("curl", "7.50.3-1", "i386") == "pkg:deb/debian/curl@7.50.3-1?arch=i386");
    CHECK(npm_purl("x", "1.0.0+build.1") == "pkg:npm/x@1.0.0%2Bbuild.1");
}

TEST_CASE("npm: the real lockfile's four registry tarballs verify, lay out under node_modules, with .bin links") {
    Fixture f;
    VerifiedSet v = verify_and_lay_out("npm", f.src, f.pkgs);
    CHECK(v.lockfile == "package-lock.json");
    CHECK(hex(v.lockfile_sha256) == hex(sha256(f.lock())));
    REQUIRE(v.packages.size() == 4);
    CHECK(v.packages[0].purl == "pkg:npm/%40isaacs/string-locale-compare@1.1.0");
    CHECK(v.packages[1].purl == "pkg:npm/is-number@7.0.0");
    CHECK(v.packages[2].purl == "pkg:npm/mkdirp@1.0.4");
    CHECK(v.packages[3].purl == "pkg:npm/to-regex-range@5.0.1");
    // The digest is the lockfile's integrity (written by npm from the registry's metadata), as hex.
    CHECK(v.packages[1].alg == "sha512");
    CHECK(v.packages[1].hex == hex(base64_decode("41Cifkg6e8TylSpdtTpeLVMqvSBEVzTttHvERD741+pnZ8ANv0004MRL43QKPDlK9cGvNp6NZWZUBlbGXYxxng==")));
    CHECK(v.files == 4);
    CHECK(fs::is_regular_file(f.src + "/node_modules/@isaacs/string-locale-compare/package.json"));
    CHECK(fs::is_regular_file(f.src + "/node_modules/to-regex-range/index.js"));
    CHECK(fs::read_symlink(f.src + "/node_modules/.bin/mkdirp") == "../mkdirp/bin/cmd.js");
    struct stat st {};
    REQUIRE(::stat((f.src + "/node_modules/.bin/mkdirp").c_str(), &st) == 0);
    CHECK((st.st_mode & 0111) != 0);
}

TEST_CASE("npm: a lockfile without \"resolved\" (omit-lockfile-registry-resolved) gets the registry URL") {
    auto pk = parse_npm_lock(one_lock("@s/n", "1.2.3", sri512("x")));
    REQUIRE(pk.size() == 1);
    CHECK(pk[0].resolved == "https://registry.npmjs.org/@s/n/-/n-1.2.3.tgz");
    CHECK(npm_member_name(pk[0]) == "sha512-" + hex(sha512(as_bytes(std::string("x")))) + ".tgz");
}

TEST_CASE("npm hostile: missing, extra, wrong bytes and duplicate package files are refused, naming the package") {
    Fixture f;
    SECTION("missing") {
        fs::remove(f.pkgs + "/is-number-7.0.0.tgz");
        CHECK_THAT(f.error(), ContainsSubstring("missing package node_modules/is-number (is-number@7.0.0)"));
    }
    SECTION("extra") {
        spit(f.pkgs + "/evil.tgz", tarball("evil", "1.0.0"));
        CHECK_THAT(f.error(), ContainsSubstring("extra package file \"evil.tgz\""));
    }
    SECTION("wrong bytes: a tarball changed by one byte no longer matches its pin") {
        std::string b = slurp(f.pkgs + "/mkdirp-1.0.4.tgz");
        b[b.size() / 2] ^= 1;
        spit(f.pkgs + "/mkdirp-1.0.4.tgz", b);
        CHECK_THAT(f.error(), ContainsSubstring("missing package node_modules/mkdirp (mkdirp@1.0.4)"));
    }
    SECTION("duplicate: the same bytes twice under two names") {
        fs::copy_file(f.pkgs + "/mkdirp-1.0.4.tgz", f.pkgs + "/copy.tgz");
        CHECK_THAT(f.error(), ContainsSubstring("are the same package file (duplicate)"));
    }
    SECTION("a link instead of a package file") {
        fs::remove(f.pkgs + "/mkdirp-1.0.4.tgz");
        fs::create_symlink(kettle::test::fixture("npm") + "/mkdirp-1.0.4.tgz", f.pkgs + "/mkdirp-1.0.4.tgz");
        CHECK_THAT(f.error(), ContainsSubstring("is not a regular file"));
    }
    SECTION("the commit carries its own node_modules") {
        fs::create_directories(f.src + "/node_modules");
        CHECK_THAT(f.error(), ContainsSubstring("already holds node_modules"));
    }
}

TEST_CASE("npm hostile: a lockfile that lies is refused") {
    Fixture f;
    SECTION("digest matches, name does not: mkdirp's integrity pinned under is-number's entry") {
        std::string l = f.lock();
        std::string mk = "sha512-vVqVZQyf3WLx2Shd0qJ9xuvqgAyKPLAiqITEtqW0oIUjzo3PePDd6fW9iFz30ef7Ysp/oiWqbhszeGWW2T6Gzw==";
        std::string isn = "sha512-41Cifkg6e8TylSpdtTpeLVMqvSBEVzTttHvERD741+pnZ8ANv0004MRL43QKPDlK9cGvNp6NZWZUBlbGXYxxng==";
        f.set_lock(replace(l, isn, mk));
        fs::remove(f.pkgs + "/is-number-7.0.0.tgz");
        CHECK_THAT(f.error(), ContainsSubstring("the tarball is \"mkdirp\"@\"1.0.4\", not the locked is-number@7.0.0"));
    }
    SECTION("a version the tarball does not have") {
        f.set_lock(replace(f.lock(), "\"version\": \"7.0.0\"", "\"version\": \"7.0.1\""));
        CHECK_THAT(f.error(), ContainsSubstring("not the locked is-number@7.0.1"));
    }
    SECTION("lockfile version 1") {
        f.set_lock(replace(f.lock(), "\"lockfileVersion\": 3", "\"lockfileVersion\": 1"));
        CHECK_THAT(f.error(), ContainsSubstring("lockfileVersion must be 2 or 3"));
    }
    SECTION("a git dependency") {
        f.set_lock(one_lock("g", "1.0.0", "").replace(0, 0, ""));
        f.set_lock(R"({"lockfileVersion":3,"packages":{"node_modules/g":{"version":"1.0.0","resolved":"git+ssh://git@github.com/a/b.git#0123"}}})");
        CHECK_THAT(f.error(), ContainsSubstring("git, file and directory dependencies are not supported"));
    }
    SECTION("a link (workspace)") {
        f.set_lock(R"({"lockfileVersion":3,"packages":{"node_modules/w":{"resolved":"packages/w","link":true}}})");
        CHECK_THAT(f.error(), ContainsSubstring("links and workspaces"));
    }
    SECTION("an install path that escapes node_modules") {
        f.set_lock(one_lock("../../etc", "1.0.0", sri512("x")));
        CHECK_THAT(f.error(), ContainsSubstring("invalid package name"));
    }
    SECTION("duplicate keys") {
        f.set_lock(R"({"lockfileVersion":3,"lockfileVersion":3,"packages":{}})");
        CHECK_THAT(f.error(), ContainsSubstring("duplicate"));
    }
    SECTION("the lockfile is a link out of the checkout") {
        fs::remove(f.src + "/package-lock.json");
        fs::create_symlink(kettle::test::fixture("npm") + "/package-lock.json", f.src + "/package-lock.json");
        CHECK_THAT(f.error(), ContainsSubstring("package-lock.json: not in the checked-out commit (or a link)"));
    }
    SECTION("a huge dependency set beyond the limit") {
        DepsLimits l;
        l.max_packages = 3;
        CHECK_THAT(f.error(l), ContainsSubstring("more than the limit of 3"));
    }
}

TEST_CASE("npm hostile: tarballs with traversal, links, devices or no package.json are refused") {
    OnePackage p("npm", "package-lock.json", "p.tgz", "node_modules",
                 [](const std::string& tgz) { return one_lock("p", "1.0.0", sri512(tgz)); });
    check_hostile_entries(p, [](const auto& extra) { return tarball("p", "1.0.0", extra); }, "package", "package.json");
    TarBuilder none("gzip");
    none.file("package/index.js", "1");
    CHECK_THAT(p.run(none.finish()), ContainsSubstring("has no package.json"));
    CHECK_THAT(p.run(tarball("p", "1.0.0", [](TarBuilder& b) { b.file("top-level-file", "x"); })),
               ContainsSubstring("outside the package directory"));
    // A bin that points out of its package makes no link outside node_modules.
    TarBuilder bin("gzip");
    bin.file("package/package.json", R"({"name":"p","version":"1.0.0","bin":{"x":"../../../etc/passwd"}})");
    CHECK_THAT(p.run(bin.finish()), ContainsSubstring("points outside the package"));
}

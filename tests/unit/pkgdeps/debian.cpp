// debian: the deb822 reader, InRelease and Packages against a real excerpt of Debian's archive (bookworm-updates,
// tests/data/README.md), the hostile index cases, and the guest's recipe-vs-dpkg-status check.
// Known answers: the Packages file's SHA-256 and size as coreutils' sha256sum and stat give them (equal to the
// InRelease line), and ca-certificates' .deb SHA-256 as sha256sum gives it over the .deb downloaded from
// deb.debian.org's pool (equal to the Packages stanza); the purl-spec deb examples for the purl form.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <filesystem>

#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/json.hpp"
#include "kettle/pkgdeps/debian.hpp"
#include "test_support.hpp"
#include "guest_test_util.hpp"

using namespace kettle;
using namespace kettle::pkgdeps;
using Catch::Matchers::ContainsSubstring;
namespace fs = std::filesystem;

namespace {

std::string fixture_text(const std::string& rel) { return to_string(read_file(test::fixture(rel))); }

const char* kPackagesSha = "80a1f6ee524222c49f230fc5700d00f946d0a47eb5258180106dd03df126e16a";
const char* kCaDebSha = "0d5f444f594e48c1e16a41d8fc628a09b24c658916a1274025c2330f2a802bed";

std::string stanza(const std::string& name, const std::string& version, const std::string& sha,
                   const std::string& extra = "") {
    return "Package: " + name + "\nVersion: " + version + "\nArchitecture: amd64\nFilename: pool/main/" + name + "_" +
           version + "_amd64.deb\nSize: 10\nSHA256: " + sha + "\n" + extra + "\n";
}

}  // namespace

TEST_CASE("debian: the real bookworm-updates InRelease lists the real Packages file", "[pkgdeps][debian]") {
    const std::string text = fixture_text("debian/bookworm-updates_InRelease");
    DebRelease r = parse_inrelease(text);
    CHECK(r.date == "Tue, 01 Dec 2026 02:13:34 UTC");
    CHECK(r.codename == "bookworm-updates");
    CHECK(r.suite == "oldstable-updates");
    bool listed = false;
    for (const auto& e : r.sha256)
        if (e.path == "main/binary-amd64/Packages") listed = e.sha256 == kPackagesSha && e.size == 32757;
    CHECK(listed);
    // The file we committed is the one listed (sha256sum and stat of the download, above).
    const std::string pk = fixture_text("debian/bookworm-updates_main_binary-amd64_Packages");
    CHECK(hex(sha256(std::string_view(pk))) == kPackagesSha);
    CHECK(pk.size() == 32757);
}

TEST_CASE("debian: a real Packages index gives the .deb's SHA-256 for exactly the wanted versions", "[pkgdeps][debian]") {
    const std::string pk = fixture_text("debian/bookworm-updates_main_binary-amd64_Packages");
    std::vector<DebPackage> want{{"ca-certificates", "20230311+deb12u1", "all", "", "", 0},
                                 {"openssh-client", "1:9.2p1-2+deb12u7", "amd64", "", "", 0},
                                 {"ca-certificates", "20230311", "all", "", "", 0}};  // not in this index
    auto got = packages_index_entries(pk, want);
    REQUIRE(got.size() == 2);
    CHECK(got[0].name == "ca-certificates");
    CHECK(got[0].sha256 == kCaDebSha);
    CHECK(got[0].size == 155260);
    CHECK(got[0].filename == "pool/main/c/ca-certificates/ca-certificates_20230311+deb12u1_all.deb");
    CHECK(got[1].name == "openssh-client");
    CHECK(got[1].version == "1:9.2p1-2+deb12u7");
    // purl-spec PURL-TYPES deb: "pkg:deb/debian/attr@1:2.4.47-2%2Bb1?arch=amd64" ('+' encoded; ':' may be).
    CHECK(deb_purl("attr", "1:2.4.47-2+b1", "amd64") == "pkg:deb/debian/attr@1%3A2.4.47-2%2Bb1?arch=amd64");
}

TEST_CASE("debian: hostile Packages stanzas are refused naming the package", "[pkgdeps][debian]") {
    const std::string sha(64, 'a');
    std::vector<DebPackage> want{{"gcc", "1.0", "amd64", "", "", 0}};
    CHECK(packages_index_entries(stanza("gcc", "1.0", sha), want).size() == 1);
    CHECK_THROWS_WITH(packages_index_entries(stanza("gcc", "1.0", sha) + stanza("gcc", "1.0", std::string(64, 'b')), want),
                      ContainsSubstring("gcc 1.0 amd64 listed twice"));
    CHECK_THROWS_WITH(packages_index_entries("Package: gcc\nVersion: 1.0\nArchitecture: amd64\nFilename: pool/g.deb\n"
                                             "Size: 1\n", want),
                      ContainsSubstring("SHA256 missing"));
    CHECK_THROWS_WITH(packages_index_entries(stanza("gcc", "1.0", "ABC"), want), ContainsSubstring("SHA256 missing or not 64"));
    std::string trav = stanza("gcc", "1.0", sha);
    trav.replace(trav.find("pool/main/"), 10, "pool/../../");
    CHECK_THROWS_WITH(packages_index_entries(trav, want), ContainsSubstring("Filename missing or not a plain path"));
    CHECK_THROWS_WITH(packages_index_entries(stanza("gcc", "1.0", sha, "Description: " + std::string(2 << 20, 'x')), want),
                      ContainsSubstring("a paragraph larger than"));
    CHECK_THROWS_WITH(packages_index_entries(stanza("gcc", "1.0", sha, "Version: 2.0"), want),
                      ContainsSubstring("field Version twice"));
    CHECK_THROWS_WITH(packages_index_entries(stanza("gcc", "1.0", sha) + "\r\n", want), ContainsSubstring("NUL or CR"));
    CHECK_THROWS_WITH(packages_index_entries(" orphan\n" + stanza("gcc", "1.0", sha), want),
                      ContainsSubstring("continuation line with no field"));
    CHECK_THROWS_WITH(packages_index_entries(stanza("Gcc", "1.0", sha), want), ContainsSubstring("no valid Package"));
    // A version mismatch: the index has 1.1, the rootfs 1.0 — not found (the host then names it).
    CHECK(packages_index_entries(stanza("gcc", "1.1", sha), want).empty());
    Deb822Limits tiny;
    tiny.max_stanzas = 1;
    CHECK_THROWS_WITH(packages_index_entries(stanza("gcc", "1.0", sha) + stanza("g2", "1", sha), want, tiny),
                      ContainsSubstring("more than 1 paragraphs"));
}

TEST_CASE("debian: InRelease without a signature armour, Date or SHA256 is refused", "[pkgdeps][debian]") {
    CHECK_THROWS_WITH(parse_inrelease("Date: x\nSHA256:\n " + std::string(64, 'a') + " 1 main/Packages\n"),
                      ContainsSubstring("not an OpenPGP clearsigned"));
    const std::string head = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n";
    const std::string sig = "\n-----BEGIN PGP SIGNATURE-----\nx\n-----END PGP SIGNATURE-----\n";
    CHECK_THROWS_WITH(parse_inrelease(head + "Codename: x\nSHA256:\n " + std::string(64, 'a') + " 1 p/Packages" + sig),
                      ContainsSubstring("no Date"));
    CHECK_THROWS_WITH(parse_inrelease(head + "Date: d\nSHA256:\n zz 1 p/Packages" + sig), ContainsSubstring("a SHA256 line"));
    CHECK_THROWS_WITH(parse_inrelease(head + "Date: d\nSHA256:\n " + std::string(64, 'a') + " 1 p/Packages\n " +
                                      std::string(64, 'b') + " 2 p/Packages" + sig),
                      ContainsSubstring("listed twice"));
    DebRelease r = parse_inrelease(head + "Date: d\nSHA256:\n " + std::string(64, 'a') + " 12 main/binary-amd64/Packages" + sig);
    REQUIRE(r.sha256.size() == 1);
    CHECK(r.sha256[0].size == 12);
}

TEST_CASE("debian: dpkg status gives installed packages only; a duplicate is refused", "[pkgdeps][debian]") {
    const std::string status =
        "Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1:1.2.13.dfsg-1\n"
        "Description: x\n continued\n\n"
        "Package: gone\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 1.0\n\n"
        "Package: base-files\nStatus: install ok installed\nArchitecture: amd64\nVersion: 12.4+deb12u8\n";
    auto p = dpkg_installed(status);
    REQUIRE(p.size() == 2);
    CHECK(p[0].name == "base-files");
    CHECK(p[1].version == "1:1.2.13.dfsg-1");
    CHECK_THROWS_WITH(dpkg_installed("Status: install ok installed\nVersion: 1\nArchitecture: all\n"),
                      ContainsSubstring("without a valid Package"));
    CHECK_THROWS_WITH(dpkg_installed(status + "\nPackage: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2\n"),
                      ContainsSubstring("zlib1g:amd64 is installed twice"));
}

TEST_CASE("debian: the guest checks the recipe's packages against the toolchain's dpkg status", "[pkgdeps][debian]") {
    test::TempDir d;
    fs::create_directories(d / "root/var/lib/dpkg");
    write_file(d / "root/var/lib/dpkg/status",
               std::string_view("Package: make\nStatus: install ok installed\nArchitecture: amd64\nVersion: 4.3-4.1\n\n"
                                "Package: ca-certificates\nStatus: install ok installed\nArchitecture: all\n"
                                "Version: 20230311+deb12u1\n\nPackage: old\nStatus: deinstall ok config-files\n"
                                "Architecture: all\nVersion: 1\n"));
    Json recipe{{"schema", "kettle-toolchain-recipe/v2"},
                {"packages", Json::array({Json{{"name", "ca-certificates"}, {"version", "20230311+deb12u1"},
                                               {"architecture", "all"}, {"sha256", kCaDebSha}},
                                          Json{{"name", "make"}, {"version", "4.3-4.1"}, {"architecture", "amd64"},
                                               {"sha256", std::string(64, 'c')}}})}};
    const std::string rp = d / "recipe.json";
    write_file(rp, recipe.dump());
    VerifiedSet v = verify_debian(rp, d / "root");
    CHECK(v.ecosystem == "debian");
    CHECK(v.lockfile == "files/toolchain.recipe.json");
    CHECK(hex(v.lockfile_sha256) == hex(sha256(recipe.dump())));
    REQUIRE(v.packages.size() == 2);
    CHECK(v.packages[0].purl == "pkg:deb/debian/ca-certificates@20230311%2Bdeb12u1?arch=all");
    CHECK(v.packages[0].hex == kCaDebSha);
    CHECK(v.packages[1].purl == "pkg:deb/debian/make@4.3-4.1?arch=amd64");

    Json lie = recipe;
    lie["packages"][1]["version"] = "4.3-4.2";
    write_file(rp, lie.dump());
    CHECK_THROWS_WITH(verify_debian(rp, d / "root"),
                      ContainsSubstring("deps: debian: package make (amd64): the recipe says version 4.3-4.2, the "
                                        "toolchain has 4.3-4.1 installed"));
    Json less = recipe;
    less["packages"].erase(1);
    write_file(rp, less.dump());
    CHECK_THROWS_WITH(verify_debian(rp, d / "root"), ContainsSubstring("make 4.3-4.1 (amd64) is installed in the toolchain but not listed"));
    Json more = recipe;
    more["packages"].push_back(Json{{"name", "gcc"}, {"version", "1"}, {"architecture", "amd64"}, {"sha256", std::string(64, 'd')}});
    write_file(rp, more.dump());
    CHECK_THROWS_WITH(verify_debian(rp, d / "root"), ContainsSubstring("gcc 1 (amd64) is listed in the recipe but not installed"));
    Json twice = recipe;
    twice["packages"].push_back(twice["packages"][1]);
    write_file(rp, twice.dump());
    CHECK_THROWS_WITH(verify_debian(rp, d / "root"), ContainsSubstring("lists make:amd64 twice"));
    Json nosha = recipe;
    nosha["packages"][0].erase("sha256");
    write_file(rp, nosha.dump());
    CHECK_THROWS_WITH(verify_debian(rp, d / "root"), ContainsSubstring("no .deb sha256"));
    Json v1 = recipe;
    v1["schema"] = "kettle-toolchain-recipe/v1";
    write_file(rp, v1.dump());
    CHECK_THROWS_WITH(verify_debian(rp, d / "root"), ContainsSubstring("not a kettle-toolchain-recipe/v2"));
    write_file(rp, std::string_view("{\"schema\":\"kettle-toolchain-recipe/v2\",\"schema\":\"x\"}"));
    CHECK_THROWS_WITH(verify_debian(rp, d / "root"), ContainsSubstring("not strict JSON"));
    fs::remove(d / "root/var/lib/dpkg/status");
    fs::create_symlink("/etc/passwd", d / "root/var/lib/dpkg/status");
    write_file(rp, recipe.dump());
    CHECK_THROWS_WITH(verify_debian(rp, d / "root"), ContainsSubstring("no readable var/lib/dpkg/status"));
}

// dpkg's Status is "<want> <flag> <status>" (dpkg(1) "Package states", deb-status(5)): a held package ("hold ok
// installed"), one selected for removal but still installed ("deinstall ok installed"), and one whose files are
// unpacked but not (yet, or fully) configured ("install ok unpacked", "install ok half-configured", "install ok
// triggers-pending", "install reinstreq half-installed") all have their files in the toolchain, so each is listed
// (and so checked against the recipe, and in the provenance for the policy's rules). Only "not-installed" and
// "config-files" (conffiles alone) are left out; a Status of any other shape is refused.
TEST_CASE("debian: dpkg status packages whose files are on disk are listed", "[pkgdeps][debian]") {
    const char* states[] = {"hold ok installed",       "deinstall ok installed", "install ok unpacked",
                            "install ok half-configured", "install ok triggers-pending", "install ok triggers-awaited",
                            "install reinstreq half-installed", "purge ok unpacked", "unknown ok installed"};
    for (const char* st : states) {
        INFO("Status: " << st);
        const std::string status = std::string("Package: openssl\nStatus: ") + st +
                                   "\nArchitecture: amd64\nVersion: 3.0.11-1~deb12u2\n";
        auto got = dpkg_installed(status);
        REQUIRE(got.size() == 1);
        CHECK(got[0].name == "openssl");
        CHECK(got[0].version == "3.0.11-1~deb12u2");
    }
    for (const char* st : {"deinstall ok config-files", "purge ok not-installed", "unknown ok not-installed"}) {
        INFO("Status: " << st);
        CHECK(dpkg_installed(std::string("Package: gone\nStatus: ") + st + "\nArchitecture: amd64\nVersion: 1\n").empty());
    }
    for (const char* st : {"install ok", "install ok installed extra", "install ok  installed", "install okay installed",
                           "want ok installed", "install ok Installed", ""}) {
        INFO("Status: " << st);
        CHECK_THROWS_WITH(dpkg_installed(std::string("Package: odd\nStatus: ") + st + "\nArchitecture: amd64\nVersion: 1\n"),
                          ContainsSubstring("is not \"<want> <flag> <status>\""));
    }
    CHECK_THROWS_WITH(dpkg_installed("Package: odd\nArchitecture: amd64\nVersion: 1\n"), ContainsSubstring("Status \"\""));
    CHECK_THROWS_WITH(dpkg_installed("Package: half\nStatus: install reinstreq half-installed\nArchitecture: amd64\n"),
                      ContainsSubstring("without a valid Package, Version or Architecture"));
}

// Debian Policy §5.1: "Field names are not case-sensitive"; "status:" or "PACKAGE:" name the same fields.
TEST_CASE("debian: dpkg status field names are matched without regard to case", "[pkgdeps][debian]") {
    auto got = dpkg_installed("PACKAGE: openssl\nstatus: install ok installed\narchitecture: amd64\nVERSION: 3.0.11-1~deb12u2\n");
    REQUIRE(got.size() == 1);
    CHECK(got[0].name == "openssl");
    CHECK(got[0].architecture == "amd64");
    CHECK(got[0].version == "3.0.11-1~deb12u2");
}

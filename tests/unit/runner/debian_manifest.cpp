// `kettle toolchain debian`'s package manifest (runner/toolchain_recipe.hpp debian_manifest) over a real apt lists
// directory: Debian's bookworm-updates InRelease and Packages (tests/data/README.md), the InRelease signature
// checked by the real gpgv against Debian's archive keyring. Known answers: sha256sum of the .deb from the pool.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <filesystem>

#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/json.hpp"
#include "kettle/pkgdeps/debian.hpp"
#include "test_support.hpp"
#include "toolchain_recipe.hpp"

using namespace kettle;
using namespace kettle::runner;
using Catch::Matchers::ContainsSubstring;
namespace fs = std::filesystem;

namespace {

const std::string kStatus =
    "Package: ca-certificates\nStatus: install ok installed\nArchitecture: all\nVersion: 20230311+deb12u1\n\n"
    "Package: openssh-client\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1:9.2p1-2+deb12u7\n";

std::string lists(const test::TempDir& d) {
    const std::string l = d / "lists";
    fs::create_directories(l);
    fs::copy_file(test::fixture("debian/bookworm-updates_InRelease"), l + "/deb.debian.org_debian_dists_bookworm-updates_InRelease");
    fs::copy_file(test::fixture("debian/bookworm-updates_main_binary-amd64_Packages"),
                  l + "/deb.debian.org_debian_dists_bookworm-updates_main_binary-amd64_Packages");
    return l;
}

}  // namespace

TEST_CASE("toolchain manifest: every installed package with the .deb SHA-256 of the verified index", "[run-summary]") {
    test::TempDir d;
    const std::string l = lists(d);
    const bool keyring = fs::exists(kDebianArchiveKeyring);
    Json m = debian_manifest(kStatus, l, keyring ? kDebianArchiveKeyring : "");
    REQUIRE(m["packages"].size() == 2);
    CHECK(m["packages"][0]["sha256"] == "0d5f444f594e48c1e16a41d8fc628a09b24c658916a1274025c2330f2a802bed");
    CHECK(m["packages"][0]["filename"] == "pool/main/c/ca-certificates/ca-certificates_20230311+deb12u1_all.deb");
    CHECK(m["packages"][1]["name"] == "openssh-client");
    REQUIRE(m["apt_index"].size() == 1);
    CHECK(m["apt_index"][0]["date"] == "Tue, 01 Dec 2026 02:13:34 UTC");
    CHECK(m["apt_index"][0]["packages_indexes"][0]["path"] == "main/binary-amd64/Packages");

    // A version the index does not have: named.
    CHECK_THROWS_WITH(debian_manifest(kStatus + "\nPackage: make\nStatus: install ok installed\nArchitecture: amd64\n"
                                                "Version: 4.3-4.1\n", l, ""),
                      ContainsSubstring("make 4.3-4.1 (amd64) is in no Packages index"));
    // A Packages file changed by one byte: no InRelease lists it.
    std::string pk = to_string(read_file(l + "/deb.debian.org_debian_dists_bookworm-updates_main_binary-amd64_Packages"));
    pk[pk.find("20230311+deb12u1")] = '3';
    write_file(l + "/deb.debian.org_debian_dists_bookworm-updates_main_binary-amd64_Packages", pk);
    CHECK_THROWS_WITH(debian_manifest(kStatus, l, ""), ContainsSubstring("is not listed for a Packages index by any InRelease"));
}

TEST_CASE("toolchain manifest: an InRelease whose signature gpgv does not accept is refused", "[run-summary]") {
    if (!fs::exists(kDebianArchiveKeyring)) SKIP("no Debian archive keyring on this host");
    test::TempDir d;
    const std::string l = lists(d);
    const std::string ir = l + "/deb.debian.org_debian_dists_bookworm-updates_InRelease";
    std::string t = to_string(read_file(ir));
    t.replace(t.find("Codename: bookworm-updates"), 26, "Codename: bookworm-updateX");
    write_file(ir, t);
    CHECK_THROWS_WITH(debian_manifest(kStatus, l, kDebianArchiveKeyring), ContainsSubstring("gpgv does not find a good signature"));
}

// The host's recipe and the guest's check read the dpkg status the same way (pkgdeps::dpkg_installed): a package
// whose files are on disk in any state (here held, and unpacked but not configured; dpkg(1) "Package states") is
// listed in the recipe, and the guest's recipe-vs-status comparison of the same toolchain then passes and lists it.
TEST_CASE("toolchain manifest: held and unpacked packages are in the recipe and pass the guest's check", "[run-summary][debian]") {
    test::TempDir d;
    const std::string l = lists(d);
    const std::string status =
        "Package: ca-certificates\nStatus: hold ok installed\nArchitecture: all\nVersion: 20230311+deb12u1\n\n"
        "Package: openssh-client\nstatus: install ok unpacked\nArchitecture: amd64\nVersion: 1:9.2p1-2+deb12u7\n\n"
        "Package: gone\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 1.0-1\n";
    Json m = debian_manifest(status, l, "");
    REQUIRE(m["packages"].size() == 2);
    CHECK(m["packages"][0]["name"] == "ca-certificates");
    CHECK(m["packages"][1]["name"] == "openssh-client");
    fs::create_directories(d / "root/var/lib/dpkg");
    write_file(d / "root/var/lib/dpkg/status", status);
    write_file(d / "recipe.json", Json{{"schema", "kettle-toolchain-recipe/v2"}, {"packages", m["packages"]}}.dump());
    pkgdeps::VerifiedSet v = pkgdeps::verify_debian(d / "recipe.json", d / "root");
    REQUIRE(v.packages.size() == 2);
    CHECK(v.packages[0].purl == "pkg:deb/debian/ca-certificates@20230311%2Bdeb12u1?arch=all");
    CHECK(v.packages[1].purl == "pkg:deb/debian/openssh-client@1%3A9.2p1-2%2Bdeb12u7?arch=amd64");
}

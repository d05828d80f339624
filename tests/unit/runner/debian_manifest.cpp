// `kettle toolchain debian`'s package manifest (runner/toolchain_recipe.hpp debian_manifest) over a real apt lists
// directory: Debian's bookworm-updates InRelease and Packages (tests/data/README.md), the InRelease signature
// checked by the real gpgv against Debian's archive keyring. Known answers: sha256sum of the .deb from the pool.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <filesystem>

#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
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

// The policy's package rules (lib/verify/packages.cpp, purl_parts.cpp): rule and statement purls compared in one
// form (percent-decoded, type lower case, npm and deb names case-folded, qualifiers), rules that could never match
// refused when the policy is read, and every rule failing when its ecosystem was never checked. Known answers:
// purl-spec (github.com/package-url/purl-spec) tests/types/deb-test.json at 4970e5af446e8337b0dbeaf444eca596e7afc6fb
// ("pkg:deb/debian/attr@1:2.4.47-2%2Bb1?arch=amd64" is attr, version "1:2.4.47-2+b1", arch amd64) and
// types/npm-definition.json ("pkg:npm/%40angular/animation@12.3.1": scope @angular; npm names not case-sensitive).
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <string>

#include "kettle/core/error.hpp"
#include "kettle/core/json.hpp"
#include "kettle/verify/policy.hpp"

using namespace kettle;
using Catch::Matchers::ContainsSubstring;

namespace {

Json lockfile(const std::string& eco) {
    return Json{{"name", "lockfile/" + eco}, {"uri", "x"}, {"digest", {{"sha256", std::string(64, '0')}}}};
}

Json package(const std::string& uri) { return Json{{"uri", uri}, {"digest", {{"sha256", "ab"}}}}; }

/// check_package_rules of the policy {"packages": {<kind>: [{"purl": purl, ...extra}]}} over `deps`.
std::string check(const Json& deps, const std::string& kind, const std::string& purl, Json extra = Json::object()) {
    extra["purl"] = purl;
    bundle::Policy p = bundle::parse_policy(Json{{"packages", {{kind, Json::array({extra})}}}}.dump());
    return bundle::check_package_rules(deps, p.require_packages, p.forbid_packages);
}

}  // namespace

TEST_CASE("package rules: a purl matches however it is percent-encoded or cased where purl-spec folds case", "[policy]") {
    const Json deps = Json::array({lockfile("debian"), lockfile("npm"),
                                   package("pkg:deb/debian/attr@1:2.4.47-2%2Bb1?arch=amd64"),
                                   package("pkg:deb/debian/g%2B%2B-12@12.2.0-14?arch=amd64"),
                                   package("pkg:npm/%40angular/animation@12.3.1")});
    CHECK_NOTHROW(check(deps, "require", "pkg:deb/debian/attr", {{"version", "=1:2.4.47-2+b1"}}));
    CHECK_NOTHROW(check(deps, "require", "pkg:deb/debian/attr?arch=amd64"));
    CHECK_THROWS_WITH(check(deps, "require", "pkg:deb/debian/attr?arch=i386"), ContainsSubstring("requires package"));
    for (const char* p : {"pkg:deb/debian/g++-12", "pkg:deb/debian/g%2b%2b-12", "pkg:deb/debian/g%2B%2B-12",
                          "PKG:DEB/Debian/G++-12", "pkg:deb/debian/g++-12?arch=amd64"}) {
        INFO(p);
        CHECK_THROWS_WITH(check(deps, "forbid", p), ContainsSubstring("forbids package"));
        CHECK_NOTHROW(check(deps, "require", p));
    }
    CHECK_NOTHROW(check(deps, "forbid", "pkg:deb/debian/g++-13"));
    for (const char* p : {"pkg:npm/%40angular/animation", "pkg:NPM/%40Angular/Animation", "pkg:npm/%40angular//animation/"}) {
        INFO(p);
        CHECK_THROWS_WITH(check(deps, "forbid", p, {{"version", "<13"}}), ContainsSubstring("forbids package"));
    }
}

TEST_CASE("package rules: Go module paths and crate names keep their case", "[policy]") {
    const Json deps = Json::array({lockfile("go"), lockfile("cargo"), package("pkg:golang/example.com/Upper/caps@v0.2.0"),
                                   package("pkg:golang/example.com/Upper/caps@v0.2.0#go.mod"), package("pkg:cargo/Inflector@0.11.4")});
    CHECK_NOTHROW(check(deps, "require", "pkg:golang/example.com/Upper/caps", {{"version", "v0.2.0"}}));
    CHECK_THROWS_WITH(check(deps, "require", "pkg:golang/example.com/upper/caps"), ContainsSubstring("requires package"));
    CHECK_NOTHROW(check(deps, "require", "pkg:cargo/Inflector"));
    CHECK_THROWS_WITH(check(deps, "require", "pkg:cargo/inflector"), ContainsSubstring("requires package"));
}

TEST_CASE("package rules: a rule that could never match is refused when the policy is read", "[policy]") {
    auto refused = [](const std::string& purl, const std::string& why) {
        INFO(purl);
        CHECK_THROWS_WITH(bundle::parse_policy(Json{{"packages", {{"forbid", Json::array({Json{{"purl", purl}}})}}}}.dump()),
                          ContainsSubstring("policy file: packages: rule") && ContainsSubstring(why));
    };
    refused("pkg:deb/debian/g%2g-12", "'%' that is not followed by two hex digits");
    refused("pkg:deb/debian/openssl%", "'%' that is not followed by two hex digits");
    refused("pkg:npm/lodash@4.17.21", "without @version");
    refused("pkg:npm/@types/node", "without @version");  // the scope's '@' must be %40
    refused("pkg:golang/example.com/num#go.mod", "#subpath");
    refused("pkg:pypi/django", "Kettle records no pkg:pypi packages");
    refused("npm/lodash", "not a package URL");
    refused("pkg:deb/ubuntu/openssl", "pkg:deb/debian/<name>");
    refused("pkg:deb/openssl", "pkg:deb/debian/<name>");
    refused("pkg:deb/debian/openssl?distro=bookworm", "no qualifier 'distro'");
    refused("pkg:npm/lodash?arch=amd64", "no qualifier 'arch'");
    refused("pkg:cargo/a/b", "pkg:cargo has no namespace");
    refused("pkg:golang/example.com%2Fnum", "decodes to hold '/'");
    refused("pkg:npm", "no name");
}

TEST_CASE("package rules: every rule fails when the statement never checked its ecosystem", "[policy]") {
    // A build with a toolchain but no debian check: no lockfile/debian, so no pkg:deb entry proves anything.
    const Json deps = Json::array({Json{{"name", "toolchain"}, {"digest", {{"dmVerityRootHash", std::string(64, 'a')}}}},
                                   lockfile("npm"), package("pkg:npm/lodash@4.17.21")});
    CHECK_THROWS_WITH(check(deps, "forbid", "pkg:deb/debian/openssl", {{"version", "<3.0.11-1~deb12u1"}}),
                      ContainsSubstring("no lockfile/debian") && ContainsSubstring("did not check the debian ecosystem"));
    CHECK_THROWS_WITH(check(deps, "require", "pkg:deb/debian/openssl"), ContainsSubstring("no lockfile/debian"));
    CHECK_THROWS_WITH(check(deps, "forbid", "pkg:golang/example.com/num"), ContainsSubstring("no lockfile/go"));
    CHECK_THROWS_WITH(check(deps, "forbid", "pkg:cargo/serde"), ContainsSubstring("no lockfile/cargo"));
    CHECK_THROWS_WITH(check(Json::array(), "forbid", "pkg:npm/event-stream"), ContainsSubstring("no lockfile/npm"));
    CHECK_NOTHROW(check(deps, "forbid", "pkg:npm/event-stream"));  // npm was checked: its absence means something
    CHECK_THAT(check(deps, "require", "pkg:npm/lodash"), ContainsSubstring("1 required present"));
}

TEST_CASE("package rules: a statement package URL the rules cannot read fails the check", "[policy]") {
    const Json deps = Json::array({lockfile("npm"), package("pkg:npm/bad%zz@1.0.0")});
    CHECK_THROWS_WITH(check(deps, "forbid", "pkg:npm/lodash"), ContainsSubstring("is not a package URL the policy can read"));
    const Json noversion = Json::array({lockfile("npm"), package("pkg:npm/lodash")});
    CHECK_THROWS_WITH(check(noversion, "forbid", "pkg:npm/lodash"), ContainsSubstring("no @version"));
}

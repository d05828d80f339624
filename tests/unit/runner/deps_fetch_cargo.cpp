// `kettle run --deps cargo` on the host (runner/deps_fetch.cpp): the ecosystem auto-detected from the commit's
// Cargo.lock, and the crates it pins taken from the deps cache when their SHA-256 matches (crates.io is out of reach
// here, so the cache is seeded with the hand-made crates of tests/data/cargo).
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <cstdlib>
#include <filesystem>

#include "deps_fetch.hpp"
#include "guest_test_util.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/pkgdeps/cargo.hpp"

using namespace kettle;
using kettle::test::TempDir;
using Catch::Matchers::ContainsSubstring;
namespace fs = std::filesystem;

namespace {

/// A git repository whose one commit holds the fixture app (Cargo.toml, Cargo.lock, src/main.rs).
std::string commit_app(const std::string& repo) {
    fs::copy(kettle::test::fixture("cargo") + "/app", repo, fs::copy_options::recursive);
    std::string git = "git -C '" + repo + "' -c user.name=t -c user.email=t@kettle.invalid ";
    REQUIRE(std::system((git + "init -q && " + git + "add -A && " + git + "commit -qm app").c_str()) == 0);
    return "HEAD";
}

}  // namespace

TEST_CASE("deps fetch cargo: auto-detected from Cargo.lock; cached crates are reused by digest, wrong ones refetched") {
    TempDir t;
    std::string repo = t.path + "/repo", cache = t.path + "/cache";
    std::string rev = commit_app(repo);
    CHECK(runner::dependency_ecosystems({}, repo, rev) == std::vector<std::string>{"cargo"});
    CHECK(runner::dependency_ecosystems({"cargo", "npm", "cargo"}, repo, rev) == std::vector<std::string>{"cargo", "npm"});
    CHECK(runner::dependency_ecosystems({"none"}, repo, rev).empty());
    CHECK_THROWS_WITH(runner::dependency_ecosystems({"pip"}, repo, rev), ContainsSubstring("unknown ecosystem"));
    CHECK_THROWS_WITH(runner::fetch_dependencies({"go"}, repo, rev, cache), ContainsSubstring("no go.sum"));
    CHECK_THROWS_WITH(runner::fetch_dependencies({"npm"}, repo, rev, cache), ContainsSubstring("no package-lock.json"));

    fs::create_directories(cache + "/cargo");
    std::vector<std::string> names;
    for (const char* c : {"kettle-fx-alpha-0.1.0.crate", "kettle-fx-beta-0.2.0.crate", "kettle-fx-gamma-1.0.0.crate"}) {
        std::string from = kettle::test::fixture("cargo") + "/" + c;
        names.push_back("sha256-" + hex(pkgdeps::file_digest(from, "sha256")) + ".crate");
        fs::copy_file(from, cache + "/cargo/" + names.back());
    }
    runner::FetchedDeps f = runner::fetch_dependencies({"cargo"}, repo, rev, cache);
    CHECK(f.packages == 3);
    CHECK(f.downloaded == 0);
    REQUIRE(f.members.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) {
        CHECK(f.members[i].first == "cargo/" + names[i]);
        CHECK(f.members[i].second == cache + "/cargo/" + names[i]);
    }
}

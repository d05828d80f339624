// Red-team regression: the host's repository configuration must not change what the guest checks out.
// source/config is host-written (it is on the input disk but outside the commit): core.symlinks=false used to
// turn a symlink of the tree into a regular file holding the link text, and core.ignorecase=true to fold two
// files of the tree into one, while the provenance still named the commit and tree as built.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <filesystem>
#include <string>

#include "guest.hpp"
#include "kettle/core/bytes.hpp"
#include "test_support.hpp"

using namespace kettle;
namespace fs = std::filesystem;

TEST_CASE("redteam: checkout ignores the host's repository config", "[redteam][checkout]") {
    test::TempDir t;
    std::string w = t / "work", bare = t / "bare.git";
    fs::create_directories(w);
    write_file(w + "/target.txt", std::string_view("target\n"));
    write_file(w + "/A", std::string_view("upper\n"));
    write_file(w + "/a", std::string_view("lower\n"));
    fs::create_symlink("target.txt", w + "/link");
    std::string git = "git -c user.name=t -c user.email=t@t.invalid -c init.defaultBranch=main";
    test::run_host(git + " -C '" + w + "' init -q && " + git + " -C '" + w + "' add -A && " + git + " -C '" + w +
                   "' commit -qm x && git clone -q --bare '" + w + "' '" + bare + "'");
    std::string commit = test::run_host("git -C '" + bare + "' rev-parse HEAD");
    commit = commit.substr(0, 40);
    // The host's say over the checkout: a hostile config in the bare repository.
    test::run_host("git -C '" + bare + "' config core.symlinks false && git -C '" + bare + "' config core.ignorecase true");
    std::string dest = t / "src";
    fs::create_directories(dest);
    init::CheckoutResult r = init::checkout(bare, commit, dest);
    CHECK(r.commit_id == commit);
    CHECK(fs::is_symlink(fs::symlink_status(dest + "/link")));
    CHECK(to_string(read_file(dest + "/A")) == "upper\n");
    CHECK(to_string(read_file(dest + "/a")) == "lower\n");
}

TEST_CASE("redteam: checkout takes objects from the repository's own object directory only", "[redteam][checkout]") {
    // Repository A holds the commit; B is an empty bare repository whose refs name A's commit. Through
    // objects/info/alternates (or alternates of alternates) libgit2's default object database would read A's
    // objects, which the source digest of B does not cover. git itself follows alternates (the oracle below).
    test::TempDir t;
    std::string a = t / "a", b = t / "b.git";
    std::string git = "git -c user.name=t -c user.email=t@t.invalid -c init.defaultBranch=main";
    test::run_host(git + " init -q '" + a + "' && echo x > '" + a + "/f' && " + git + " -C '" + a + "' add -A && " +
                   git + " -C '" + a + "' commit -qm x && git init -q --bare '" + b + "'");
    std::string commit = test::run_host("git -C '" + a + "' rev-parse HEAD").substr(0, 40);
    write_file(b + "/refs/heads/main", commit + "\n");
    write_file(b + "/objects/info/alternates", a + "/.git/objects\n");
    CHECK(test::run_host("git -C '" + b + "' cat-file -t " + commit) == "commit\n");  // git follows it
    std::string dest = t / "src";
    fs::create_directories(dest);
    CHECK_THROWS_WITH(init::checkout(b, commit, dest), Catch::Matchers::ContainsSubstring("unknown commit"));
    CHECK_THROWS_WITH(init::checkout(b, "main", dest), Catch::Matchers::ContainsSubstring("checkout: "));
    // A commondir that points elsewhere is refused outright.
    fs::remove(b + "/objects/info/alternates");
    write_file(b + "/commondir", a + "/.git\n");
    CHECK_THROWS_WITH(init::checkout(b, commit, dest), Catch::Matchers::ContainsSubstring("checkout: "));
}

// Red-team regression: the host's repository configuration must not change what the guest checks out.
// source/config is host-written (it is on the input disk but outside the commit): core.symlinks=false used to
// turn a symlink of the tree into a regular file holding the link text, and core.ignorecase=true to fold two
// files of the tree into one, while the provenance still named the commit and tree as built.
#include <catch2/catch_test_macros.hpp>

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

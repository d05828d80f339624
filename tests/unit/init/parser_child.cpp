// The parser child on the host, unconfined (jail.confine = false: no cgroup, namespaces or uid change here; the
// VM tests cover those): the same results as in-process ingest and checkout, and every way a child can end
// becomes an Error naming the phase. Known answers: sha256sum and git rev-parse.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <csignal>
#include <new>
#include <sys/stat.h>
#include <unistd.h>

#include "guest_test_util.hpp"
#include "kettle/core/error.hpp"
#include "kettle/disk/format.hpp"
#include "kettle/disk/parser_reply.hpp"
#include "parser_child.hpp"

using namespace kettle;
using namespace kettle::init;
using kettle::test::TarBuilder;
using kettle::test::TempDir;
using Catch::Matchers::ContainsSubstring;

namespace {

ParserJail host_jail(const char* name) {
    ParserJail j;
    j.name = name;
    j.confine = false;
    j.memory_max = 64u << 20;
    j.timeout_seconds = 30;
    return j;
}

std::string git_repo(const TempDir& d) {
    std::string repo = d / "repo";
    test::run_host("set -e; git init -q -b main '" + repo + "' && cd '" + repo +
                   "' && mkdir -p sub && echo one > a.txt && echo two > sub/b.txt && git add -A && "
                   "git -c user.name=t -c user.email=t@example.org commit -q -m one");
    return repo;
}

}  // namespace

TEST_CASE("ingest in a child gives the in-process result, with PID 1's device digest", "[parser-child]") {
    if (!test::have_tool("git")) SKIP("git not installed");
    TempDir d;
    std::string repo = git_repo(d);
    write_file(d / "tc.tar", TarBuilder().dir("bin/").file("bin/sh", "#!x", 0755).finish());
    write_file(d / "extra", std::string(5000, 'e'));
    InputDiskSpec spec;
    spec.request.argv = {"/bin/sh", "-c", "true"};
    spec.request.source_ref = "main";
    spec.source_dir = repo + "/.git";
    spec.toolchain_path = d / "tc.tar";
    spec.files = {{"extra", d / "extra"}};
    write_input_disk(spec, d / "in.img");
    ::mkdir((d / "a").c_str(), 0755);
    ::mkdir((d / "b").c_str(), 0755);
    IngestResult in_process = ingest_input_path(d / "in.img", d / "a");
    std::vector<std::uint64_t> progress;
    ParserReport rep;
    IngestResult child = ingest_in_child(d / "in.img", d / "b", {}, host_jail("ingest"),
                                         [&](std::uint64_t done, std::uint64_t) { progress.push_back(done); }, &rep);
    CHECK(hex(child.device_sha256) == test::sha256sum(d / "in.img"));
    CHECK(child.device_size == in_process.device_size);
    CHECK(child.request.argv == in_process.request.argv);
    CHECK(child.toolchain.sha256 == in_process.toolchain.sha256);
    CHECK(child.source_digest == in_process.source_digest);
    REQUIRE(child.files.size() == 1);
    CHECK(hex(child.files[0].sha256) == test::sha256sum(d / "extra"));
    REQUIRE_FALSE(progress.empty());
    CHECK(progress.back() == child.device_size);

    // The checkout child of the extracted repository names the commit git names.
    ::mkdir((d / "co").c_str(), 0755);
    CheckoutResult co = checkout_in_child(d / "b/source.git", "main", d / "co", host_jail("checkout"), nullptr);
    CHECK(co.commit_id + "\n" == test::run_host("git -C '" + repo + "' rev-parse HEAD"));
    CHECK(co.tree_id + "\n" == test::run_host("git -C '" + repo + "' rev-parse 'HEAD^{tree}'"));
    CHECK(to_string(read_file(d / "co/sub/b.txt")) == "two\n");
}

TEST_CASE("a hostile disk is refused by the ingest child with its own message", "[parser-child]") {
    TempDir d;
    std::string disk = TarBuilder().file("request.json", R"({"version":1,"argv":["sh"],"source_ref":"m"})")
                           .file("files/../../escape", "x")
                           .finish();
    disk.resize(8192, '\0');
    write_file(d / "in.img", disk);
    ::mkdir((d / "out").c_str(), 0755);
    CHECK_THROWS_WITH(ingest_in_child(d / "in.img", d / "out", {}, host_jail("ingest"), {}, nullptr),
                      ContainsSubstring("input: input disk: entry") && ContainsSubstring("\"..\" in path"));
    CHECK_FALSE(std::filesystem::exists(d / "escape"));
}

TEST_CASE("every way a parser child can end is a clear error of its phase", "[parser-child]") {
    ParserJail j = host_jail("checkout");
    const std::string p = "checkout: ";
    auto run = [&](const std::function<std::string()>& work) { return run_parser_child(j, ReplyKind::checkout, p, work); };
    CHECK_THROWS_WITH(run([]() -> std::string { ::raise(SIGSEGV); return ""; }),
                      ContainsSubstring("checkout: the checkout child was killed by signal 11"));
    CHECK_THROWS_WITH(run([]() -> std::string { ::_exit(3); }),
                      ContainsSubstring("checkout: the checkout child exited with code 3"));
    CHECK_THROWS_WITH(run([] { return std::string("KETTLEP1 garbage"); }),
                      ContainsSubstring("checkout: the checkout child sent an unusable reply: parser reply:"));
    CHECK_THROWS_WITH(run([] { return std::string(kParserReplyMax + 4096, 'x'); }),
                      ContainsSubstring("replied more than"));
    CHECK_THROWS_WITH(run([] { return std::string(); }), ContainsSubstring("no KETTLEP1 magic"));
    ParserReply e = run([]() -> std::string { throw Error("checkout: unknown ref \"x\""); });
    CHECK_FALSE(e.ok);
    CHECK(e.error == "checkout: unknown ref \"x\"");
    ParserReply oom = run([]() -> std::string { throw std::bad_alloc(); });
    CHECK_THAT(oom.error, ContainsSubstring("checkout: out of memory"));
    j.timeout_seconds = 1;
    CHECK_THROWS_WITH(run([]() -> std::string { for (;;) ::pause(); }),
                      ContainsSubstring("checkout: the checkout child did not finish within 1 s and was killed"));
    j.timeout_seconds = 30;
    ParserReply ok = run([] { return encode_checkout_reply(std::string(40, 'a'), std::string(40, 'b')); });
    CHECK((ok.ok && ok.commit_id == std::string(40, 'a')));
}

// What `kettle run` tells the user: the timeout derived from the profile, --source-uri and --require-artifacts,
// the measured shape and the `kettle verify` command line, the guest's warnings, the timeout used, the build.log
// tail of a failed build.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <cstdio>
#include <string>

#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "run_options.hpp"
#include "run_summary.hpp"
#include "toolchain_recipe.hpp"
#include "test_support.hpp"

using namespace kettle;
using namespace kettle::runner;
using Catch::Matchers::ContainsSubstring;

namespace {

RunOptions parse(std::vector<std::string> extra) {
    std::vector<std::string> a{"--source", "/s", "--toolchain", "/t.tar", "--out", "/o"};
    a.insert(a.end(), extra.begin(), extra.end());
    a.insert(a.end(), {"--", "make"});
    return parse_run_args(a);
}

/// What `f` writes to a FILE*, as a string.
template <class F>
std::string captured(F f) {
    std::FILE* t = std::tmpfile();
    REQUIRE(t);
    f(t);
    std::fflush(t);
    std::rewind(t);
    std::string s;
    char b[4096];
    std::size_t n;
    while ((n = std::fread(b, 1, sizeof b, t)) > 0) s.append(b, n);
    std::fclose(t);
    return s;
}

}  // namespace

TEST_CASE("the build timeout defaults to the profile's, a given one wins", "[run-summary]") {
    CHECK(parse({}).timeout == 3600);  // tcg is the default profile
    CHECK(parse({"--profile", "kvm"}).timeout == 600);
    CHECK(parse({"--profile", "snp"}).timeout == 600);
    CHECK(parse({"--timeout", "30"}).timeout == 30);
    CHECK(parse({"--timeout", "30", "--profile", "tcg"}).timeout == 30);
}

TEST_CASE("kettle run options: the source URI and require-artifacts flags", "[run-summary]") {
    RunOptions o = parse({"--source-uri", "https://example.org/x.git", "--require-artifacts"});
    CHECK(o.source_uri == "https://example.org/x.git");
    CHECK(o.require_artifacts);
    CHECK_FALSE(parse({}).require_artifacts);
    CHECK_THROWS_WITH(parse({"--source-uri", "https://x/\x1b[2J"}), ContainsSubstring("control characters"));
    CHECK_THROWS_WITH(parse({"--source-uri", std::string(4097, 'a')}), ContainsSubstring("1..4096 bytes"));
    CHECK_THROWS_WITH(parse({"--source-uri", ""}), ContainsSubstring("1..4096 bytes"));
    RunOptions r;
    apply_request_json(r, parse_strict(R"({"source_uri":"https://e/x.git","require_artifacts":true})"));
    CHECK(r.source_uri == "https://e/x.git");
    CHECK(r.require_artifacts);
    CHECK_THROWS(apply_request_json(r, parse_strict(R"({"require_artifacts":"yes"})")));
}

TEST_CASE("the measured shape and the verify command line", "[run-summary]") {
    RunOptions o = parse({"--vcpus", "2", "--nonce", "00ff", "--image", "my image"});
    Json s = measured_shape(o, "max");
    CHECK(s["vcpus"] == 2);
    CHECK(s["vcpu_type"] == "EPYC-v4");
    CHECK(s["qemu_cpu"] == "max");
    CHECK_THAT(s["note"].get<std::string>(), ContainsSubstring("-cpu max"));
    CHECK(verify_command(o, s) ==
          "kettle verify /o --image 'my image' --vcpus 2 --vcpu-type EPYC-v4 --nonce 00ff --allow-sim");
    RunOptions h = parse({"--profile", "snp", "--out", "it's"});
    CHECK(verify_command(h, measured_shape(h, "EPYC-v4")) ==
          "kettle verify 'it'\\''s' --image build/image --vcpus 2 --vcpu-type EPYC-v4 --no-nonce");
    std::string hint = captured([&](std::FILE* f) {
        print_verify_hint(o, Json{{"launch_digest", std::string(96, 'a')}}, s, f);
    });
    CHECK_THAT(hint, ContainsSubstring("measurement " + std::string(96, 'a') + " (SNP launch digest of my image for 2 vCPU(s) of type EPYC-v4)"));
    CHECK_THAT(hint, ContainsSubstring(" verify /o --image 'my image'"));
    CHECK(verify_command(o, s, "/opt/k dir/kettle").rfind("'/opt/k dir/kettle' verify /o", 0) == 0);
}

TEST_CASE("the guest's warnings and the timeout used", "[run-summary]") {
    Json st{{"warnings", {"artifact pattern \"x/*.so\" matched no regular file", "bad \x1b[31m"}}};
    std::string w = captured([&](std::FILE* f) { print_guest_warnings(st, f); });
    CHECK(w == "kettle run: warning: artifact pattern \"x/*.so\" matched no regular file\n"
               "kettle run: warning: bad \\x1B[31m\n");
    CHECK(captured([&](std::FILE* f) { print_guest_warnings(Json{{"warnings", 3}}, f); }).empty());
    Json run{{"timings", {{"phases", {{{"phase", "boot"}, {"started_s", 1.0}}, {{"phase", "build"}, {"started_s", 10.0}},
                                      {{"phase", "collect"}, {"started_s", 910.0}}}}}}};
    CHECK(timeout_use(run, 3600) == "the build used 900 s of its 3600 s timeout (25%)");
    CHECK(timeout_use(Json::object(), 3600).empty());
}

TEST_CASE("a failed build prints its exit code and the last 20 lines of build.log", "[run-summary]") {
    test::TempDir d;
    std::string log;
    for (int i = 1; i <= 30; ++i) log += "line " + std::to_string(i) + "\n";
    log += "bad \x1b]0;title\x07 end\n";
    write_file(d / "build.log", log);
    std::string t = captured([&](std::FILE* f) { print_log_tail(d.path, Json{{"exit_code", 127}}, f); });
    CHECK_THAT(t, ContainsSubstring("the build command exited with code 127"));
    CHECK_THAT(t, ContainsSubstring("last 20 line(s) of " + d.path + "/build.log:\n  | line 12\n"));
    CHECK(t.find("line 11\n") == std::string::npos);
    CHECK_THAT(t, ContainsSubstring("  | bad \\x1B]0;title\\x07 end\n"));
    CHECK(captured([&](std::FILE* f) { print_log_tail(d / "none", Json::object(), f); }).empty());
}

TEST_CASE("toolchain recipe: the sidecar checked against the toolchain", "[run-summary]") {
    test::TempDir d;
    const std::string tc = d / "tc.img";
    write_file(tc, std::string_view("toolchain bytes"));
    CHECK(checked_recipe_for(tc).empty());
    // The SHA-256 of "toolchain bytes", computed by coreutils' sha256sum (outside oracle).
    const std::string sum = test::run_host("printf 'toolchain bytes' | sha256sum | cut -c1-64");
    Json r{{"schema", "kettle-toolchain-recipe/v1"}, {"toolchain_sha256", sum.substr(0, 64)}};
    write_file(recipe_path(tc), r.dump());
    CHECK(checked_recipe_for(tc) == tc + ".recipe.json");
    CHECK(recipe_schema(recipe_path(tc)) == "kettle-toolchain-recipe/v1");
    r["toolchain_sha256"] = std::string(64, '0');
    write_file(recipe_path(tc), r.dump());
    CHECK_THROWS_WITH(checked_recipe_for(tc), ContainsSubstring("remove or replace the stale recipe"));
    write_file(recipe_path(tc), std::string_view("{\"schema\":\"other\"}"));
    CHECK_THROWS_WITH(checked_recipe_for(tc), ContainsSubstring("not a kettle-toolchain-recipe/v1 or /v2 object"));
}

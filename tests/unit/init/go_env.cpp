// The Go build environment (init/go_env.cpp) and the request rule behind it (kettle/disk/format.hpp
// check_dependency_env). The deps phase checks every module zip and go.mod against go.sum and lays them out in
// /src/.kettle-gomodcache; the provenance then lists each module with its dirHash as checked. The request is the
// host's: GOMODCACHE=/inputs/modcache (the host's extra input files, mounted in the sandbox) with a .ziphash holding
// go.sum's h1 would make the go command build unverified module code (it does not rehash a cached zip) while
// resolvedDependencies still names the checked modules. So a request with "go" in dependencies may not set the
// Go variables that choose where module code comes from (refused when the request is read, in the guest and on
// the host), and go_environment puts ours in place of any such entry.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <string>
#include <vector>

#include "go_env.hpp"
#include "kettle/core/error.hpp"
#include "kettle/pkgdeps/golang.hpp"

using namespace kettle;
using Catch::Matchers::ContainsSubstring;

namespace {

/// The value the go command sees for `name`: the sandbox puts the request's env first, then go_environment's
/// additions (init/sandbox.cpp child_main), and execve's environment keeps one entry per name here.
std::string effective(const BuildRequest& req, const std::string& name) {
    std::vector<std::string> envs;
    for (const auto& [k, v] : req.env) envs.push_back(k + "=" + v);
    init::go_environment(req, envs);
    std::string value;
    int seen = 0;
    for (const auto& e : envs)
        if (e.rfind(name + "=", 0) == 0) value = e.substr(name.size() + 1), ++seen;
    return seen == 1 ? value : "(set " + std::to_string(seen) + " times)";
}

const std::string kCache = std::string("/src/") + pkgdeps::kGoModCacheDir;

}  // namespace

TEST_CASE("go env: a Go build runs against the module cache the deps phase checked, whatever the request's env", "[init][go]") {
    BuildRequest req;
    req.argv = {"/usr/bin/go", "build", "./..."};
    req.dependencies = {"go"};
    CHECK(effective(req, "GOMODCACHE") == kCache);  // the honest request
    CHECK(effective(req, "GOPROXY") == "off");
    CHECK(effective(req, "GOENV") == "off");
    req.env["GOMODCACHE"] = "/inputs/modcache";
    req.env["GOFLAGS"] = "-mod=mod -modfile=/inputs/go.mod";
    req.env["GO111MODULE"] = "off";
    req.env["CGO_ENABLED"] = "0";
    CHECK(effective(req, "GOMODCACHE") == kCache);
    CHECK(effective(req, "GOFLAGS") == "-mod=mod");
    CHECK(effective(req, "GO111MODULE") == "(set 0 times)");
    CHECK(effective(req, "CGO_ENABLED") == "0");  // not a variable that chooses module code: the request's stays
    // Every variable go_environment sets is one the request may not set (else the request's would be dropped silently).
    BuildRequest plain;
    plain.dependencies = {"go"};
    std::vector<std::string> envs;
    init::go_environment(plain, envs);
    CHECK(envs.size() == 8);
    for (const auto& e : envs) CHECK(is_go_locked_env(e.substr(0, e.find('='))));
}

TEST_CASE("go env: without go in dependencies nothing is added or removed", "[init][go]") {
    BuildRequest req;
    req.argv = {"/usr/bin/go", "build"};
    req.dependencies = {"npm"};
    req.env["GOMODCACHE"] = "/somewhere";
    CHECK(effective(req, "GOMODCACHE") == "/somewhere");
    CHECK(effective(req, "GOPROXY") == "(set 0 times)");
}

TEST_CASE("request: env may not set the Go variables that choose module code when dependencies include go", "[init][go]") {
    const std::string head = R"({"version":1,"argv":["go","build"],"source_ref":"m",)";
    CHECK_NOTHROW(parse_request(head + R"("dependencies":["go"],"env":{"CGO_ENABLED":"0","PATH":"/usr/bin"}})"));
    CHECK_NOTHROW(parse_request(head + R"("dependencies":["npm"],"env":{"GOMODCACHE":"/x"}})"));  // no go: not ours
    for (const char* v : kGoLockedEnv) {
        INFO(v);
        CHECK_THROWS_WITH(parse_request(head + R"("dependencies":["go","npm"],"env":{")" + v + R"(":"/inputs/x"}})"),
                          ContainsSubstring(std::string("request: env: ") + v + " may not be set when dependencies include go"));
    }
}

// Review: the Go build environment (init/go_env.cpp). The deps phase checks every module zip and go.mod against
// go.sum and lays them out in /src/.kettle-gomodcache; the provenance then lists each module with its dirHash as
// checked. go_environment lets the request's own env win for every Go variable, and the request is the host's:
// GOMODCACHE=/inputs/modcache (the host's extra input files, mounted in the sandbox) with a .ziphash holding go.sum's
// h1 makes the go command build unverified module code (it does not rehash a cached zip), while resolvedDependencies
// still names the checked modules. The statement records env, but nothing in `kettle verify` looks at it. A build
// with "go" in dependencies must run against the checked cache (or the request must be refused).
#include <catch2/catch_test_macros.hpp>

#include <string>
#include <vector>

#include "go_env.hpp"
#include "kettle/pkgdeps/golang.hpp"

using namespace kettle;

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

}  // namespace

TEST_CASE("review: a Go build runs against the module cache the deps phase checked, whatever the request's env") {
    BuildRequest req;
    req.argv = {"/usr/bin/go", "build", "./..."};
    req.dependencies = {"go"};
    CHECK(effective(req, "GOMODCACHE") == std::string("/src/") + pkgdeps::kGoModCacheDir);  // the honest request
    req.env["GOMODCACHE"] = "/inputs/modcache";
    req.env["GOFLAGS"] = "-mod=mod";
    bool refused = false;
    std::string got;
    try {
        got = effective(req, "GOMODCACHE");
    } catch (const std::exception&) {
        refused = true;
    }
    CHECK((refused || got == std::string("/src/") + pkgdeps::kGoModCacheDir));
}

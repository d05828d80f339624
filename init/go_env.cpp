// The Go build environment (go_env.hpp).
#include "go_env.hpp"

#include <algorithm>

#include "kettle/pkgdeps/golang.hpp"

namespace kettle::init {

void go_environment(const BuildRequest& req, std::vector<std::string>& envs) {
    if (std::find(req.dependencies.begin(), req.dependencies.end(), "go") == req.dependencies.end()) return;
    const std::pair<const char*, std::string> ours[] = {
        {"GOMODCACHE", std::string("/src/") + pkgdeps::kGoModCacheDir},  // the verified cache (deps phase)
        {"GOPROXY", "off"},       // no download from anywhere: the cache is the only source
        {"GOSUMDB", "off"},       // the checksum database is out of reach; go.sum stays the check
        {"GOFLAGS", "-mod=mod"},  // modules from the cache, not a vendor/ directory
        {"GOTOOLCHAIN", "local"}, // Go >= 1.21 would otherwise try to download the toolchain go.mod names
        {"GOENV", "off"},         // no go env file adds variables (GO111MODULE=off, GOWORK, ...)
        {"GOCACHE", "/tmp/go-build"},  // the sandbox has no HOME; the build cache lives on its tmpfs
        {"GOPATH", "/tmp/go"},
    };
    // check_dependency_env refuses a request that sets a locked variable; should one get here anyway, ours wins.
    envs.erase(std::remove_if(envs.begin(), envs.end(),
                              [](const std::string& e) { return is_go_locked_env(std::string_view(e).substr(0, e.find('='))); }),
               envs.end());
    for (const auto& [name, value] : ours) envs.push_back(std::string(name) + "=" + value);
}

}  // namespace kettle::init

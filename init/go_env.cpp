// The Go build environment (go_env.hpp).
#include "go_env.hpp"

#include <algorithm>

#include "kettle/pkgdeps/golang.hpp"

namespace kettle::init {

void go_environment(const BuildRequest& req, std::vector<std::string>& envs) {
    if (std::find(req.dependencies.begin(), req.dependencies.end(), "go") == req.dependencies.end()) return;
    const std::pair<const char*, std::string> defaults[] = {
        {"GOMODCACHE", std::string("/src/") + pkgdeps::kGoModCacheDir},  // the verified cache (deps phase)
        {"GOPROXY", "off"},       // no download from anywhere: the cache is the only source
        {"GOSUMDB", "off"},       // the checksum database is out of reach; go.sum stays the check
        {"GOFLAGS", "-mod=mod"},  // modules from the cache, not a vendor/ directory
        {"GOTOOLCHAIN", "local"}, // Go >= 1.21 would otherwise try to download the toolchain go.mod names
        {"GOCACHE", "/tmp/go-build"},  // the sandbox has no HOME; the build cache lives on its tmpfs
        {"GOPATH", "/tmp/go"},
    };
    for (const auto& [name, value] : defaults)
        if (!req.env.count(name)) envs.push_back(std::string(name) + "=" + value);
}

}  // namespace kettle::init

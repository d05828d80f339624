// The environment a build with Go dependencies runs in (docs/dependencies.md "Go"): the go command pointed at the
// module cache the deps phase laid out, offline.
#pragma once
#include <string>
#include <vector>

#include "kettle/disk/format.hpp"

namespace kettle::init {

/// When `req.dependencies` names "go", remove from `envs` ("NAME=value") every kettle/disk/format.hpp kGoLockedEnv
/// variable and append ours: GOMODCACHE (the checked cache), GOPROXY=off, GOSUMDB=off, GOFLAGS=-mod=mod,
/// GOTOOLCHAIN=local, GOENV=off, GOCACHE and GOPATH. The request check (check_dependency_env) already refuses a
/// request whose env sets one of them; this keeps the build on the checked cache regardless. Nothing changes otherwise.
void go_environment(const BuildRequest& req, std::vector<std::string>& envs);

}  // namespace kettle::init

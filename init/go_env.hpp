// The environment a build with Go dependencies runs in (docs/dependencies.md "Go"): the go command pointed at the
// module cache the deps phase laid out, offline.
#pragma once
#include <string>
#include <vector>

#include "kettle/disk/format.hpp"

namespace kettle::init {

/// When `req.dependencies` names "go", append to `envs` ("NAME=value") each of GOMODCACHE, GOPROXY=off, GOSUMDB=off,
/// GOFLAGS=-mod=mod, GOTOOLCHAIN=local, GOCACHE and GOPATH that `req.env` does not set itself (the request's own
/// value wins: it is part of the attested request). Nothing is appended otherwise.
void go_environment(const BuildRequest& req, std::vector<std::string>& envs);

}  // namespace kettle::init

// PID 1's deps phase (docs/dependencies.md): after the checkout, a parser child reads each named ecosystem's
// lockfile from /src, checks every package file of /work/in/deps/<ecosystem>/ against it and lays the packages out
// under /src; PID 1 gets back only the lockfile digests and the package list (a bounded parser reply).
#pragma once
#include <string>
#include <vector>

#include "kettle/core/json.hpp"
#include "kettle/disk/parser_reply.hpp"

namespace kettle::init {

struct DepsResult {
    std::vector<DepLockfile> lockfiles;
    std::vector<DepPackage> packages;
};

/// Run the deps child (uid 900; sees /work/in/deps read-only and /src writable) for `ecosystems` (the request's
/// "dependencies", sorted). For "debian" it also sees /work/in/files and `toolchain_root` (the verity-opened image's
/// mountpoint or the extracted tarball rootfs) read-only, and checks the recipe's package list against the
/// toolchain's var/lib/dpkg/status (kettle/pkgdeps/debian.hpp verify_debian). Sets status["parser"]["deps"] and
/// status["dependencies"]. Throws Error("deps: ...") naming the package that is missing, extra or wrong.
DepsResult deps_phase(const std::vector<std::string>& ecosystems, const std::string& toolchain_root,
                      const std::vector<std::string>& probes, Json& status);

}  // namespace kettle::init

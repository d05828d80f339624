// Artifact collection in the guest: regular files under the workspace matched by the request's globs.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kettle/core/bytes.hpp"

namespace kettle {

struct Artifact {
    std::string name;   ///< path relative to the workspace root, '/'-separated (also the subject name)
    std::string path;   ///< root + "/" + name
    std::uint64_t size = 0;
    Bytes sha256;       ///< 32 bytes
};

struct ArtifactLimits {
    std::uint64_t max_files = 10'000;            ///< artifacts returned
    std::uint64_t max_total_bytes = 16ull << 30;
    std::uint64_t max_walk_entries = 2'000'000;  ///< directory entries visited
    std::size_t max_depth = 128;
};

/// Match a '/'-separated relative path against a glob: `*`, `?` and `[...]` within one segment (fnmatch(3)
/// without flags), and a whole segment `**` matching zero or more segments.
bool glob_match(std::string_view pattern, std::string_view path);

/// Walk `root` without following any symbolic link (directories are opened with O_NOFOLLOW relative to their
/// parent), match every regular file against `patterns`, hash the matches. Symbolic links, devices, FIFOs and
/// sockets never match. Returns the artifacts sorted by name, each once. Throws Error("artifacts: ...") when a
/// pattern matches no regular file, or a limit is exceeded.
std::vector<Artifact> collect_artifacts(const std::string& root, const std::vector<std::string>& patterns,
                                        const ArtifactLimits& limits = {});

}  // namespace kettle

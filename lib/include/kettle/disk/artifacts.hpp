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
    unsigned max_seconds = 300;                   ///< wall-clock bound of the whole walk and hashing
};

/// Bounds of one artifact pattern (docs/formats.md 1.5).
inline constexpr std::size_t kMaxGlobBytes = 1024;
inline constexpr std::size_t kMaxGlobSegments = 128;

/// Match a '/'-separated relative path against a glob: `*`, `?` and `[...]` within one segment (fnmatch(3)
/// without flags), and a whole segment `**` matching zero or more segments. Runs of `**` count as one; the cost
/// is at most (pattern segments) x (path segments + 1) fnmatch calls.
bool glob_match(std::string_view pattern, std::string_view path);

/// Check a pattern before it is used: relative, non-empty, valid UTF-8, at most kMaxGlobBytes bytes and
/// kMaxGlobSegments segments, no ".." segment. Throws Error("pattern \"...\": <reason>").
void check_glob(std::string_view pattern);

/// Walk `root` without following any symbolic link (directories are opened with O_NOFOLLOW relative to their
/// parent), match every regular file against `patterns`, hash the matches. Symbolic links, devices, FIFOs and
/// sockets never match. Returns the artifacts sorted by name, each once. Throws Error("artifacts: ...") when a
/// pattern is invalid (check_glob) or matches no regular file, when a matched file's path is not valid UTF-8, or
/// when a limit is exceeded (limits.max_seconds included).
std::vector<Artifact> collect_artifacts(const std::string& root, const std::vector<std::string>& patterns,
                                        const ArtifactLimits& limits = {});

}  // namespace kettle

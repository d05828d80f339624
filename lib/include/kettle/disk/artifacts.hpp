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
    /// For a symbolic link: the regular file it resolves to, relative to the workspace root ('/'-separated); the
    /// size and digest are that file's. "" for a regular file.
    std::string link_target;
};

/// What one walk found: the artifacts, the matched links it skipped (one sentence each, at most 100, then one line
/// "... and N more skipped link(s)"), and the patterns that matched nothing it could record.
struct ArtifactCollection {
    std::vector<Artifact> artifacts;
    std::vector<std::string> warnings;
    std::vector<std::string> unmatched;
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
/// parent), match every regular file and symbolic link against `patterns`, hash the matches. A matched link is
/// recorded under its own name with the bytes of the regular file it resolves to, when it resolves beneath `root`
/// (openat2(2) RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV: relative links only, never above the
/// root, no /proc magic links, one file system) to a regular file; a link that is absolute, escapes, loops,
/// dangles or names a directory, device, FIFO or socket is skipped with a warning. Directories are never entered
/// through links; devices, FIFOs and sockets never match. Returns the artifacts sorted by name, each once, and the
/// patterns that recorded nothing. Needs /proc (the target's path is read from /proc/self/fd). Throws
/// Error("artifacts: ...") when a pattern is invalid (check_glob), when a matched path is not valid UTF-8, or when
/// a limit is exceeded (limits.max_seconds included).
ArtifactCollection gather_artifacts(const std::string& root, const std::vector<std::string>& patterns,
                                    const ArtifactLimits& limits = {});

/// The warning for a pattern that recorded nothing (status.json "warnings", the terminal).
std::string unmatched_warning(const std::string& pattern);

/// gather_artifacts, but a pattern that recorded nothing is an error (`--require-artifacts`):
/// Error("artifacts: pattern \"P\" matched no regular file"). Skipped links are not reported here.
std::vector<Artifact> collect_artifacts(const std::string& root, const std::vector<std::string>& patterns,
                                        const ArtifactLimits& limits = {});

}  // namespace kettle

// Host side of `kettle run --deps` (docs/dependencies.md): which ecosystems a commit uses, and every package its
// lockfile pins fetched into a local cache, checked there against the pin (a convenience: the guest checks again,
// and nothing on the host is trusted), and named for the input disk's deps/ member.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace kettle::runner {

struct FetchedDeps {
    std::vector<std::string> ecosystems;                        ///< sorted; the request's "dependencies"
    std::vector<std::pair<std::string, std::string>> members;   ///< ("<ecosystem>/<file>", path in the cache)
    std::uint64_t packages = 0, bytes = 0, downloaded = 0;      ///< package files, their bytes, fetched now
};

/// The ecosystems to check for `commit` of the repository `repo`: `flags` as given (--deps, each "npm", "cargo",
/// "go", "debian" or "none"; "none" alone means no dependencies; "debian" is added from the toolchain's recipe, not
/// here), or, when empty, auto-detected: cargo when the commit's root holds Cargo.lock, go when it holds go.sum, npm
/// when it holds package-lock.json. Sorted. Throws Error.
std::vector<std::string> dependency_ecosystems(const std::vector<std::string>& flags, const std::string& repo,
                                               const std::string& commit);

/// Read each ecosystem's lockfile from `commit` (git show), fetch what it pins into `cache_dir` with curl over
/// https (a file already in the cache with the right digest is reused), check each file's digest, and return the
/// deps/ members. `say` gets one progress line per ecosystem. Throws Error naming the package that failed.
FetchedDeps fetch_dependencies(const std::vector<std::string>& ecosystems, const std::string& repo,
                               const std::string& commit, const std::string& cache_dir);

/// The Go module proxy `--deps go` fetches from: the first entry of $GOPROXY (default https://proxy.golang.org)
/// that is https:// or file:// ("direct" entries are skipped; "off" or nothing usable is an Error).
std::string go_proxy_base();

/// Fetch every module zip and go.mod file the go.sum text pins into `cache`/go/ (h1-<hex>.zip|.mod, reused when its
/// h1 is right), each checked against its h1 before it is kept, and add the deps/go/ members to `out`. Throws Error.
void fetch_go(const std::string& go_sum_text, const std::string& cache, FetchedDeps& out);

/// --deps-cache, else $KETTLE_DEPS_CACHE, else $HOME/.cache/kettle-deps.
std::string default_deps_cache(const std::string& flag);

}  // namespace kettle::runner

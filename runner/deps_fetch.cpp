// `kettle run --deps`: host fetch of dependency packages (deps_fetch.hpp).
#include "deps_fetch.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <unistd.h>

#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/pkgdeps/cargo.hpp"
#include "kettle/pkgdeps/golang.hpp"
#include "kettle/pkgdeps/npm.hpp"
#include "progress.hpp"

namespace fs = std::filesystem;

namespace kettle::runner {

namespace {

/// `git show <commit>:<path>` (at most 64 MiB), or {false, ""} when the commit has no such path. Asked with `git
/// ls-tree` (empty output when absent), not `cat-file -e`, which prints "fatal: path ... does not exist" for every
/// lockfile a commit does not hold. A path that is not a regular file or executable blob is an Error.
std::pair<bool, std::string> git_file(const std::string& repo, const std::string& commit, const std::string& path) {
    auto [st, entry] = run_capture({"git", "-C", repo, "ls-tree", commit, "--", path});
    if (st != 0) throw Error("--deps: cannot list commit " + commit + " (git ls-tree exit " + std::to_string(st) + ")");
    if (entry.empty()) return {false, {}};
    if (entry.rfind("100644 blob ", 0) != 0 && entry.rfind("100755 blob ", 0) != 0)
        throw Error("--deps: " + path + " in commit " + commit + " is not a regular file");
    auto [st2, text] = run_capture({"git", "-C", repo, "show", commit + ":" + path}, std::size_t{64} << 20);
    if (st2 != 0) throw Error("--deps: cannot read " + path + " from commit " + commit);
    return {true, text};
}

/// The cached file `dir`/`member` for `p`, fetched from p.resolved with curl when absent or wrong; its digest is
/// checked either way. `eco` and `lockfile` name the ecosystem in errors.
std::string fetch_one(const pkgdeps::LockedPackage& p, const std::string& dir, const std::string& member,
                      const std::string& eco, const std::string& lockfile, bool& downloaded) {
    std::string path = dir + "/" + member;
    downloaded = false;
    if (fs::is_regular_file(path) && pkgdeps::file_digest(path, p.alg) == p.digest) return path;
    std::string tmp = path + ".part." + std::to_string(::getpid());
    auto [st, out] = run_capture({"curl", "-fsSL", "--proto", "=https", "--retry", "2", "--max-filesize", "1073741824",
                                  "-o", tmp, p.resolved});
    if (st != 0) {
        fs::remove(tmp);
        throw Error("--deps: " + eco + ": cannot fetch " + p.name + "@" + p.version + " from " + p.resolved +
                    (st == -1 ? " (curl is not installed)" : " (curl exit " + std::to_string(st) + ")"));
    }
    if (pkgdeps::file_digest(tmp, p.alg) != p.digest) {
        fs::remove(tmp);
        throw Error("--deps: " + eco + ": " + p.name + "@" + p.version + " from " + p.resolved + " does not match the " +
                    p.alg + " digest " + lockfile + " pins");
    }
    fs::rename(tmp, path);
    downloaded = true;
    return path;
}

void fetch_npm(const std::string& repo, const std::string& commit, const std::string& cache, FetchedDeps& out) {
    auto [present, text] = git_file(repo, commit, pkgdeps::kNpmLockfile);
    if (!present) throw Error("--deps npm: commit " + commit + " has no package-lock.json at its root");
    std::vector<pkgdeps::LockedPackage> pkgs;
    try {
        pkgs = pkgdeps::parse_npm_lock(text);
    } catch (const Error& e) {
        throw Error(std::string("--deps npm: ") + e.what());
    }
    std::string dir = cache + "/npm";
    fs::create_directories(dir);
    std::set<std::string> seen;
    for (const auto& p : pkgs) {
        std::string member = "npm/" + pkgdeps::npm_member_name(p);
        if (!seen.insert(member).second) continue;  // the same tarball at two install paths goes once
        bool fresh = false;
        std::string path = fetch_one(p, dir, pkgdeps::npm_member_name(p), "npm", pkgdeps::kNpmLockfile, fresh);
        out.members.emplace_back(member, path);
        out.packages++;
        out.bytes += fs::file_size(path);
        out.downloaded += fresh ? 1 : 0;
    }
}

/// Every crate Cargo.lock pins (each name@version once), from crates.io's download URL into <cache>/cargo/.
void fetch_cargo(const std::string& repo, const std::string& commit, const std::string& cache, FetchedDeps& out) {
    auto [present, text] = git_file(repo, commit, pkgdeps::kCargoLockfile);
    if (!present) throw Error("--deps cargo: commit " + commit + " has no Cargo.lock at its root");
    std::vector<pkgdeps::LockedPackage> pkgs;
    try {
        pkgs = pkgdeps::parse_cargo_lock(text);
    } catch (const Error& e) {
        throw Error(std::string("--deps cargo: ") + e.what());
    }
    std::string dir = cache + "/cargo";
    fs::create_directories(dir);
    for (const auto& p : pkgs) {
        bool fresh = false;
        std::string member = pkgdeps::cargo_member_name(p);
        std::string path = fetch_one(p, dir, member, "cargo", pkgdeps::kCargoLockfile, fresh);
        out.members.emplace_back("cargo/" + member, path);
        out.packages++;
        out.bytes += fs::file_size(path);
        out.downloaded += fresh ? 1 : 0;
    }
}

}  // namespace

std::string default_deps_cache(const std::string& flag) {
    if (!flag.empty()) return flag;
    if (const char* e = std::getenv("KETTLE_DEPS_CACHE"); e && *e) return e;
    const char* home = std::getenv("HOME");
    return std::string(home && *home ? home : "/tmp") + "/.cache/kettle-deps";
}

std::vector<std::string> dependency_ecosystems(const std::vector<std::string>& flags, const std::string& repo,
                                               const std::string& commit) {
    std::vector<std::string> out;
    if (flags.empty()) {
        if (git_file(repo, commit, pkgdeps::kCargoLockfile).first) out.push_back("cargo");
        if (git_file(repo, commit, pkgdeps::kGoLockfile).first) out.push_back("go");
        if (git_file(repo, commit, pkgdeps::kNpmLockfile).first) out.push_back("npm");
        return out;
    }
    bool none = false;
    for (const auto& f : flags) {
        if (f == "none") none = true;
        else if (f == "debian") continue;  // the toolchain's packages: added from its recipe (add_debian_dependency)
        else if (f != "npm" && f != "cargo" && f != "go")
            throw Error("--deps: unknown ecosystem '" + f + "' (npm, cargo, go, debian, or none)");
        else if (std::find(out.begin(), out.end(), f) == out.end()) out.push_back(f);
    }
    if (none && !out.empty()) throw Error("--deps none cannot be combined with an ecosystem");
    std::sort(out.begin(), out.end());
    return out;
}

FetchedDeps fetch_dependencies(const std::vector<std::string>& ecosystems, const std::string& repo,
                               const std::string& commit, const std::string& cache_dir) {
    FetchedDeps out;
    out.ecosystems = ecosystems;
    for (const auto& e : ecosystems) {
        if (e == "npm") fetch_npm(repo, commit, cache_dir, out);
        else if (e == "cargo") fetch_cargo(repo, commit, cache_dir, out);
        else if (e == "go") {
            auto [present, text] = git_file(repo, commit, pkgdeps::kGoLockfile);
            if (!present) throw Error("--deps go: commit " + commit + " has no go.sum at its root");
            fetch_go(text, cache_dir, out);
        }
        else if (e == "debian") continue;  // nothing to fetch: the packages are the toolchain's own
        else throw Error("--deps " + e + ": not supported by the host fetch");
    }
    return out;
}

}  // namespace kettle::runner

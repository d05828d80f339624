// The package files the host sent for one ecosystem (deps/<ecosystem>/ on the input disk), hashed and indexed by
// digest (lib/pkgdeps, not public). Their names are not trusted: a package is found by its digest only.
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "kettle/pkgdeps/package.hpp"

namespace kettle::pkgdeps::detail {

struct StoredFile {
    std::string name;      ///< file name in the package directory
    std::uint64_t size = 0;
    bool used = false;     ///< some locked package matched it
};

struct Store {
    std::string dir;
    std::vector<StoredFile> files;
    std::map<std::string, std::size_t> by_digest;  ///< "<alg>:<hex>" -> index in files
    std::uint64_t bytes = 0;

    /// The file whose `alg` digest is `digest`, or nullptr.
    StoredFile* find(const std::string& alg, const Bytes& digest);
    /// Throws Error naming the first file no package used ("extra").
    void require_all_used(const std::string& ecosystem, const std::string& lockfile) const;
};

/// List `dir` (regular files only: a link, directory or device is an error), at most limits.max_packages files of
/// at most limits.max_package_bytes each, and hash each with every algorithm in `algs` ("sha512", "sha256",
/// "sha1"). Two files with the same digest are an error (duplicates). Throws Error("deps: <ecosystem>: ...").
Store hash_store(const std::string& dir, const std::set<std::string>& algs, const std::string& ecosystem,
                 const DepsLimits& limits);

/// Every digest in `algs` of the open regular file `fd` of `size` bytes, read to its end. Throws Error(what: ...).
std::map<std::string, Bytes> digests_of(int fd, std::uint64_t size, const std::set<std::string>& algs,
                                        const std::string& what);

/// Read the lockfile `rel` from the checked-out source `src_dir` (a regular file, not a link, within
/// limits.max_lockfile_bytes). Throws Error.
std::string read_lockfile(const std::string& src_dir, const std::string& rel, const DepsLimits& limits);

}  // namespace kettle::pkgdeps::detail

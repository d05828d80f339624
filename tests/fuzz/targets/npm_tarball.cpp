// Fuzz target: the guest's npm tarball extractor (pkgdeps::extract_npm_tarball, lib/pkgdeps/npm_tarball.cpp over
// the shared extractor lib/pkgdeps/package_tar.cpp: a gzip-compressed tar, the first path component stripped, only
// regular files and directories, then the top-level package.json checked against the locked name and version). The
// tarball is a file the host sent, whose digest matched the lockfile: hostile bytes all the same. Extracted under
// /dev/shm into <scratch>/node_modules/mkdirp, emptied after every input. The locked package is mkdirp@1.0.4 (one
// of the seeds, tests/data/npm, with a "bin"); the other seeds get as far as the name check.
// Invariants (pkgdeps_fuzz.hpp): nothing is written outside node_modules/mkdirp; no link is made; an accepted
// tarball gave a package.json (the file exists) and the entry and byte counts stay within the limits.
#include "pkgdeps_fuzz.hpp"
#include "kettle/pkgdeps/npm.hpp"

using namespace kettle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const pkgdeps::LockedPackage p{.name = "mkdirp", .version = "1.0.4", .install_path = "node_modules/mkdirp",
                                          .alg = "sha512", .digest = {}, .resolved = {}};
    static const pkgdeps::DepsLimits lim = fuzz::archive_limits();
    return fuzz::extract_package_archive(
        "npm-tarball", data, size, p.install_path, "package.json", lim,
        [&](int fd, int root_fd, const std::string& dest, std::uint64_t& entries, std::uint64_t& bytes) {
            pkgdeps::extract_npm_tarball(fd, root_fd, dest, p, lim, entries, bytes);
        });
}

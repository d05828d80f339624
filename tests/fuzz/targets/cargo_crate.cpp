// Fuzz target: the guest's .crate extractor (pkgdeps::extract_crate, lib/pkgdeps/cargo_crate.cpp over the shared
// extractor lib/pkgdeps/package_tar.cpp: a gzip-compressed tar whose every entry sits below the top directory
// <name>-<version>/, only regular files and directories, no .cargo-checksum.json of its own, every file hashed, then
// Cargo.toml's [package] name and version checked). The crate is a file the host sent, whose SHA-256 matched
// Cargo.lock: hostile bytes all the same. Extracted under /dev/shm into <scratch>/vendor/kettle-fx-alpha-0.1.0,
// emptied after every input. The locked crate is kettle-fx-alpha@0.1.0 (one of the seeds, tests/data/cargo); the
// other seeds stop at the top directory.
// Invariants (pkgdeps_fuzz.hpp): nothing is written outside vendor/kettle-fx-alpha-0.1.0; no link is made; an
// accepted crate gave a Cargo.toml (the file exists) and the entry and byte counts stay within the limits; here
// also: every file it reports hashed exists below the crate directory, with a 64-hex-digit SHA-256.
#include <fcntl.h>
#include <sys/stat.h>

#include <map>

#include "pkgdeps_fuzz.hpp"
#include "kettle/pkgdeps/cargo.hpp"

using namespace kettle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const pkgdeps::LockedPackage p{.name = "kettle-fx-alpha", .version = "0.1.0", .install_path = {},
                                          .alg = "sha256", .digest = {}, .resolved = {}};
    static const pkgdeps::DepsLimits lim = fuzz::archive_limits();
    return fuzz::extract_package_archive(
        "cargo-crate", data, size, "vendor/kettle-fx-alpha-0.1.0", "Cargo.toml", lim,
        [&](int fd, int root_fd, const std::string& dest, std::uint64_t& entries, std::uint64_t& bytes) {
            auto files = pkgdeps::extract_crate(fd, root_fd, dest, p, lim, entries, bytes);
            KETTLE_FUZZ_CHECK(files.count("Cargo.toml") == 1, "no hash of Cargo.toml");
            for (const auto& [path, sum] : files) {
                KETTLE_FUZZ_CHECK(sum.size() == 64 && sum.find_first_not_of("0123456789abcdef") == std::string::npos,
                                  path + " " + sum);
                struct stat st {};
                KETTLE_FUZZ_CHECK(::fstatat(root_fd, (dest + "/" + path).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                                      S_ISREG(st.st_mode),
                                  "hashed but not a file of the crate: " + path);
            }
        });
}

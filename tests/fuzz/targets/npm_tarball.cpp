// Fuzz target: the guest's npm tarball extractor (pkgdeps::extract_npm_tarball, lib/pkgdeps/npm_tarball.cpp: a
// gzip-compressed tar, every entry below one top directory, only regular files and directories, then the
// top-level package.json checked against the locked name and version). The tarball is a file the host sent, whose
// digest matched the lockfile: hostile bytes all the same. Extracted under /dev/shm into
// <scratch>/node_modules/mkdirp, emptied after every input. The locked package is mkdirp@1.0.4 (one of the seeds,
// tests/data/npm, with a "bin"); the other seeds get as far as the name check.
// Invariants: nothing is written outside node_modules/mkdirp; no link is made; an accepted tarball gave a
// package.json (the file exists) and the entry and byte counts stay within the limits.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include "fuzz.hpp"
#include "kettle/pkgdeps/npm.hpp"

using namespace kettle;
namespace fs = std::filesystem;

namespace {
void check_tree(const std::string& root) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(root, ec))
        KETTLE_FUZZ_CHECK(e.path().filename() == "node_modules", "written outside node_modules: " + e.path().string());
    if (fs::exists(root + "/node_modules", ec))
        for (const auto& e : fs::directory_iterator(root + "/node_modules", ec))
            KETTLE_FUZZ_CHECK(e.path().filename() == "mkdirp", "written outside the package: " + e.path().string());
    for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
        auto st = it->symlink_status(ec);
        KETTLE_FUZZ_CHECK(fs::is_regular_file(st) || fs::is_directory(st), "not a file or directory: " + it->path().string());
    }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string root = fuzz::scratch_dir("npm-tarball");
    static const int root_fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    pkgdeps::LockedPackage p;
    p.name = "mkdirp";
    p.version = "1.0.4";
    p.install_path = "node_modules/mkdirp";
    p.alg = "sha512";
    pkgdeps::DepsLimits lim;
    lim.max_entries = 4096;
    lim.max_package_bytes = 8u << 20;
    lim.max_extracted_bytes = 32u << 20;
    lim.max_manifest_bytes = 64u << 10;
    std::uint64_t entries = 0, bytes = 0;
    int fd = fuzz::memfd_with(ByteView(data, size));
    std::vector<std::pair<std::string, std::string>> bins;
    bool ok = fuzz::accepts([&] { bins = pkgdeps::extract_npm_tarball(fd, root_fd, p.install_path, p, lim, entries, bytes); });
    ::close(fd);
    check_tree(root);
    if (ok) {
        KETTLE_FUZZ_CHECK(fs::is_regular_file(fs::symlink_status(root + "/node_modules/mkdirp/package.json")),
                          "accepted without a package.json");
        KETTLE_FUZZ_CHECK(entries <= lim.max_entries && bytes <= lim.max_extracted_bytes, std::to_string(bytes));
    }
    fuzz::empty_dir(root);
    return 0;
}

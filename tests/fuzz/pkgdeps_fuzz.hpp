// Shared by the dependency targets (tests/fuzz/targets: npm_lock and cargo_lock, the lockfile readers; npm_tarball
// and cargo_crate, the package-archive extractor of lib/pkgdeps/package_tar.hpp under each ecosystem's rules): the
// invariants every lockfile reader keeps, and the scratch-directory harness of an extraction.
#pragma once
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz.hpp"
#include "kettle/pkgdeps/package.hpp"

namespace kettle::fuzz {

/// The packages `parse(text, limits)` accepts from the input, with limits.max_packages = 64; nullopt when it refuses
/// (kettle::Error). Checks what every lockfile reader promises: at most limits.max_packages packages, in strictly
/// increasing `key(package)` order (sorted, each once), each with a name and version that `purl(name, version)`
/// accepts.
template <class Parse, class Key, class Purl>
std::optional<std::vector<pkgdeps::LockedPackage>> locked_packages(const std::uint8_t* data, std::size_t size,
                                                                   Parse parse, Key key, Purl purl) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    pkgdeps::DepsLimits lim;
    lim.max_packages = 64;
    std::vector<pkgdeps::LockedPackage> pkgs;
    if (!accepts([&] { pkgs = parse(text, lim); })) return std::nullopt;
    KETTLE_FUZZ_CHECK(pkgs.size() <= lim.max_packages, std::to_string(pkgs.size()));
    for (std::size_t i = 0; i < pkgs.size(); ++i) {
        const auto& p = pkgs[i];
        if (i > 0) KETTLE_FUZZ_CHECK(key(pkgs[i - 1]) < key(p), "not sorted or twice: " + p.name + "@" + p.version);
        KETTLE_FUZZ_CHECK(accepts([&] { purl(p.name, p.version); }), p.name);
    }
    return pkgs;
}

/// Bounds small enough for a fuzzer: 4096 entries, 8 MiB a file, 32 MiB over the package, 64 KiB a manifest.
inline pkgdeps::DepsLimits archive_limits() {
    pkgdeps::DepsLimits lim;
    lim.max_entries = 4096;
    lim.max_package_bytes = 8u << 20;
    lim.max_extracted_bytes = 32u << 20;
    lim.max_manifest_bytes = 64u << 10;
    return lim;
}

/// True when `rel` (a path below the scratch root) is `dest`, below it, or one of its parent directories.
inline bool on_the_way_to(const std::string& rel, const std::string& dest) {
    return rel == dest || rel.rfind(dest + "/", 0) == 0 || dest.rfind(rel + "/", 0) == 0;
}

/// Everything below `root` lies on the way to or inside `dest` (a relative directory path "a/b"), and is a regular
/// file or a directory (no link).
inline void check_extracted_tree(const std::string& root, const std::string& dest) {
    namespace fs = std::filesystem;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
        std::string rel = fs::relative(it->path(), root, ec).string();
        KETTLE_FUZZ_CHECK(on_the_way_to(rel, dest), "written outside " + dest + ": " + rel);
        auto st = it->symlink_status(ec);
        KETTLE_FUZZ_CHECK(fs::is_regular_file(st) || fs::is_directory(st), "not a file or directory: " + rel);
    }
}

/// One package archive extraction: `extract(tar_fd, root_fd, dest, entries, bytes)` over the input (a memfd) into
/// the scratch directory of `tag` (made once, emptied after every input), which must leave only `dest` and its
/// parents (check_extracted_tree); an accepted archive must have left `dest`/`manifest` as a regular file and kept
/// the counts within `lim`. Returns 0 (libFuzzer's "keep going").
using ExtractFn = std::function<void(int tar_fd, int root_fd, const std::string& dest, std::uint64_t& entries,
                                     std::uint64_t& bytes)>;
inline int extract_package_archive(const char* tag, const std::uint8_t* data, std::size_t size, const std::string& dest,
                                   const std::string& manifest, const pkgdeps::DepsLimits& lim, const ExtractFn& extract) {
    namespace fs = std::filesystem;
    static const std::string root = scratch_dir(tag);
    static const int root_fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    std::uint64_t entries = 0, bytes = 0;
    int fd = memfd_with(ByteView(data, size));
    bool ok = accepts([&] { extract(fd, root_fd, dest, entries, bytes); });
    ::close(fd);
    check_extracted_tree(root, dest);
    if (ok) {
        KETTLE_FUZZ_CHECK(fs::is_regular_file(fs::symlink_status(root + "/" + dest + "/" + manifest)),
                          "accepted without a " + manifest);
        KETTLE_FUZZ_CHECK(entries <= lim.max_entries && bytes <= lim.max_extracted_bytes, std::to_string(bytes));
    }
    empty_dir(root);
    return 0;
}

}  // namespace kettle::fuzz

// One bounded extractor for the package archives of npm (.tgz) and cargo (.crate): a gzip-compressed tar whose
// entries all sit below one top directory, read through libarchive, every entry checked, the top directory
// stripped (lib/pkgdeps, not public). Each ecosystem keeps only its own rule (which top directory, which manifest,
// what the manifest must say) in npm_tarball.cpp and cargo_crate.cpp.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "kettle/pkgdeps/package.hpp"

namespace kettle::pkgdeps::detail {

/// What one ecosystem asks of its package archives.
struct PackageTarRules {
    std::string who;    ///< prefix of every error: "npm package node_modules/x (x@1.0.0)", "cargo crate a@1.0.0"
    std::string label;  ///< names the archive in errors: "tarball", ".crate"
    /// The one top directory every entry must sit below ("a-1.0.0" for a crate). Empty: the first path component
    /// is stripped whatever it is, as npm itself does (npm's tarballs normally use "package/", older ones others).
    std::string top;
    /// The file (a path below the top directory, "package.json", "Cargo.toml") whose bytes are kept for the
    /// ecosystem's own check; at most limits.max_manifest_bytes.
    std::string manifest;
    std::vector<std::string> reserved;  ///< paths below the top directory the package may not hold
    bool hash_files = false;            ///< record the SHA-256 of every file written
};

/// What the extraction kept.
struct PackageTarResult {
    bool have_manifest = false;
    std::string manifest;                        ///< the manifest file's bytes, when have_manifest
    std::map<std::string, std::string> sha256;   ///< path below the top directory -> lower-hex SHA-256 (hash_files)
};

/// Extract the gzip-compressed tar `tar_fd` (read from offset 0; the descriptor is seeked there first) into the
/// directory `dest_rel` below `root_fd`, which this creates (its parents too, none may be a link), stripping the
/// top directory. Checked per entry, in this order (the first failure throws):
///  - the entry count: `entries` (shared by all packages of a set) is incremented and may not pass
///    limits.max_entries;
///  - the type: only regular files and directories; a hard or symbolic link, device, FIFO or socket is refused
///    (links are never followed or made);
///  - the path (kettle::normalize_member_path): not empty, not absolute, no "..", no empty component, no control
///    byte or backslash, valid UTF-8, at most 1024 bytes after normalization and 255 bytes a component (so at most
///    512 components deep); below `rules.top` when that is set; a regular file as the top directory itself is
///    refused; a path in `rules.reserved` is refused;
///  - the size: the header must give one, at most limits.max_package_bytes per file (bytes), the manifest at most
///    limits.max_manifest_bytes; the data must be exactly that size; `bytes` (shared by all packages of a set) may
///    not pass limits.max_extracted_bytes.
/// Directories are opened and files created component by component with O_NOFOLLOW below `root_fd`, files
/// O_EXCL (safe_fs.hpp): a path given twice, or over an existing entry, is refused. Files get mode 0755 when any
/// execute bit is set, else 0644. Throws Error("<rules.who>: <why>"), why naming `rules.label` and the entry for
/// an archive fault ("tarball: \"..\" in path ..."); a partial extraction is left in place for the caller to discard.
PackageTarResult extract_package_tar(int tar_fd, int root_fd, const std::string& dest_rel, const PackageTarRules& rules,
                                     const DepsLimits& limits, std::uint64_t& entries, std::uint64_t& bytes);

/// Throws Error("<rules.who>: <why>"): an ecosystem's own refusal after the extraction (its manifest check),
/// worded like the extractor's.
[[noreturn]] void package_error(const PackageTarRules& rules, const std::string& why);

}  // namespace kettle::pkgdeps::detail

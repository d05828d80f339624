// npm: package-lock.json v2/v3 (docs.npmjs.com "package-lock.json": lockfileVersion, the "packages" map keyed by
// install path, "resolved", "integrity") and the node_modules layout the guest writes from the verified tarballs.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "kettle/pkgdeps/package.hpp"

namespace kettle::pkgdeps {

inline constexpr const char* kNpmLockfile = "package-lock.json";

/// The packages a package-lock.json pins, sorted by install path. Accepts lockfileVersion 2 and 3 only. Skips the
/// root entry ("") and bundled entries ("inBundle": true: their bytes are inside the parent's tarball). Refuses,
/// naming the entry: a key that is not node_modules/<name>(/node_modules/<name>)*, links and workspaces
/// ("link": true), entries without "integrity" (git, file and directory dependencies), a "resolved" that is not
/// https (an absent one becomes npm_registry_url), an integrity without sha512/sha256/sha1, names or versions that are not plain printable text, and
/// more than limits.max_packages entries. Throws Error("package-lock.json: ...").
std::vector<LockedPackage> parse_npm_lock(std::string_view text, const DepsLimits& limits = {});

/// The name an install path ends in: "node_modules/a/node_modules/@s/b" -> "@s/b". Throws Error when `key` is not
/// a node_modules path.
std::string npm_name_from_path(std::string_view key);

/// The registry tarball URL npm uses when a lockfile omits "resolved" (omit-lockfile-registry-resolved):
/// "https://registry.npmjs.org/<name>/-/<name without scope>-<version>.tgz".
std::string npm_registry_url(std::string_view name, std::string_view version);

/// The file name of a package on the input disk (under deps/npm/): "<alg>-<lower hex digest>.tgz". The guest does
/// not trust it: it finds packages by hashing every file.
std::string npm_member_name(const LockedPackage& p);

/// Extract one npm tarball (gzip-compressed tar; the first path component of every entry, normally "package/", is
/// stripped as npm does) into the directory `dest_rel` below `root_fd`, which this creates (its parents too, none
/// may be a link). Only regular files and directories; no links, devices or traversal; no entry twice; paths at
/// most 1024 bytes; each file at most limits.max_package_bytes, package.json at most limits.max_manifest_bytes.
/// The top-level package.json must name `expect.name` at `expect.version`. Returns the package's "bin" map as
/// (command, path in the package). Counts entries and bytes into `entries`/`bytes` against limits.max_entries and
/// limits.max_extracted_bytes. Throws Error("npm package <install path> (<name>@<version>): ..."); the entry
/// checks are those of lib/pkgdeps/package_tar.hpp.
std::vector<std::pair<std::string, std::string>> extract_npm_tarball(int tar_fd, int root_fd, const std::string& dest_rel,
                                                                     const LockedPackage& expect,
                                                                     const DepsLimits& limits,
                                                                     std::uint64_t& entries, std::uint64_t& bytes);

}  // namespace kettle::pkgdeps

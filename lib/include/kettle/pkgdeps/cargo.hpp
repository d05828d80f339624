// cargo: Cargo.lock (https://doc.rust-lang.org/cargo/guide/cargo-toml-vs-cargo-lock.html; the lockfile's
// [[package]] tables with name, version, source, checksum) and the .crate files it pins by SHA-256.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "kettle/pkgdeps/package.hpp"

namespace kettle::pkgdeps {

inline constexpr const char* kCargoLockfile = "Cargo.lock";
/// Where the guest lays out the vendor directory and the source-replacement config, relative to the checkout.
inline constexpr const char* kCargoVendorDir = ".cargo/vendor";
inline constexpr const char* kCargoConfig = ".cargo/config.toml";

/// The registry packages a Cargo.lock pins (version 3 or 4 lockfiles: "version = 3|4" at the top), sorted by name
/// and version. Packages without "source" are the workspace's own (skipped). Refused, naming the package: a git
/// source ("git+..."), a source that is not crates.io's registry, a registry package without "checksum" or with
/// one that is not 64 hex digits, names or versions that are not plain text, the same name@version twice, and
/// more than limits.max_packages packages. Only the subset of TOML that cargo writes is read: `[[package]]`
/// headers, `key = "string"` lines and `dependencies = [...]` arrays (skipped). Throws Error("Cargo.lock: ...").
std::vector<LockedPackage> parse_cargo_lock(std::string_view text, const DepsLimits& limits = {});

/// The file name of a crate on the input disk (under deps/cargo/) and in the host cache: "sha256-<lower hex>.crate".
/// The guest does not trust it: it finds crates by hashing every file.
std::string cargo_member_name(const LockedPackage& p);

/// Extract one `.crate` (gzip-compressed tar, https://doc.rust-lang.org/cargo/reference/registries.html "Download":
/// every entry below the one top directory "<name>-<version>/") into the directory `dest_rel` below `root_fd`,
/// which this creates (its parents too, none may be a link), stripping the top directory. Only regular files
/// (mode 0755 when an execute bit is set, else 0644) and directories; no links, devices, traversal, another top
/// directory, an entry twice, or a .cargo-checksum.json of its own; paths at most 1024 bytes; each file at most
/// limits.max_package_bytes, Cargo.toml at most limits.max_manifest_bytes. The crate's Cargo.toml must exist and
/// its [package] table must name `expect.name` at `expect.version`. Returns every file written as (path in the
/// crate, lower-hex SHA-256), the "files" of .cargo-checksum.json. Counts entries and bytes into `entries`/`bytes`
/// against limits.max_entries and limits.max_extracted_bytes. Throws Error("cargo crate <name>@<version>: ...");
/// the entry checks are those of lib/pkgdeps/package_tar.hpp.
std::map<std::string, std::string> extract_crate(int tar_fd, int root_fd, const std::string& dest_rel,
                                                 const LockedPackage& expect, const DepsLimits& limits,
                                                 std::uint64_t& entries, std::uint64_t& bytes);

/// The name and version of a crate's Cargo.toml: the `name = "..."` and `version = "..."` lines of its [package]
/// table, as cargo writes a published (normalized) manifest. Empty strings when absent.
std::pair<std::string, std::string> crate_manifest_identity(std::string_view cargo_toml);

/// The .cargo-checksum.json of a directory source (https://doc.rust-lang.org/cargo/reference/source-replacement.html
/// "Directory Sources"): {"files": {path: sha256 hex}, "package": "<checksum of the .crate>"}, keys sorted.
std::string cargo_checksum_json(const std::map<std::string, std::string>& files, const std::string& package_hex);

/// The cargo configuration the guest writes to <checkout>/.cargo/config.toml: crates.io replaced by the directory
/// source `vendor_dir` (a path relative to the checkout root, as cargo resolves a config's paths from the parent of
/// its .cargo directory), and net.offline = true (the CARGO_NET_OFFLINE setting).
std::string cargo_source_config(const std::string& vendor_dir);

}  // namespace kettle::pkgdeps

// cargo: Cargo.lock (https://doc.rust-lang.org/cargo/guide/cargo-toml-vs-cargo-lock.html; the lockfile's
// [[package]] tables with name, version, source, checksum) and the .crate files it pins by SHA-256.
#pragma once
#include <string_view>
#include <vector>

#include "kettle/pkgdeps/package.hpp"

namespace kettle::pkgdeps {

/// The registry packages a Cargo.lock pins (version 3 or 4 lockfiles: "version = 3|4" at the top), sorted by name
/// and version. Packages without "source" are the workspace's own (skipped). Refused, naming the package: a git
/// source ("git+..."), a source that is not crates.io's registry, a registry package without "checksum" or with
/// one that is not 64 hex digits, names or versions that are not plain text, the same name@version twice, and
/// more than limits.max_packages packages. Only the subset of TOML that cargo writes is read: `[[package]]`
/// headers, `key = "string"` lines and `dependencies = [...]` arrays (skipped). Throws Error("Cargo.lock: ...").
std::vector<LockedPackage> parse_cargo_lock(std::string_view text, const DepsLimits& limits = {});

}  // namespace kettle::pkgdeps

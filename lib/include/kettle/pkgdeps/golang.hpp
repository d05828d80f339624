// Go modules: go.sum lines and the h1: directory hash of golang.org/x/mod/sumdb/dirhash (Hash1), over a module zip
// (golang.org/x/mod/zip layout: every file under "<module>@<version>/") or a go.mod file.
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kettle/core/bytes.hpp"
#include "kettle/pkgdeps/package.hpp"

namespace kettle::pkgdeps {

/// One go.sum line "<module> <version>[/go.mod] h1:<base64 of 32 bytes>".
struct GoSumEntry {
    std::string module, version;
    bool go_mod = false;  ///< the "/go.mod" line: the hash of the go.mod file alone
    Bytes h1;             ///< 32 bytes
};

/// Parse go.sum (https://go.dev/ref/mod#go-sum-files). Lines with another hash prefix than "h1:" are refused
/// (Go itself ignores unknown prefixes only for future versions; here nothing unverifiable passes). Blank lines are
/// skipped; a module path or version with bytes outside printable ASCII, or a line seen twice, is refused. Throws
/// Error("go.sum: line N: ...").
std::vector<GoSumEntry> parse_go_sum(std::string_view text, const DepsLimits& limits = {});

/// Hash1 (dirhash): SHA-256 over the lines "<lower hex SHA-256 of the file>  <name>\n" of every file, sorted by
/// name; a name holding a newline is an error. `files` are (name, SHA-256 of the content). Returns the 32 bytes
/// that follow "h1:" in base64.
Bytes dirhash_h1(std::vector<std::pair<std::string, Bytes>> files);

/// The h1 of a go.mod file's bytes: Hash1 over the single file named "go.mod".
Bytes gomod_h1(std::string_view gomod);

/// The h1 of the module zip open on `fd` for `module`@`version`: every entry a regular file under
/// "<module>@<version>/" with a safe relative name (no "..", no absolute path, no link, no duplicate), at most
/// limits.max_entries entries and limits.max_extracted_bytes bytes. Throws Error naming the module.
Bytes module_zip_h1(int fd, const std::string& module, const std::string& version, const DepsLimits& limits = {});

}  // namespace kettle::pkgdeps

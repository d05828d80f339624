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

/// The lockfile the guest reads from the checkout, at the source root.
inline constexpr const char* kGoLockfile = "go.sum";
/// The Go module cache the guest lays out, relative to the source root (a dot directory: `go build ./...` skips it).
inline constexpr const char* kGoModCacheDir = ".kettle-gomodcache";

/// Parse go.sum (https://go.dev/ref/mod#go-sum-files). Lines with another hash prefix than "h1:" are refused
/// (Go itself ignores unknown prefixes only for future versions; here nothing unverifiable passes). Blank lines are
/// skipped; a module path or version with bytes outside printable ASCII, or a line seen twice, is refused. Throws
/// Error("go.sum: line N: ...").
std::vector<GoSumEntry> parse_go_sum(std::string_view text, const DepsLimits& limits = {});

/// A module path as the guest accepts it: 1..500 bytes of [A-Za-z0-9-._~+/], '/'-separated elements that are
/// non-empty and neither begin nor end with '.' (so no "." or ".." element), as golang.org/x/mod/module CheckPath
/// asks of a path element. Throws Error("go module <path>: ...").
void check_module_path(std::string_view path);
/// A version as the guest accepts it: 1..128 bytes of [A-Za-z0-9-.+], not beginning with '.'. Throws Error.
void check_module_version(std::string_view module, std::string_view version);

/// golang.org/x/mod/module EscapePath / EscapeVersion: every upper-case ASCII letter becomes '!' and its lower-case
/// form ("github.com/Azure/x" -> "github.com/!azure/x"), so that the module cache is safe on case-insensitive file
/// systems. A '!' in the input is an error (Go refuses it in paths too).
std::string go_escape(std::string_view path_or_version);

/// The name of the input-disk file (deps/go/<name>) that carries the module zip, or the go.mod for a "/go.mod" line:
/// "h1-<64 lower hex of the h1>.zip" or ".mod". Content-addressed like npm's: the guest checks the bytes anyway.
std::string go_member_name(const GoSumEntry& e);

/// Hash1 (dirhash): SHA-256 over the lines "<lower hex SHA-256 of the file>  <name>\n" of every file, sorted by
/// name; a name holding a newline is an error. `files` are (name, SHA-256 of the content). Returns the 32 bytes
/// that follow "h1:" in base64.
Bytes dirhash_h1(std::vector<std::pair<std::string, Bytes>> files);

/// The h1 of a go.mod file's bytes: Hash1 over the single file named "go.mod".
Bytes gomod_h1(std::string_view gomod);

/// The h1 of the module zip open on `fd` for `module`@`version`: every entry a regular file under
/// "<module>@<version>/" with a safe relative name (no "..", no absolute path, no link, no duplicate) whose data is
/// exactly the size its header gives, at most limits.max_entries entries and limits.max_extracted_bytes bytes; a
/// zip libarchive reads only with a warning (a local header and the central directory disagreeing, APPNOTE.TXT
/// 4.3.7 / 4.3.12) is refused. When `repack_fd` >= 0, every entry hashed is also written, in the order read, into a
/// new zip on `repack_fd` (stored, mode 0644, mtime 1980-01-01): the go command, which reads a zip by its central
/// directory, then gets the very names and bytes that were hashed, whatever the original's directory says.
/// Throws Error naming the module.
Bytes module_zip_h1(int fd, const std::string& module, const std::string& version, const DepsLimits& limits = {},
                    int repack_fd = -1);

}  // namespace kettle::pkgdeps

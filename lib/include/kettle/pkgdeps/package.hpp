// Dependencies as verified inputs (docs/dependencies.md): the model shared by every ecosystem — a locked package
// as its lockfile names it, the package URL (purl) that identifies it in the provenance, and the bounds the guest
// applies. Package URL rules: github.com/package-url/purl-spec (PURL-SPECIFICATION.rst, PURL-TYPES.rst).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kettle/core/bytes.hpp"

namespace kettle::pkgdeps {

/// Ecosystems Kettle verifies. Their names are the values of `--deps` and of request.json "dependencies".
inline constexpr const char* kEcosystems[] = {"npm", "cargo", "go", "debian"};
/// True for "npm", "cargo", "go", "debian" ("debian": the toolchain's packages, kettle/pkgdeps/debian.hpp).
bool is_ecosystem(std::string_view name);

/// Digest algorithms a lockfile may pin, by in-toto DigestSet name: "sha512" (64 bytes), "sha256" (32), "sha1" (20).
std::size_t digest_length(std::string_view alg);

/// One package as the lockfile pins it. Nothing here is trusted: it is text from the checked-out commit.
struct LockedPackage {
    std::string name;          ///< ecosystem name ("@types/node", "serde", "golang.org/x/mod")
    std::string version;       ///< exact version as locked
    std::string install_path;  ///< npm: the "packages" key ("node_modules/a/node_modules/b"); else empty
    std::string alg;           ///< digest algorithm (digest_length names them)
    Bytes digest;              ///< the pinned digest of the package file's bytes
    std::string resolved;      ///< where the host fetches it (npm "resolved"); never used in the guest
};

/// A verified package as the provenance records it (docs/buildtype.md "Dependencies").
struct ResolvedPackage {
    std::string purl;  ///< "pkg:npm/%40types/node@20.1.0" (canonical form: type lower-case, encoded namespace/name)
    std::string alg;   ///< DigestSet key
    std::string hex;   ///< lower-case hex digest
    bool operator<(const ResolvedPackage& o) const { return purl != o.purl ? purl < o.purl : hex < o.hex; }
    bool operator==(const ResolvedPackage& o) const { return purl == o.purl && alg == o.alg && hex == o.hex; }
};

/// What the guest verified for one ecosystem: the lockfile it read from the checkout and the packages.
struct VerifiedSet {
    std::string ecosystem;                  ///< "npm", ...
    std::string lockfile;                   ///< path relative to the source root ("package-lock.json")
    Bytes lockfile_sha256;                  ///< 32 bytes, over the lockfile exactly as read
    std::vector<ResolvedPackage> packages;  ///< sorted, no duplicates
    std::uint64_t files = 0, bytes = 0;     ///< package files checked and their total size
};

/// Bounds of the guest's dependency check; none comes from the host or the lockfile.
struct DepsLimits {
    std::uint64_t max_lockfile_bytes = std::uint64_t{64} << 20;  ///< the lockfile as read
    std::uint64_t max_packages = 30'000;                         ///< lockfile entries (kDepPackagesMax)
    std::uint64_t max_package_bytes = std::uint64_t{1} << 30;    ///< one package file (compressed), one file inside it
    std::uint64_t max_entries = 4'000'000;                       ///< tar entries over all packages
    std::uint64_t max_extracted_bytes = std::uint64_t{16} << 30; ///< bytes written over all packages
    std::uint64_t max_manifest_bytes = std::uint64_t{1} << 20;   ///< one package.json or Cargo.toml inside a package
};

/// Percent-encode `s` as a purl component: every byte outside [A-Za-z0-9.-_~] becomes %XX (upper-case hex).
std::string purl_encode(std::string_view s);
/// "pkg:npm/<encoded namespace>/<encoded name>@<encoded version>" for npm names "name" or "@scope/name".
std::string npm_purl(std::string_view name, std::string_view version);
/// "pkg:cargo/<name>@<version>".
std::string cargo_purl(std::string_view name, std::string_view version);
/// "pkg:golang/<module path, each segment encoded>@<version>".
std::string golang_purl(std::string_view module, std::string_view version);
/// "pkg:deb/debian/<name>@<version>?arch=<arch>".
std::string deb_purl(std::string_view name, std::string_view version, std::string_view arch);

/// Parse a Subresource Integrity value (W3C SRI §3.1: space-separated "alg-base64[?options]"). Keeps the strongest
/// supported algorithm (sha512 > sha256 > sha1); returns false when none is supported. Throws Error on bad base64
/// or a digest of the wrong length.
bool parse_sri(std::string_view sri, std::string& alg, Bytes& digest);

/// The `alg` digest ("sha512", "sha256", "sha1") of the regular file `path` (not followed if a link), streamed.
/// Throws Error naming the path.
Bytes file_digest(const std::string& path, const std::string& alg);

/// The guest side: verify the packages of `ecosystem` and lay them out for offline use. `src_dir` is the checked-out
/// source (the lockfile is read from it, never from the host); `pkg_dir` holds the package files the host sent
/// (deps/<ecosystem>/ of the input disk). Throws Error("deps: <ecosystem>: <what>, naming the package>").
VerifiedSet verify_and_lay_out(const std::string& ecosystem, const std::string& src_dir, const std::string& pkg_dir,
                               const DepsLimits& limits = {});

}  // namespace kettle::pkgdeps

// debian: the packages of a toolchain made by `kettle toolchain debian`, identified by the chain apt verified when
// mmdebstrap installed them: the suite's InRelease (clearsigned by the Debian archive key) lists the SHA-256 of
// each Packages index, and each Packages stanza gives the SHA-256 of a .deb (Debian Policy §5 "Control files and
// their fields" for the deb822 syntax; the Debian wiki "DebianRepository/Format" for Release and Packages).
// Everything read here is hostile: the mirror's index on the host, the host's recipe in the guest.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "kettle/pkgdeps/package.hpp"

namespace kettle::pkgdeps {

/// Bounds of the deb822 reader; none comes from the input.
struct Deb822Limits {
    std::uint64_t max_bytes = std::uint64_t{256} << 20;  ///< the whole file (bookworm main amd64 Packages: ~50 MB)
    std::uint64_t max_stanzas = 400'000;                 ///< paragraphs
    std::uint64_t max_stanza_bytes = std::uint64_t{1} << 20;  ///< one paragraph
    std::uint64_t max_fields = 256;                      ///< fields in one paragraph
};

/// One field of a paragraph: its name and value (continuation lines joined with '\n', the leading space kept as
/// in the file, the first line without its leading blanks). Views into the parsed text.
struct Deb822Field {
    std::string_view name, value;
};

/// Read `text` as deb822 paragraphs and call `each` with the fields of every paragraph, in order, with the
/// 1-based line where it starts. Strict: a field line is `Name:` + value with Name of printable ASCII other than
/// ':' and not starting with '#' or '-'; continuation lines start with a space or tab; paragraphs are separated by
/// empty lines; a field twice in one paragraph, a NUL or CR byte, a continuation with no field before it, or
/// anything over `limits` is refused. Throws Error("<what> line N: ...").
void for_each_deb822(std::string_view text, std::string_view what, const Deb822Limits& limits,
                     const std::function<void(const std::vector<Deb822Field>&, std::size_t line)>& each);

/// A package as an installed system or an index names it.
struct DebPackage {
    std::string name, version, architecture;
    std::string filename;  ///< Packages "Filename" (pool/main/...); empty for dpkg status
    std::string sha256;    ///< Packages "SHA256" of the .deb, 64 lower-case hex; empty for dpkg status
    std::uint64_t size = 0;  ///< Packages "Size" of the .deb in bytes
    bool operator<(const DebPackage& o) const;
};

/// Debian package name (Policy §5.6.7: [a-z0-9][a-z0-9+.-]+), version (§5.6.12: [A-Za-z0-9.+~:-], starting with
/// a digit after an optional "epoch:"), architecture ([a-z0-9-]+), each at most 256 bytes.
bool valid_deb_name(std::string_view s);
bool valid_deb_version(std::string_view s);
bool valid_deb_arch(std::string_view s);

/// The packages of a dpkg status file whose files may be on disk, sorted by name then architecture: paragraphs whose
/// Status "<want> <flag> <status>" (dpkg(1) "Package states", deb-status(5)) has any status but "not-installed"
/// and "config-files" (held, deinstall-but-installed, unpacked, half-configured, triggers-* ones too). Field names
/// match without regard to case (Debian Policy §5.1). Refused: a Status of another shape or word (or none), a
/// listed paragraph without a valid Package, Version or Architecture, one name:arch listed twice. The host's recipe
/// and the guest's check both list packages with this function. Throws Error("dpkg status...").
std::vector<DebPackage> dpkg_installed(std::string_view status_text, const Deb822Limits& limits = {});

/// A Release file's identity and the SHA-256 section (Date, Codename, and " <sha256> <size> <path>" lines).
struct DebRelease {
    std::string date, codename, suite;
    struct Entry {
        std::string sha256;  ///< 64 lower-case hex
        std::uint64_t size = 0;
        std::string path;  ///< "main/binary-amd64/Packages"
    };
    std::vector<Entry> sha256;
};

/// Parse an InRelease file (an OpenPGP clearsigned Release, RFC 4880 §7): the signed text between the armour
/// header's blank line and "-----BEGIN PGP SIGNATURE-----", dash-escaping undone, read as one deb822 paragraph.
/// The signature is NOT checked here (apt checked it; the host checks it again with gpgv). Refused: no
/// clearsigned armour, no Date, no SHA256 field, malformed SHA256 lines, more than 100,000 of them, a path twice.
/// Throws Error("InRelease: ...").
DebRelease parse_inrelease(std::string_view text);

/// The entries of a Packages index for the packages in `wanted` (matched by name, version and architecture).
/// Every stanza is checked (Package, Version, Architecture valid; Filename under "pool/" without ".." or control
/// bytes; SHA256 64 lower-case hex; Size decimal); a stanza without one of them, and the same
/// name/version/architecture twice, are refused naming the package. Returns one entry per wanted package found,
/// sorted; a wanted package that is not in the index is simply absent (the caller names it). Throws
/// Error("Packages: ...").
std::vector<DebPackage> packages_index_entries(std::string_view text, const std::vector<DebPackage>& wanted,
                                               const Deb822Limits& limits = {});

/// The guest side (phase `deps`, ecosystem "debian"): check that the packages the host's recipe lists (a
/// kettle-toolchain-recipe/v2 JSON at `recipe_path`, at most 256 KiB) are exactly the installed packages of the
/// toolchain (its `<rootfs>/var/lib/dpkg/status`, read with O_NOFOLLOW, at most 64 MiB): same names, versions and
/// architectures, none missing or extra. Returns the packages as pkg:deb purls with the recipe's .deb SHA-256
/// (the host's claim, see docs/dependencies.md §5) and the recipe's own SHA-256 as the "lockfile". Throws
/// Error("deps: debian: ...") naming the first package that differs.
VerifiedSet verify_debian(const std::string& recipe_path, const std::string& rootfs);

}  // namespace kettle::pkgdeps

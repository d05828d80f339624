// The recipe of a toolchain that `kettle toolchain debian` made: a sidecar file `<toolchain>.recipe.json` beside
// the toolchain (image or tarball, whatever its format), which `kettle run` puts on the input disk as the extra
// input `toolchain.recipe.json`, so the guest records it in the statement (docs/buildtype.md "The toolchain
// recipe"). Everything in it is the host's claim: the guest only measures its bytes.
//
// Schema kettle-toolchain-recipe/v2 (JSON object; docs/formats.md §5.1; v1, without the apt index and the .deb
// digests, is still carried by `kettle run` but gives no pkg:deb dependencies):
//   {"schema":"kettle-toolchain-recipe/v1", "tool":"kettle toolchain debian", "suite":"bookworm",
//    "variant":"essential", "architecture":"amd64", "mirror":"http://deb.debian.org/debian",
//    "include":["build-essential"], "source_date_epoch":1704067200,
//    "archive_read_at":"2026-12-02T08:40:00Z" (when mmdebstrap read the mirror: the archive state it saw),
//    "mmdebstrap":"mmdebstrap 1.3.5",
//    "apt_index":[{"release":"<lists file name>_InRelease","release_sha256":"<64 hex>","date":"Sat, 10 ...",
//                  "codename":"bookworm","packages_indexes":[{"path":"main/binary-amd64/Packages",
//                  "sha256":"<64 hex>","size":N}]}] (the indexes apt verified during the mmdebstrap run),
//    "packages":[{"name":"gcc-12","version":"12.2.0-14","architecture":"amd64","filename":"pool/main/g/...deb",
//                 "sha256":"<64 hex: the .deb's SHA256 as the Packages index lists it>","size":N},..]
//    (every package installed in the rootfs, from its var/lib/dpkg/status, sorted by name then architecture),
//    "toolchain_sha256":"<64 hex>" (SHA-256 of the toolchain file the recipe describes, every byte)}
#pragma once
#include <string>
#include <vector>

#include "kettle/core/json.hpp"

namespace kettle::runner {

/// Largest recipe `kettle run` carries (bytes); a rootfs of ~3000 packages fits.
inline constexpr std::size_t kMaxRecipeBytes = std::size_t{256} * 1024;
/// The name of the extra input the recipe becomes on the input disk (files/<name>, /inputs/<name>).
inline constexpr const char* kRecipeInputName = "toolchain.recipe.json";

/// The "apt_index" and "packages" members of a v2 recipe: the installed packages of `status_text` (a dpkg status
/// file, kettle/pkgdeps/debian.hpp dpkg_installed) each found in the apt lists directory `lists_dir` (the
/// `*_InRelease` and `*_Packages` files apt left after `apt-get update`, copied out of the mmdebstrap run). The
/// chain is checked: each InRelease's OpenPGP signature with `gpgv --keyring <keyring>` (unless `keyring` is
/// empty, for tests), each Packages file's SHA-256 and size listed under SHA256 of an InRelease for a path ending
/// in "/Packages", and each installed package found with exactly its name, version and architecture. Throws Error
/// naming the file or package that fails (a package absent from every index, a Packages file no InRelease lists).
Json debian_manifest(const std::string& status_text, const std::string& lists_dir, const std::string& keyring);

/// Debian's archive keyring, as Debian's debian-archive-keyring package installs it.
inline constexpr const char* kDebianArchiveKeyring = "/usr/share/keyrings/debian-archive-keyring.gpg";

/// The sidecar path of a toolchain file: `<path>.recipe.json`.
std::string recipe_path(const std::string& toolchain);

/// For `kettle run`: when `<toolchain>.recipe.json` exists, check it (a regular file of at most kMaxRecipeBytes,
/// strict JSON, schema kettle-toolchain-recipe/v1 or /v2, toolchain_sha256 equal to the SHA-256 of `toolchain`) and
/// return its path; "" when there is none. Throws Error saying what is wrong (a recipe of another toolchain is
/// refused: it would misdescribe this one).
std::string checked_recipe_for(const std::string& toolchain);

/// `kettle run`: add "debian" to the request's `ecosystems` (kept sorted) when the toolchain's recipe `recipe`
/// (a checked path, or "" for none) is a v2 recipe listing at least one installed package, unless `flags` (--deps)
/// hold "none".
/// `--deps debian` without such a recipe is an error (Error saying to remake the toolchain).
void add_debian_dependency(std::vector<std::string>& ecosystems, const std::vector<std::string>& flags,
                           const std::string& recipe);

/// The schema of the recipe file `path` (already checked by checked_recipe_for): "kettle-toolchain-recipe/v1" or
/// "/v2".
std::string recipe_schema(const std::string& path);

}  // namespace kettle::runner

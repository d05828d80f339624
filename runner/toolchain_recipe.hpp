// The recipe of a toolchain that `kettle toolchain debian` made: a sidecar file `<toolchain>.recipe.json` beside
// the toolchain (image or tarball, whatever its format), which `kettle run` puts on the input disk as the extra
// input `toolchain.recipe.json`, so the guest records it in the statement (docs/buildtype.md "The toolchain
// recipe"). Everything in it is the host's claim: the guest only measures its bytes.
//
// Schema kettle-toolchain-recipe/v1 (JSON object):
//   {"schema":"kettle-toolchain-recipe/v1", "tool":"kettle toolchain debian", "suite":"bookworm",
//    "variant":"essential", "architecture":"amd64", "mirror":"http://deb.debian.org/debian",
//    "include":["build-essential"], "source_date_epoch":1704067200,
//    "archive_read_at":"2026-12-02T08:40:00Z" (when mmdebstrap read the mirror: the archive state it saw),
//    "mmdebstrap":"mmdebstrap 1.3.5", "packages":[{"name":"gcc-12","version":"12.2.0-14","architecture":"amd64"},..]
//    (every package installed in the rootfs, from its var/lib/dpkg/status, sorted by name),
//    "toolchain_sha256":"<64 hex>" (SHA-256 of the toolchain file the recipe describes, every byte)}
#pragma once
#include <string>
#include <vector>

#include "kettle/core/json.hpp"

namespace kettle::runner {

/// Largest recipe `kettle run` carries (bytes); a rootfs of ~3000 packages fits.
inline constexpr std::size_t kMaxRecipeBytes = 256 * 1024;
/// The name of the extra input the recipe becomes on the input disk (files/<name>, /inputs/<name>).
inline constexpr const char* kRecipeInputName = "toolchain.recipe.json";

/// The installed packages of a dpkg status file (deb-control paragraphs): [{"name","version","architecture"}] of
/// every paragraph whose Status ends in " installed", sorted by name. Throws Error on a paragraph without Package
/// or Version.
Json dpkg_installed_packages(const std::string& status_text);

/// The sidecar path of a toolchain file: `<path>.recipe.json`.
std::string recipe_path(const std::string& toolchain);

/// For `kettle run`: when `<toolchain>.recipe.json` exists, check it (a regular file of at most kMaxRecipeBytes,
/// strict JSON, schema kettle-toolchain-recipe/v1, toolchain_sha256 equal to the SHA-256 of `toolchain`) and
/// return its path; "" when there is none. Throws Error saying what is wrong (a recipe of another toolchain is
/// refused: it would misdescribe this one).
std::string checked_recipe_for(const std::string& toolchain);

}  // namespace kettle::runner

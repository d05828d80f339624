// The reply of the guest's parser child to PID 1 (docs/formats.md section 5): what the ingest or checkout child
// found, as a small record that PID 1 decodes with fixed bounds and never as JSON, tar or git.
//
// Layout: the 8 ASCII bytes "KETTLEP1", then fields, each  tag (1 byte) | length (le32) | value (length bytes),
// ending with the field END (tag 0xFF, length 0) as the last bytes. Integers inside values are little-endian.
// Every tag has a maximum length and a maximum count (parser_reply.cpp, kFields); the whole reply is at most
// kParserReplyMax bytes. Unknown tags, repeated single fields, bytes after END, text that is not UTF-8 and names
// that break the path rules of docs/formats.md 1.4 are errors.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "kettle/disk/format.hpp"

namespace kettle {

/// Upper bound of a reply in bytes; PID 1 stops reading (and fails the phase) beyond it. A request.json of 1 MiB
/// and 4096 extra files of 1024-byte names need less than 6 MiB.
inline constexpr std::size_t kParserReplyMax = std::size_t{8} << 20;
/// Longest error message a reply carries (bytes); longer ones are cut on a character boundary when encoded.
inline constexpr std::size_t kParserErrorMax = 4096;

/// Most package records one deps reply carries (over every ecosystem); more is a "huge dependency set" refusal.
inline constexpr std::uint32_t kDepPackagesMax = 30'000;

/// The deps child's record of one ecosystem's lockfile, read from the checkout (docs/formats.md §7).
struct DepLockfile {
    std::string ecosystem;               ///< "npm", "cargo", "go"
    std::string path;                    ///< relative to the source root, normalized
    Bytes sha256;                        ///< 32 bytes, the lockfile as read
    std::uint64_t files = 0, bytes = 0;  ///< package files checked and their total size
};
/// One verified package (kettle/pkgdeps/package.hpp ResolvedPackage, as plain text for the lower layers).
struct DepPackage {
    std::string purl;  ///< "pkg:..." printable ASCII, no spaces, at most 1024 bytes
    std::string alg;   ///< "sha512", "sha256" or "sha1"
    std::string hex;   ///< lower-case hex digest of the algorithm's length
};

/// A decoded reply. `ok` false: `error` holds the child's message (valid UTF-8, at most kParserErrorMax bytes).
struct ParserReply {
    bool ok = false;
    std::string error;
    /// Ingest: request, request_member, toolchain, files, source_digest, source_files, entries, extracted_bytes.
    /// device_size and device_sha256 are never sent: PID 1 measures the device itself.
    IngestResult ingest;
    std::string commit_id, tree_id;  ///< checkout: lower-case hex object ids (40 or 64 digits)
    /// The child's confinement self-check, one line per path it tried to open: "<path>\t<outcome>" where the
    /// outcome is "blocked: <strerror text>" or "OPENED" (at most kParserProbesMax lines, any reply kind).
    std::vector<std::string> probes;
    std::vector<DepLockfile> lockfiles;  ///< deps: one per ecosystem checked
    std::vector<DepPackage> packages;    ///< deps: every verified package, as the child sorted them
};
inline constexpr std::size_t kParserProbesMax = 16;

/// Encode a successful ingest (everything listed for ParserReply::ingest) and the probe lines.
std::string encode_ingest_reply(const IngestResult& r, const std::vector<std::string>& probes = {});
/// Encode a successful checkout.
std::string encode_checkout_reply(std::string_view commit_id, std::string_view tree_id,
                                  const std::vector<std::string>& probes = {});
/// Encode a successful dependency check (at most kDepPackagesMax packages; purls are plain, see DepPackage).
std::string encode_deps_reply(const std::vector<DepLockfile>& lockfiles, const std::vector<DepPackage>& packages,
                              const std::vector<std::string>& probes = {});
/// Encode a failure; the message is made printable (kettle/core/text.hpp) and cut to kParserErrorMax bytes.
std::string encode_error_reply(std::string_view message, const std::vector<std::string>& probes = {});

enum class ReplyKind { ingest, checkout, deps };
/// Decode and check a reply of `kind` (an error reply is accepted for both kinds). An ingest reply must carry
/// a request, the request member, the toolchain and the source summary; its request is validated again with
/// request_from_json. A checkout reply must carry both object ids. Throws Error("parser reply: <reason>").
ParserReply decode_parser_reply(std::string_view bytes, ReplyKind kind);

}  // namespace kettle

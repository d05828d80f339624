// SLSA Provenance v1 in an in-toto Statement v1, as Kettle's guest PID 1 writes it.
// Sources: in-toto/attestation spec/v1 (statement.md, resource_descriptor.md, digest_set.md, field_types.md);
// slsa-framework/slsa releases/v1.2 spec/build-provenance.md. The buildType is documented in docs/buildtype.md.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "kettle/core/json.hpp"

namespace kettle {

inline constexpr const char* kStatementType = "https://in-toto.io/Statement/v1";
inline constexpr const char* kSlsaProvenanceV1 = "https://slsa.dev/provenance/v1";
inline constexpr const char* kKettleBuildType = "https://kettle-build.org/buildtypes/confidential-vm/v1";

/// Attestation mode of a build; it selects builder.id. Each mode is its own trust level.
enum class AttestMode { snp, tdx, sim, none };
/// "snp" | "tdx" | "sim" | "none".
const char* mode_name(AttestMode m);
/// Inverse of mode_name; throws Error for anything else.
AttestMode parse_mode(std::string_view s);
/// "https://kettle-build.org/builders/<mode>/v1".
std::string builder_id(AttestMode m);

/// One subject (artifact) or input with a SHA-256 computed in the guest.
struct NamedDigest {
    std::string name;    ///< artifact path relative to the output root, or an input's name
    std::string sha256;  ///< 64 lower-case hex characters
    std::string uri;     ///< optional ResourceURI
    /// A subject that is a symbolic link: the regular file it resolved to inside the workspace, whose bytes the
    /// digest covers; written as annotations {"symlinkTarget": ...}. "" otherwise.
    std::string symlink_target;
};

/// One dependency package the guest verified against its lockfile (docs/buildtype.md "Dependencies"): recorded as
/// {"uri": purl, "digest": {alg: hex}}.
struct PackageDigest {
    std::string purl;  ///< package URL, "pkg:npm/...", "pkg:cargo/...", "pkg:golang/...", "pkg:deb/debian/..."
    std::string alg;   ///< "sha512", "sha256" or "sha1"
    std::string hex;   ///< lower-case hex
};
/// A lockfile the guest read from the checkout: recorded as {"name": "lockfile/<ecosystem>", "uri": path,
/// "digest": {"sha256": hex}}.
struct LockfileDigest {
    std::string ecosystem;  ///< "npm", "cargo", "go"
    std::string path;       ///< relative to the source root
    std::string sha256;     ///< lower-case hex
};

/// The toolchain as a dm-verity protected image on its own disk (docs/formats.md §5, docs/buildtype.md): its
/// identity is the root hash with the parameters that produced it. Recorded as the "toolchain" dependency with
/// digest {"dmVerityRootHash": root_hash} and the parameters in annotations.
struct ToolchainImageDigest {
    std::string root_hash;               ///< 64 lower-case hex: the dm-verity root hash the guest opened the disk with
    std::string format;                  ///< "erofs+dm-verity/v1"
    std::string hash_algorithm;          ///< "sha256"
    std::string salt;                    ///< lower-case hex
    std::uint64_t data_blocks = 0;       ///< blocks of the EROFS filesystem
    std::uint64_t data_block_size = 0;   ///< bytes (4096)
    std::uint64_t hash_block_size = 0;   ///< bytes (4096)
    std::uint64_t hash_start_block = 0;  ///< first block of the hash tree, in hash blocks from the start of the disk
    std::uint64_t image_bytes = 0;       ///< data, verity superblock and hash tree, bytes
};

/// Image identity baked into the initrd at image build time (/etc/kettle/image.json, see docs/buildtype.md).
struct ImageIdentity {
    std::string kernel_sha256;  ///< hex SHA-256 of the kernel image (bzImage inside the UKI)
    std::string init_sha256;    ///< hex SHA-256 of /init
    std::string cmdline;        ///< the kernel command line baked into the UKI
    /// "kettle_commit": the Kettle git commit `make image` ran at (40 or 64 lower-case hex), "" when the image
    /// does not say (built outside a git checkout, or before the field existed).
    std::string kettle_commit;
    bool kettle_tree_dirty = false;  ///< "kettle_tree_dirty": the work tree differed from kettle_commit
};

/// The VM as observed from inside the guest.
struct VmShape {
    unsigned vcpus = 0;             ///< online CPUs
    std::uint64_t memory_kib = 0;   ///< MemTotal from /proc/meminfo, KiB
    std::string cpu_model;          ///< "model name" of the first CPU in /proc/cpuinfo
};

/// Everything the statement is built from. Every digest must have been computed in the guest.
struct ProvenanceInputs {
    std::vector<NamedDigest> subjects;       ///< every artifact (at least one)
    std::string build_request;               ///< the build request JSON (incl. nonce), becomes externalParameters
    /// Optional hex SHA-256 of the request file exactly as read from the input disk (e.g. the ingest digest of
    /// request.json). Empty: SHA-256(build_request) is used for the "build-request" dependency.
    std::string build_request_sha256;
    std::string source_uri;                  ///< repository URI from the request (may be empty: no uri then)
    std::string git_commit;                  ///< hex commit id that was checked out (40 or 64 hex)
    std::string git_tree;                    ///< hex tree id of that commit
    NamedDigest toolchain;                   ///< the toolchain rootfs tarball (name, sha256 of its bytes), or:
    ToolchainImageDigest toolchain_image;    ///< the toolchain image; used instead when its root_hash is set
    std::vector<NamedDigest> extra_inputs;   ///< every extra input file
    /// The name of the extra input that is the toolchain's recipe (`kettle toolchain debian`'s sidecar, put on the
    /// input disk by `kettle run` as files/toolchain.recipe.json), "" when there is none; and its bytes as read in
    /// the guest (SHA-256 equal to that input's digest, at most 256 KiB). The recipe becomes that dependency's
    /// `content` (base64, mediaType application/json) and the toolchain dependency's annotation "recipe" names it.
    std::string toolchain_recipe_input;
    std::string toolchain_recipe;
    std::string input_disk_sha256;           ///< SHA-256 of the whole input disk (= SNP HOST_DATA / TDX MRCONFIGID)
    std::vector<LockfileDigest> lockfiles;   ///< lockfiles checked in the guest (after input-disk)
    std::vector<PackageDigest> packages;     ///< verified dependency packages (after the lockfiles, sorted by purl)
    Json internal_parameters = Json::object();  ///< limits and sandbox settings (set by init)
    std::string init_version;                ///< kettle-init version
    std::string kernel_version;              ///< uname -r
    ImageIdentity image;
    VmShape vm;
    std::string invocation_id;               ///< globally unique id of this run
    std::string started_on;                  ///< RFC 3339 UTC with Z
    std::string finished_on;                 ///< RFC 3339 UTC with Z
    std::string build_log_sha256;            ///< hex SHA-256 of the build log
    std::string build_log_name = "build.log";
};

/// Build the Statement as a JSON value (keys follow the specs; integers only). Validates every digest
/// (hex, exact length) and timestamp and throws Error naming the bad field.
Json make_statement(const ProvenanceInputs& in, AttestMode mode);

/// The statement bytes S: make_statement(...) serialized once with RFC 8785 (kettle::jcs). No newline.
std::string serialize_statement(const ProvenanceInputs& in, AttestMode mode);

/// Structural rules of in-toto Statement v1 + SLSA provenance v1 (mirrors the in-toto Go validators:
/// go/v1/statement.go, resource_descriptor.go, predicates/provenance/v1/provenance.go). Returns one message per violation, empty when the statement passes.
/// Rules: _type is Statement/v1; subject non-empty, each with a digest; predicateType is provenance/v1;
/// predicate present; buildDefinition.buildType present; externalParameters a non-empty object;
/// runDetails.builder.id present; every ResourceDescriptor has name, uri or digest (and one of uri, digest,
/// content); known digest algorithms are lower-case hex of the exact length; timestamps are RFC 3339 UTC
/// with Z; builder.version values are strings; internalParameters reuse no externalParameters key.
std::vector<std::string> check_statement(const Json& statement);

/// "YYYY-MM-DDThh:mm:ssZ" for `unix_seconds` (UTC).
std::string rfc3339_utc(std::int64_t unix_seconds);
/// rfc3339_utc of the current CLOCK_REALTIME.
std::string rfc3339_utc_now();
/// True for RFC 3339 date-time in UTC with a 'Z' suffix (optional fractional seconds).
bool is_rfc3339_utc(std::string_view s);

/// Parse /etc/kettle/image.json: {"schema":"kettle-image-identity/v1","kernel_sha256":hex,"init_sha256":hex,
/// "cmdline":string, optional "kettle_commit":hex, "kettle_tree_dirty":bool}. Unknown keys are ignored. Throws
/// Error.
ImageIdentity parse_image_identity(std::string_view json_text);
/// Read and parse `path` (default "/etc/kettle/image.json"; at most 64 KiB).
ImageIdentity read_image_identity(const std::string& path = "/etc/kettle/image.json");

/// Observe the VM shape from `proc_root` (default "/proc"): counts "processor" lines in cpuinfo, reads
/// the first "model name" and MemTotal (kB) from meminfo. Throws Error when the files cannot be read.
VmShape observe_vm_shape(const std::string& proc_root = "/proc");

}  // namespace kettle

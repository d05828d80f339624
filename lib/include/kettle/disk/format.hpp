// Kettle input and output disk formats, version 1. The normative description is docs/formats.md.
//
// Input disk (host writes, guest reads once, front to back, from the raw block device):
//   a POSIX tar stream (ustar headers, pax extended headers where needed; no compression at this level)
//   whose members are, in this order:
//     request.json                      the build request (UTF-8 JSON, <= 1 MiB), MUST be the first member
//     source/...                        a bare git repository (directories and regular files only)
//     toolchain.tar | toolchain.tar.zst | toolchain.tar.gz
//                                       the toolchain rootfs, one nested tar member, exactly once, unless the
//                                       request names a toolchain image (its own disk, kettle/disk/verity.hpp);
//                                       then no toolchain member at all
//     files/...                         zero or more extra files (directories and regular files only)
//     deps/<ecosystem>/<file>           zero or more dependency package files (regular files; docs/formats.md 1.8)
//   followed by the tar end-of-archive blocks and any padding up to the device size.
//
// Output disk (guest writes, host reads defensively):
//   offset 0      4096-byte header  : magic "KETTLE-OUTPUT\0\0\0" (16) | le32 version=1 | le32 flags=0 |
//                                     le64 payload_length | sha256(payload) (32) | zero
//   offset 4096   payload           : a POSIX tar stream (ustar/pax) of regular files: status.json, build.log,
//                                     artifacts/<relative path>, and attestation files at the top level
//   offset 4096 + round_up(payload_length, 512)
//                 512-byte trailer  : magic "KETTLE-COMPLETE\0" (16) | le32 version=1 | le32 0 |
//                                     le64 payload_length | sha256(payload) (32) | sha256(header[0:4096]) (32)
//   The trailer is the "complete" marker; it is written (and synced) last.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kettle/core/bytes.hpp"
#include "kettle/core/json.hpp"
#include "kettle/disk/verity.hpp"

namespace kettle {

inline constexpr int kInputFormatVersion = 1;
inline constexpr int kOutputFormatVersion = 1;
inline constexpr std::size_t kOutputHeaderSize = 4096;
inline constexpr std::size_t kOutputTrailerSize = 512;
inline constexpr char kOutputMagic[16] = {'K', 'E', 'T', 'T', 'L', 'E', '-', 'O', 'U', 'T', 'P', 'U', 'T', 0, 0, 0};
inline constexpr char kCompleteMagic[16] = {'K', 'E', 'T', 'T', 'L', 'E', '-', 'C', 'O', 'M', 'P', 'L', 'E', 'T', 'E', 0};

// ---------------------------------------------------------------------------------------------------------------
// Build request (request.json)

/// The build request, version 1. JSON keys are the field names below (see docs/formats.md for the schema);
/// unknown keys are an error.
struct BuildRequest {
    std::vector<std::string> argv;                  ///< non-empty; argv[0] absolute or looked up in env PATH
    std::map<std::string, std::string> env;         ///< the build's whole environment (nothing is inherited)
    std::string workdir = ".";                      ///< relative to /src, no "..", no leading "/"
    std::vector<std::string> artifacts;             ///< globs relative to /src (`*`, `?`, `[..]`, `**`)
    std::uint32_t timeout_seconds = 600;            ///< 1 .. 86400
    std::uint64_t memory_limit_mib = 0;             ///< cgroup memory.max for the build; 0 = guest default
    std::uint32_t pids_limit = 512;                 ///< cgroup pids.max; 8 .. 65536
    std::uint64_t log_limit_bytes = 8u << 20;       ///< build.log keeps the last N bytes; 4 KiB .. 64 MiB
    std::string nonce;                              ///< caller nonce, copied to the provenance (<= 1024 bytes)
    std::string source_uri;                         ///< recorded only (<= 4096 bytes)
    std::string source_ref;                         ///< 40-hex commit id, "refs/..." name, or branch/tag name
    /// "requested_ref": the revision the user named on the host (`kettle run --rev`, e.g. a tag), which the host
    /// resolved to source_ref; recorded only, a host claim (<= 1024 bytes). Absent (not written) when "".
    std::string requested_ref;
    /// "require_artifacts": true = a pattern that records nothing fails the build; false (absent) = a warning.
    bool require_artifacts = false;
    /// "toolchain_image": {"root_hash": 64 hex, "data_blocks": D}: the toolchain is the dm-verity image of that
    /// identity on the toolchain disk (docs/formats.md §5), and the input disk holds no toolchain member.
    /// Absent: the toolchain is the tar member of the input disk (and the key is not written).
    std::optional<ToolchainImageRef> toolchain_image;
    /// "dependencies": ["npm", "cargo", "go"] (each at most once, stored sorted): the ecosystems whose lockfile the
    /// guest reads from the checkout and checks every deps/<ecosystem>/ file against (docs/dependencies.md).
    /// Absent (empty): no check, and the key is not written.
    std::vector<std::string> dependencies;
};

/// The Go variables a request's "env" may not set when its "dependencies" name "go" (docs/dependencies.md §6, `go
/// help environment`): the build must take module code only from the module cache the guest checked against go.sum.
/// Where the go command finds module code: GOMODCACHE, GOPATH (GOPATH mode and the default cache), GO111MODULE
/// (GOPATH mode), GOFLAGS (-modfile, -mod=vendor), GOWORK (a go.work's replace and use), GOENV (a file of further Go
/// variables), GOCACHE (a prepared build cache supplies compiled packages); downloads and checks: GOPROXY,
/// GOSUMDB, GONOSUMDB, GONOPROXY, GOPRIVATE, GOINSECURE, GOVCS, GONOSUMCHECK; toolchain switching: GOTOOLCHAIN.
inline constexpr const char* kGoLockedEnv[] = {"GOMODCACHE", "GOPATH",   "GO111MODULE", "GOFLAGS",   "GOWORK",
                                               "GOENV",      "GOCACHE",  "GOPROXY",     "GOSUMDB",   "GONOSUMDB",
                                               "GONOPROXY",  "GOPRIVATE", "GOINSECURE", "GOVCS",     "GONOSUMCHECK",
                                               "GOTOOLCHAIN"};
/// True when `name` is one of kGoLockedEnv.
bool is_go_locked_env(std::string_view name);
/// The request's rule between "env" and "dependencies": with "go" in dependencies, env sets no kGoLockedEnv
/// variable. Throws Error("request: env: GOMODCACHE ...") naming the first such variable. request_from_json applies
/// it (the guest's request check, and the host before it writes the input disk).
void check_dependency_env(const BuildRequest& r);

/// Serialize a request (all keys, "version": 1).
Json request_to_json(const BuildRequest& r);
/// Validate and convert; throws Error("request: <field>: <reason>").
BuildRequest request_from_json(const Json& j);
/// parse_strict + request_from_json.
BuildRequest parse_request(std::string_view text);

// ---------------------------------------------------------------------------------------------------------------
// Members and digests

/// One member as read or written: its name in the archive, its size in bytes and the SHA-256 of its data.
struct DiskMember {
    std::string name;
    std::uint64_t size = 0;
    Bytes sha256;  ///< 32 bytes
};

// ---------------------------------------------------------------------------------------------------------------
// Input disk: host writer

struct InputDiskSpec {
    BuildRequest request;
    std::string source_dir;      ///< a bare git repository on the host (for a work tree, pass its .git directory)
    std::string toolchain_path;  ///< a file named *.tar, *.tar.zst or *.tar.gz; empty when the request names a
                                 ///< toolchain image (exactly one of the two)
    /// Extra files: (name under files/, host path). Names follow the path rules of docs/formats.md.
    std::vector<std::pair<std::string, std::string>> files;
    /// Dependency package files: (name under deps/, "<ecosystem>/<file>", host path).
    std::vector<std::pair<std::string, std::string>> deps;
};

struct InputDiskInfo {
    std::uint64_t size = 0;           ///< bytes written (a multiple of 512)
    Bytes sha256;                     ///< SHA-256 of the whole file, as the guest computes it over the device
    std::vector<DiskMember> members;  ///< request.json, toolchain.*, files/* (source/ members are not listed)
};

/// Write an input disk image to `out_path` (created or truncated). Deterministic: members sorted, mtime 0,
/// uid/gid 0, modes 0644/0755. Throws Error on unreadable inputs, symlinks or special files in source_dir,
/// or an invalid request.
InputDiskInfo write_input_disk(const InputDiskSpec& spec, const std::string& out_path);

// ---------------------------------------------------------------------------------------------------------------
// Input disk: guest streaming reader ("ingest", lib/disk/ingest.cpp)

/// Bounds applied by the guest; none comes from the host. The defaults are the ceilings; PID 1 lowers
/// max_entries to the free inodes of the workspace tmpfs and max_total_bytes to the memory it can give the
/// extraction (docs/formats.md 1.7), so a limit is reported by name before the tmpfs or the memory runs out.
struct IngestLimits {
    std::uint64_t max_entries = 1'000'000;          ///< entries over both archive levels
    std::uint64_t max_member_bytes = 8ull << 30;    ///< one file's size
    std::uint64_t max_total_bytes = 16ull << 30;    ///< bytes extracted over all levels (decompression bombs)
    std::uint64_t max_files = 4096;                 ///< regular files under files/ (each is listed in the statement)
    std::uint64_t max_dep_files = 50'000;           ///< regular files under deps/
    std::size_t max_path = 1024;                    ///< bytes of a normalized member path
    std::size_t max_request_bytes = 1u << 20;       ///< request.json
    std::size_t max_symlink_target = 1024;
};

struct IngestResult {
    BuildRequest request;
    DiskMember request_member;          ///< request.json
    DiskMember toolchain;               ///< toolchain.tar[.zst|.gz] (the nested member's bytes as stored); empty
                                        ///< name when request.toolchain_image is set (no member, nothing extracted)
    std::vector<DiskMember> files;      ///< files/* regular files, in archive order
    std::uint64_t dep_files = 0;        ///< deps/*/* regular files (their digests are checked by the deps phase)
    Bytes source_digest;                ///< SHA-256 over "<name>\0<sha256 hex>\n" of every source/ file, sorted
    std::uint64_t source_files = 0;
    std::uint64_t device_size = 0;
    Bytes device_sha256;                ///< SHA-256 of every byte of the device, 0 .. device_size
    std::uint64_t entries = 0;
    std::uint64_t extracted_bytes = 0;
};

/// Progress callback: bytes of the device consumed so far, device size.
using IngestProgress = std::function<void(std::uint64_t done, std::uint64_t total)>;

/// Read the input disk from `fd` (a block device or regular file, read sequentially from its current offset,
/// which must be 0) of `device_size` bytes. Extracts into `dest_dir` (which must exist and be empty):
///   dest_dir/source.git/  the bare repository
///   dest_dir/rootfs/      the toolchain rootfs
///   dest_dir/files/       extra files
///   dest_dir/deps/        dependency package files, deps/<ecosystem>/<file> (checked after the checkout)
/// Every regular file is hashed as it is read. Throws Error("input: <member>: <reason>") on the first hostile
/// or malformed entry (see docs/formats.md "Rejected input"); the destination may then be partly written.
IngestResult ingest_input(int fd, std::uint64_t device_size, const std::string& dest_dir,
                          const IngestLimits& limits = {}, const IngestProgress& progress = {});
/// ingest_input reading a stream whose bytes the caller hashes itself (the ingest child reading the pipe that
/// PID 1 fills from the device and hashes): `fd` may be a pipe, `device_size` is the number of bytes that will
/// arrive, and the result's device_sha256 is left empty.
IngestResult ingest_stream(int fd, std::uint64_t device_size, const std::string& dest_dir, const IngestLimits& limits = {});
/// Convenience: open `path` read-only and take its size (BLKGETSIZE64 for block devices).
IngestResult ingest_input_path(const std::string& path, const std::string& dest_dir, const IngestLimits& limits = {},
                               const IngestProgress& progress = {});
/// Size in bytes of an open block device or regular file. Throws Error.
std::uint64_t fd_size(int fd, const std::string& what);

// ---------------------------------------------------------------------------------------------------------------
// Output disk: guest writer

/// Writes the output disk in place on `fd` (not owned). Members are streamed into the payload tar at offset
/// 4096; finish() writes the trailer, then the header, and fsyncs. Throws Error("output: ...") when a member
/// does not fit before the trailer's reserved space or a write fails.
class OutputWriter {
public:
    OutputWriter(int fd, std::uint64_t device_size);
    ~OutputWriter();
    OutputWriter(const OutputWriter&) = delete;
    OutputWriter& operator=(const OutputWriter&) = delete;

    /// Add a regular file member from memory. `name` must be a safe relative path (docs/formats.md).
    DiskMember add_bytes(const std::string& name, ByteView data);
    DiskMember add_bytes(const std::string& name, std::string_view data) { return add_bytes(name, as_bytes(data)); }
    /// Add a regular file member from a file on disk (opened with O_NOFOLLOW; must be a regular file).
    DiskMember add_file(const std::string& name, const std::string& path);
    /// Payload bytes still available (conservative: minus 2 KiB for tar headers and the end blocks).
    std::uint64_t remaining() const;
    /// Close the tar, write trailer and header, fsync. Returns the payload length.
    std::uint64_t finish();

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

// ---------------------------------------------------------------------------------------------------------------
// Output disk: host defensive reader

struct OutputLimits {
    std::uint64_t max_members = 100'000;
    std::uint64_t max_member_bytes = 16ull << 30;
    std::uint64_t max_total_bytes = 64ull << 30;
    std::size_t max_path = 1024;
    std::size_t max_status_bytes = 1u << 20;
};

// bugprone-exception-escape: as for verify::Summary (a Json member, clang-tidy 14).
struct OutputDisk {  // NOLINT(bugprone-exception-escape)
    Json status;                      ///< status.json, parsed strictly
    std::vector<DiskMember> members;  ///< every member, in payload order
    std::uint64_t payload_length = 0;
    Bytes payload_sha256;
};

/// Read an output disk image (file or block device) and extract its members into `dest_dir` (must exist and be
/// empty). Checks the header magic and version, the payload length against the device size, the trailer
/// ("complete" marker) and both digests before extracting anything; then accepts only regular files and
/// directories with safe relative names, no duplicates, within `limits`. status.json must be present.
/// Throws Error("output disk: <reason>").
OutputDisk read_output_disk(const std::string& path, const std::string& dest_dir, const OutputLimits& limits = {});

// ---------------------------------------------------------------------------------------------------------------
// Shared path rule

/// Normalize an archive member path: drop a leading "./", "." components and a trailing "/". Throws Error when
/// the result is empty, absolute, contains "..", an empty component, a control byte or a backslash, or is longer
/// than `max_path` bytes (a component longer than 255 bytes also fails).
std::string normalize_member_path(std::string_view raw, std::size_t max_path);

}  // namespace kettle

// Disks for Google Cloud (profile gcp-tdx): GCP imports and exports a disk as a file named disk.raw in a tar archive
// compressed with gzip (cloud.google.com/compute/docs/import/import-existing-image, "disk.raw ... tar ... gzip";
// `gcloud compute images export` writes the same form by default). Disk sizes are whole GiB ("GB" in gcloud); only
// a test against a fake gcloud sizes them in MiB (DiskSizing::for_tests).
#pragma once
#include <cstdint>
#include <string>

namespace kettle::runner {

inline constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;
inline constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;

/// How the disks of a run are sized: in units of `unit` bytes, at least `min_units`, written `<n><suffix>` in
/// gcloud's --size. GCP: whole GiB ("GB" in gcloud), at least the disk type's minimum (--min-disk-gb). Tests
/// against the fake gcloud (--small-disks-for-testing): whole MiB, at least 1, "MB" — sizes GCP refuses, chosen
/// so that the fake VM's guest hashes a few MiB instead of a GiB under TCG.
struct DiskSizing {
    std::uint64_t unit = kGiB;
    std::uint64_t min_units = 10;
    const char* suffix = "GB";
    static DiskSizing gcp(unsigned min_gb) { return {kGiB, min_gb, "GB"}; }
    static DiskSizing for_tests() { return {kMiB, 1, "MB"}; }
    /// `bytes` rounded up to whole units, at least min_units.
    std::uint64_t units_for(std::uint64_t bytes) const;
    /// gcloud's --size value for `units`, e.g. "10GB".
    std::string size_flag(std::uint64_t units) const { return std::to_string(units) + suffix; }
};

/// Grow the raw disk at `path` with zeros (sparse) to s.units_for(its size) units. Returns the new size in units
/// (at most 64 TiB). The guest hashes every byte of the input device (docs/formats.md §1), so the disk the cloud
/// creates must be exactly this size: the image and the disk get no other size. Throws Error.
std::uint64_t pad_disk(const std::string& path, const DiskSizing& s);

/// Package `raw` (any name) as GCP's import form at `tar_gz`: one member disk.raw in a GNU (oldgnu) tar, holes kept
/// sparse (-S), mtime 0, owner 0:0, compressed with `gzip -n` (no name, no time). Uses the host's GNU tar and gzip
/// in the scratch directory `scratch` (created; `raw` is hard-linked or copied there as disk.raw). Throws Error.
void pack_gcp_disk(const std::string& raw, const std::string& tar_gz, const std::string& scratch);

/// Write a sparse raw disk of `bytes` (default 1 GiB) holding only the blank-output label at offset 0
/// (kettle/disk/roles.hpp): the content of the shared image every output disk is created from.
void write_blank_output_raw(const std::string& path, std::uint64_t bytes = kGiB);

/// Extract disk.raw from an exported image (`tar_gz`, untrusted) into `raw`, with libarchive: the archive must
/// hold exactly one member, a regular file named disk.raw (or ./disk.raw) of at most `max_bytes`; gzip is the only
/// filter and tar the only format accepted. Zero blocks are left as holes. Throws Error("exported disk: ...").
void extract_gcp_disk(const std::string& tar_gz, const std::string& raw, std::uint64_t max_bytes);

}  // namespace kettle::runner

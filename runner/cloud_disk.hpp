// Disks for Google Cloud (profile gcp-tdx): GCP imports and exports a disk as a file named disk.raw in a tar archive
// compressed with gzip (cloud.google.com/compute/docs/import/import-existing-image, "disk.raw ... tar ... gzip";
// `gcloud compute images export` writes the same form by default). Disk sizes are whole GiB ("GB" in gcloud).
#pragma once
#include <cstdint>
#include <string>

namespace kettle::runner {

inline constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;

/// Grow the raw disk at `path` with zeros (sparse) to a whole number of GiB, at least `min_gib`. Returns the new
/// size in GiB. The guest hashes every byte of the input device (docs/formats.md §1), so the disk the cloud
/// creates must be exactly this size: the image and the disk get no other size.
unsigned pad_to_gib(const std::string& path, unsigned min_gib);

/// Package `raw` (any name) as GCP's import form at `tar_gz`: one member disk.raw in a GNU (oldgnu) tar, holes kept
/// sparse (-S), mtime 0, owner 0:0, compressed with `gzip -n` (no name, no time). Uses the host's GNU tar and gzip
/// in the scratch directory `scratch` (created; `raw` is hard-linked or copied there as disk.raw). Throws Error.
void pack_gcp_disk(const std::string& raw, const std::string& tar_gz, const std::string& scratch);

/// Write a 1 GiB sparse raw disk holding only the blank-output label at offset 0 (kettle/disk/roles.hpp): the
/// content of the shared image every output disk is created from.
void write_blank_output_raw(const std::string& path);

/// Extract disk.raw from an exported image (`tar_gz`, untrusted) into `raw`, with libarchive: the archive must
/// hold exactly one member, a regular file named disk.raw (or ./disk.raw) of at most `max_bytes`; gzip is the only
/// filter and tar the only format accepted. Zero blocks are left as holes. Throws Error("exported disk: ...").
void extract_gcp_disk(const std::string& tar_gz, const std::string& raw, std::uint64_t max_bytes);

}  // namespace kettle::runner

// Google Cloud (profile gcp-tdx): the `gcloud` command lines of a one-shot build, as argv vectors (never shell
// strings), and the names of the resources a run creates. Pure data: nothing here runs a command, so every argv is
// unit-tested, and the fake `gcloud` of tests/integration/fake_gcloud.py accepts only the flags that Google's
// reference pages document (cloud.google.com/sdk/gcloud/reference/compute/{images,disks,instances}/...,
// .../storage/{cp,rm}). The flow that runs them is runner/cloud_run.cpp; docs/cloud.md explains each step.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace kettle::runner {

using Argv = std::vector<std::string>;

/// Where a run goes: project, zone, Cloud Storage bucket (name only, without gs://), machine type, disk type.
struct GcpTarget {
    std::string gcloud = "gcloud";
    std::string project, zone, bucket;
    std::string machine_type = "c3-standard-4";
    std::string disk_type = "pd-balanced";
};

/// The resources of one run, all derived from its run id ([a-z0-9-], 1..32 characters, starts with a letter or
/// digit, does not end with '-'), so that parallel runs never collide and `kettle cloud list` finds them by the
/// label kettle-run=<id>. GCE names are at most 63 characters of [a-z0-9-] starting with a letter.
struct CloudNames {
    std::string run_id;
    std::string instance;      ///< kettle-<id>
    std::string input_image;   ///< kettle-<id>-input (also the input disk's name: images and disks are separate)
    std::string input_disk;    ///< kettle-<id>-input
    std::string output_disk;   ///< kettle-<id>-output
    std::string output_image;  ///< kettle-<id>-output (made from the stopped VM's output disk, for the export)
    std::string input_object;  ///< gs://<bucket>/kettle/<id>/input.tar.gz
    std::string output_object; ///< gs://<bucket>/kettle/<id>/output.tar.gz
};

/// Throws Error when `id` is not a valid run id (see CloudNames).
void check_run_id(const std::string& id);
/// A fresh run id: "r" and 12 hex digits from the system's random source.
std::string new_run_id();
CloudNames cloud_names(const std::string& run_id, const std::string& bucket);
/// Throws Error when `name` is not a GCE resource name: 1..63 of [a-z0-9-], first a letter, last not '-'.
void check_gce_name(const std::string& name, const char* what);
/// Throws Error when project, zone or bucket is empty or holds characters outside their documented sets
/// (project [a-z0-9-], zone [a-z0-9-], bucket [a-z0-9._-]): these go into argv and gs:// URLs.
void check_target(const GcpTarget& t);
/// Throws Error, saying what a zone looks like, when `zone` is not of the form REGION-LETTER with REGION ending in a
/// digit (us-central1-a): catches a region or a typo before anything is created.
void check_zone(const std::string& zone);

/// The shared images, keyed by content: "kettle-boot-" + the first 48 hex digits of the SHA-256 of
/// kettle-gcp.tar.gz, and "kettle-blank-" + the same of the blank-output tar.gz.
std::string boot_image_name(const std::string& sha256_hex);
std::string blank_image_name(const std::string& sha256_hex);
/// gs://<bucket>/kettle/images/<image name>.tar.gz: where an image's tar.gz is staged before images create.
std::string image_object(const GcpTarget& t, const std::string& image_name);

// ---- the commands, in the order of a run (docs/cloud.md "What one run does") -------------------------------

/// gcloud auth list --filter=status:ACTIVE --format=value(account): prints the active account, or nothing.
Argv gcloud_auth_check(const GcpTarget& t);
/// gcloud compute zones describe ZONE --project=P --format=value(status): prints UP for a zone the project can use;
/// fails for an unknown zone or a project the account cannot see.
Argv gcloud_zone_describe(const GcpTarget& t);
/// gcloud compute images describe NAME --project=P --format=value(status): prints READY when the image is usable.
Argv gcloud_image_describe(const GcpTarget& t, const std::string& image);
/// gcloud storage cp SRC DST (a local path and a gs:// URL, either way).
Argv gcloud_storage_cp(const GcpTarget& t, const std::string& src, const std::string& dst);
/// gcloud storage rm URL
Argv gcloud_storage_rm(const GcpTarget& t, const std::string& url);
/// gcloud compute images create NAME --project=P --source-uri=URL [--guest-os-features=UEFI_COMPATIBLE,TDX_CAPABLE]
/// --labels=KEY=VALUE --description=TEXT. `bootable` adds the guest OS features of a TDX boot image.
Argv gcloud_image_create_from_uri(const GcpTarget& t, const std::string& image, const std::string& uri, bool bootable,
                                  const std::string& label, const std::string& description);
/// gcloud compute images create NAME --project=P --source-disk=DISK --source-disk-zone=Z --labels=...
Argv gcloud_image_create_from_disk(const GcpTarget& t, const std::string& image, const std::string& disk,
                                   const std::string& label);
/// gcloud compute images export --image=NAME --destination-uri=URL --project=P --zone=Z (a disk.raw, tar + gzip).
Argv gcloud_image_export(const GcpTarget& t, const std::string& image, const std::string& uri);
/// gcloud compute disks create NAME --project=P --zone=Z --image=IMG --image-project=P --size=SIZE --type=T --labels=...
/// `size` is gcloud's form, e.g. "10GB" (DiskSizing::size_flag).
Argv gcloud_disk_create(const GcpTarget& t, const std::string& disk, const std::string& image, const std::string& size,
                        const std::string& label);
/// The instance: TDX, TERMINATE on maintenance, no restart, Secure Boot off, no external IP, no service account,
/// serial port logging on, the boot disk from `boot_image`, the input disk read-only and the output disk
/// read-write, none of them auto-deleted (the run deletes them itself, after reading the output back).
Argv gcloud_instance_create(const GcpTarget& t, const CloudNames& n, const std::string& boot_image, unsigned boot_gb);
/// gcloud compute instances describe NAME --project=P --zone=Z --format=value(status)
Argv gcloud_instance_status(const GcpTarget& t, const std::string& instance);
/// gcloud compute instances get-serial-port-output NAME --project=P --zone=Z --port=1 --start=N --format=json
/// (prints the SerialPortOutput resource: contents, next, start).
Argv gcloud_serial_output(const GcpTarget& t, const std::string& instance, std::uint64_t start);
/// Deletion: instances delete / disks delete (--zone) / images delete, each with --quiet (no prompt).
Argv gcloud_delete(const GcpTarget& t, const std::string& kind, const std::string& name);
/// The describe that tells whether a resource still exists after a failed delete (exit 0: it does).
Argv gcloud_exists(const GcpTarget& t, const std::string& kind, const std::string& name);
/// gcloud compute KIND list --project=P --filter=FILTER --format=value(name,labels.kettle-run), KIND instances,
/// disks or images; `filter` e.g. "labels.kettle-run:*".
Argv gcloud_list(const GcpTarget& t, const std::string& kind, const std::string& filter);

/// One argv as a POSIX shell line (single-quoting what needs it), for --dry-run and run.json.
std::string shell_line(const Argv& argv);

}  // namespace kettle::runner

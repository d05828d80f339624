// `kettle run --profile gcp-tdx`: one build on a one-shot GCP Confidential VM (Intel TDX, C3), driven through the
// user's own gcloud. The steps (docs/cloud.md "What one run does"): preflight, the shared boot and blank-output
// images (uploaded once, keyed by SHA-256), the input image and disks, the instance, the serial console followed
// until the VM stops, the output disk exported and read back with the same defensive reader as a local run, and
// the deletion of everything the run created: on success, on failure, on timeout and on Ctrl-C.
#pragma once
#include <cstdint>
#include <string>

#include "cloud_disk.hpp"
#include "cloud_exec.hpp"
#include "cloud_gcloud.hpp"
#include "cloud_ledger.hpp"
#include "kettle/core/bytes.hpp"
#include "kettle/core/json.hpp"
#include "progress.hpp"

namespace kettle::runner {

/// The cloud part of `kettle run` options.
struct GcpOptions {
    GcpTarget target;
    std::string image_name;     ///< --image-name: the boot image's name; empty: boot_image_name(sha256)
    std::string run_id;         ///< --run-id; empty: new_run_id()
    unsigned min_disk_gb = 10;  ///< --min-disk-gb: smallest disk of the disk type (pd-balanced: 10 GB)
    unsigned poll_seconds = 5;  ///< --poll-seconds: console and status polling interval
    bool dry_run = false;
    bool small_disks = false;   ///< --small-disks-for-testing: MiB disks for a fake gcloud (GCP refuses them)
    DiskSizing sizing() const { return small_disks ? DiskSizing::for_tests() : DiskSizing::gcp(min_disk_gb); }
};

/// What the local part of `kettle run` prepared.
struct CloudBuild {
    std::string image_dir;          ///< holds kettle-gcp.tar.gz
    std::string input_raw;          ///< the input disk (grown to whole units of GcpOptions::sizing() in place)
    std::string work;               ///< scratch directory
    std::string out;                ///< --out: the bundle, console.log, run.json, cloud-resources.json
    std::uint64_t output_bytes = 0; ///< --output-size (rounded up by GcpOptions::sizing())
    unsigned vm_timeout = 0;        ///< seconds from instance creation to the VM's stop
    Json run;                       ///< run.json so far (source, toolchain); the cloud part adds "gcp" and more
};

struct CloudOutcome {
    int code = 3;         ///< 0 ok, 1 build failed, 3 infrastructure (timeout, interrupt, gcloud failure)
    std::string message;  ///< why, when not 0
    Json status;          ///< status.json from the output disk, when it was read
    Bytes input_digest;   ///< SHA-256 of the (grown) input disk; empty after --dry-run (not hashed)
};

/// Run the whole cloud flow. Never leaves a created resource without trying to delete it; what could not be
/// deleted is named in the outcome's message and stays in OUT/cloud-resources.json for `kettle cloud cleanup`.
CloudOutcome run_gcp_build(const GcpOptions& o, CloudBuild& b, Progress& progress);

/// Make sure the boot image (kettle-gcp.tar.gz of `image_dir`) and the blank-output image exist in the project,
/// uploading each once; returns {boot image name, blank image name}. Staging objects are recorded in `ledger`.
std::pair<std::string, std::string> ensure_shared_images(GcloudExec& g, Ledger& ledger, const GcpOptions& o,
                                                         const std::string& image_dir, const std::string& work,
                                                         Progress& progress);

/// Refuse clearly when gcloud is not on PATH or has no active account. Throws Error.
void gcloud_preflight(GcloudExec& g, const GcpTarget& t);
/// Refuse clearly, before anything is created, when the zone does not exist, the project does not, or the account
/// cannot use them (gcloud compute zones describe fails or the zone is not UP). Throws Error.
void gcloud_zone_check(GcloudExec& g, const GcpTarget& t);

}  // namespace kettle::runner

// The resource list of a cloud run (OUT/cloud-resources.json): every resource is recorded *before* the command that
// creates it runs, and marked deleted once its delete succeeded, so that a run killed at any moment leaves a list
// from which `kettle cloud cleanup OUT` deletes what is left. docs/cloud.md "Cleanup".
//
// File (JSON, at most 1 MiB): {"version": 1, "project", "zone", "bucket", "run_id",
//   "resources": [{"kind": "instances"|"disks"|"images"|"objects", "name", "state": "creating"|"created"|"deleted"}]}
// Names are checked on load (GCE names, or gs://<bucket>/kettle/<run_id>/... and gs://<bucket>/kettle/images/...
// objects), so a tampered file cannot smuggle flags or other resources into gcloud's argv.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "cloud_gcloud.hpp"

namespace kettle::runner {

struct LedgerEntry {
    std::string kind, name, state;
};

class Ledger {
public:
    /// `path` empty: in memory only (--dry-run).
    Ledger(std::string path, GcpTarget target, std::string run_id);
    /// Read and check a ledger file. Throws Error.
    static Ledger load(const std::string& path);
    /// Record a resource about to be created (state "creating") and save.
    void creating(const std::string& kind, const std::string& name);
    /// Set the state of a recorded resource and save.
    void set(const std::string& kind, const std::string& name, const std::string& state);
    const std::vector<LedgerEntry>& entries() const { return entries_; }
    const GcpTarget& target() const { return target_; }
    const std::string& run_id() const { return run_id_; }
    void save() const;

private:
    std::string path_;
    GcpTarget target_;
    std::string run_id_;
    std::vector<LedgerEntry> entries_;
};

/// Runs one gcloud argv and returns its exit status (0 = success); set by the caller (real, dry-run or test).
using GcloudCall = std::function<int(const Argv&)>;

/// Delete every resource of `ledger` not yet deleted, newest first (the instance before its disks). A failed
/// delete is followed by a describe (gcloud_exists): a resource that no longer exists counts as deleted. Returns
/// the names left behind (empty: all gone); the ledger is saved after each step.
std::vector<std::string> cleanup_ledger(Ledger& ledger, const GcloudCall& call);

}  // namespace kettle::runner

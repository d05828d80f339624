// Running `gcloud` for a cloud run: each argv is started directly (posix_spawnp, found on PATH; never a shell) in
// its own process group, so that a Ctrl-C at the terminal reaches kettle only; kettle then ends the running gcloud
// (SIGTERM to that process id) and deletes what the run created. In --dry-run mode nothing runs: each command is
// printed as a shell line on the plan stream and answered with a canned reply (image absent, VM terminated).
#pragma once
#include <cstdio>
#include <string>
#include <vector>

#include "cloud_gcloud.hpp"

namespace kettle::runner {

/// Catch SIGINT and SIGTERM for the rest of the process (they set cloud_interrupted()).
void install_cloud_interrupt_handlers();
bool cloud_interrupted();

struct GcloudReply {
    int status = -1;   ///< exit status; -1: could not be started (not on PATH); 128+N: killed by signal N
    std::string out;   ///< stdout, at most 4 MiB
    std::string err;   ///< the last 8 KiB of stderr
};

class GcloudExec {
public:
    GcloudExec(bool dry_run, std::FILE* plan) : dry_(dry_run), plan_(plan) {}
    /// Run `argv`. `abortable`: on an interrupt, end it and return status 130 (cleanup commands pass false).
    GcloudReply run(const Argv& argv, bool abortable = true);
    bool dry_run() const { return dry_; }
    /// Every command run (or planned), as shell lines, in order: for run.json.
    const std::vector<std::string>& log() const { return log_; }

private:
    bool dry_;
    std::FILE* plan_;
    std::vector<std::string> log_;
};

}  // namespace kettle::runner

// The CLI side of the cloud profiles: `kettle run --profile gcp-tdx` after the input disk is made, and
// `kettle cloud upload-image | list | cleanup`. docs/cloud.md.
#pragma once
#include <chrono>
#include <string>

#include "kettle/core/json.hpp"
#include "progress.hpp"
#include "run_options.hpp"

namespace kettle::cli {

/// Run the build of `o` on GCP (runner/cloud_run.hpp) with the input disk `input_img` (grown in place), write
/// run.json (with `run` as its base) and console.log into o.out, and fill `result` (--json). Returns the exit code
/// of `kettle run`: 0, 1 (build failed, or not the committed input disk), 3 (infrastructure). With --dry-run,
/// only the plan is printed (stdout) and nothing is written to o.out.
int run_on_gcp(const runner::RunOptions& o, const std::string& input_img, const std::string& work,
               std::chrono::steady_clock::time_point t_start, Json run, runner::Progress& progress, Json& result);

}  // namespace kettle::cli

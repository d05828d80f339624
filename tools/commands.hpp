// Subcommands of the `kettle` CLI. Each takes the arguments after the subcommand name
// (args[0] is the first option) and returns the process exit code.
#pragma once
#include <string>
#include <vector>

namespace kettle::cli {

using Args = std::vector<std::string>;

int cmd_run(const Args& args);        // runner/run_cmd.cpp
int cmd_measure(const Args& args);    // tools/measure_cmd.cpp
int cmd_verify(const Args& args);     // tools/verify_cmd.cpp
int cmd_verify_report(const Args& args);  // tools/verify_cmd.cpp
int cmd_inspect(const Args& args);    // tools/inspect_cmd.cpp
int cmd_toolchain(const Args& args);  // runner/toolchain_cmd.cpp
int cmd_cloud(const Args& args);      // runner/cloud_cmd.cpp

/// Exit codes shared by every subcommand.
enum Exit : int { kOk = 0, kFailed = 1, kUsage = 2, kInfra = 3 };

}  // namespace kettle::cli

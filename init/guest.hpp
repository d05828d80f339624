// Guest PID 1 internals: console markers, the bounded build log, git checkout and the build sandbox.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <sys/types.h>

#include "kettle/disk/format.hpp"

namespace kettle::init {

// ---- console (docs/formats.md "Console markers") ----
/// "KETTLE-PHASE <phase>" or "KETTLE-PHASE <phase> <pct>%" on the console.
void phase_marker(const std::string& phase, int percent = -1);
/// "kettle-init: <msg>" on the console, and appended to the build log.
void say(const std::string& msg);

/// build.log: keeps the last `limit` bytes, counts everything, echoes whole lines to the console as "build| ...".
class BuildLog {
public:
    void set_limit(std::uint64_t limit) { limit_ = limit; }
    void append(std::string_view data, bool echo);
    void flush_echo();
    std::string tail() const;  ///< the kept bytes (a note is prepended when the head was dropped)
    std::uint64_t total() const { return total_; }
    bool truncated() const { return total_ > buf_.size(); }

private:
    std::uint64_t limit_ = 8u << 20, total_ = 0;
    std::string buf_, line_;
};
BuildLog& build_log();

// ---- checkout ----
struct CheckoutResult {
    std::string commit_id, tree_id;
};
/// Resolve `ref` (40-hex commit id, "refs/..." name, or a branch then tag name) in the bare repository
/// `repo_dir` and write its tree into `dest` (an existing empty directory) with libgit2, filters disabled.
/// Throws Error("checkout: ...") for an unknown ref or any libgit2 failure.
CheckoutResult checkout(const std::string& repo_dir, const std::string& ref, const std::string& dest);
/// lchown every entry under `root` (not following links) to uid/gid.
void chown_tree(const std::string& root, uid_t uid, gid_t gid);

// ---- sandbox ----
struct SandboxConfig {
    std::string rootfs;  ///< extracted toolchain rootfs
    std::string src;     ///< workspace, bind-mounted read-write at /src
    std::string files;   ///< extra files, bind-mounted read-only at /inputs
    BuildRequest request;
    uid_t uid = 1000;
    gid_t gid = 1000;
    std::uint64_t memory_max = 256u << 20;  ///< cgroup memory.max, bytes
    std::uint64_t tmp_size = 64u << 20;     ///< tmpfs at /tmp, bytes
};
struct SandboxResult {
    int exit_code = -1;     ///< the command's exit code, or 128 + signal
    int signal = 0;         ///< signal that ended the command (0 when it exited)
    bool timed_out = false;
    bool oom_killed = false;
    std::string setup_error;  ///< non-empty when the sandbox could not be set up (the command never ran)
};
/// Run the build as docs/architecture.md §2 and docs/formats.md §4 say; returns once every process of the build is dead.
/// Output goes to build_log(). Throws Error only for failures of PID 1 itself (cgroup, clone).
SandboxResult run_sandbox(const SandboxConfig& cfg);

}  // namespace kettle::init

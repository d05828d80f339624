// Confinement tools shared by the build sandbox (sandbox.cpp) and the parser child (parser_child.cpp): a cgroup v2
// group with memory and pids limits, rlimits, and the one-way drop of privileges. docs/formats.md §4 and §7.
#pragma once
#include <cstdint>
#include <string>
#include <sys/types.h>

namespace kettle::init {

/// A cgroup v2 directory /sys/fs/cgroup/<name> (cgroup2 mounted there by PID 1). Linux
/// Documentation/admin-guide/cgroup-v2.rst: memory.max, memory.swap.max, memory.oom.group, pids.max,
/// cgroup.procs, cgroup.kill, cgroup.events, memory.events.
class Cgroup {
public:
    /// Create the group (a stale empty one of the same name is removed first), with the memory and pids
    /// controllers enabled in the root, memory.max = `memory_max` bytes, memory.swap.max 0, memory.oom.group 1
    /// (an OOM kills the whole group), and pids.max = `pids_max` when it is non-zero. Throws Error.
    Cgroup(std::string name, std::uint64_t memory_max, std::uint64_t pids_max);
    /// Kills what is left and removes the directory (best effort).
    ~Cgroup();
    Cgroup(const Cgroup&) = delete;
    Cgroup& operator=(const Cgroup&) = delete;

    /// In a child: move the calling process into the group ("0" to cgroup.procs). False on failure.
    bool join_self() const;
    /// SIGKILL every process of the group (cgroup.kill; each listed pid on kernels before 5.14).
    void kill() const;
    /// cgroup.events says "populated 0".
    bool empty() const;
    /// memory.events counts at least one oom_kill.
    bool oom_killed() const;
    /// Kill and reap (waitpid(-1) of PID 1's children) until the group is empty, for at most ~5 s.
    /// Returns false when processes survive.
    bool drain() const;
    std::uint64_t memory_max() const { return memory_max_; }
    const std::string& path() const { return path_; }

private:
    std::string path_;
    std::uint64_t memory_max_;
};

/// Resource limits of a confined process (setrlimit(2), soft = hard): RLIMIT_CORE 0, RLIMIT_MEMLOCK 0,
/// RLIMIT_MSGQUEUE 64 bytes, RLIMIT_NOFILE `nofile`, RLIMIT_NPROC `nproc` (per uid, threads included).
void apply_rlimits(std::uint64_t nofile, std::uint64_t nproc);

/// Drop root for good, in this order: empty the capability bounding set, no supplementary groups, real/effective/
/// saved gid and uid (which also clears the permitted and effective capabilities), no_new_privs, ambient
/// capabilities cleared. Returns nullptr on success, else the name of the step that failed (errno is set).
const char* drop_privileges(uid_t uid, gid_t gid);

/// Bytes of memory PID 1 may hand to a child: MemAvailable (/proc/meminfo) minus `reserve`, at least `floor`.
std::uint64_t memory_for_child(std::uint64_t reserve, std::uint64_t floor);

/// Read at most `max` bytes of a small text file (sysfs, procfs); "" when it cannot be opened.
std::string read_text_file(const std::string& path, std::size_t max = 65536);

/// The value of `key` (e.g. "MemTotal:", with the colon) in /proc/meminfo, in KiB; 0 when absent.
std::uint64_t meminfo_kib(const char* key);

/// Write `text` to a sysfs/cgroupfs file; false on failure.
bool write_text_file(const std::string& path, const std::string& text);

}  // namespace kettle::init

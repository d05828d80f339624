// Starting a host command for `kettle run` and `kettle cloud`: the argv is started directly with posix_spawnp
// (found on PATH, never through a shell), stdin from /dev/null, stdout and stderr to the given descriptors, and an
// empty signal mask. By default the child gets a process group of its own, so that a Ctrl-C at the terminal
// reaches kettle only and kettle decides what to end (QEMU, gcloud).
#pragma once
#include <sys/types.h>

#include <string>
#include <vector>

namespace kettle::runner {

struct SpawnOptions {
    /// POSIX_SPAWN_SETPGROUP with group 0: the child leads a new process group (its id is the child's pid).
    bool own_process_group = true;
    /// Signals set back to SIG_DFL in the child (POSIX_SPAWN_SETSIGDEF), e.g. SIGINT and SIGTERM when kettle
    /// may have set them to be ignored; empty: the child inherits the dispositions exec leaves.
    std::vector<int> default_signals;
};

/// Start `argv` (argv[0] looked up on PATH). `out_fd` / `err_fd` become the child's stdout / stderr (-1: kettle's
/// own is inherited). Returns the child's pid, or -1 with errno set (EINVAL for an empty argv, else posix_spawnp's
/// error, e.g. ENOENT when the program is not on PATH). The caller reaps the child with waitpid.
pid_t spawn_process(const std::vector<std::string>& argv, int out_fd, int err_fd, const SpawnOptions& opts = {});

}  // namespace kettle::runner

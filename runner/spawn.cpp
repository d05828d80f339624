// Starting a host command. See spawn.hpp.
#include "spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>

#include <cerrno>

extern char** environ;

namespace kettle::runner {

pid_t spawn_process(const std::vector<std::string>& argv, int out_fd, int err_fd, const SpawnOptions& opts) {
    if (argv.empty()) { errno = EINVAL; return -1; }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (out_fd >= 0) posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    if (err_fd >= 0) posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    short flags = POSIX_SPAWN_SETSIGMASK;
    if (opts.own_process_group) flags |= POSIX_SPAWN_SETPGROUP;
    if (!opts.default_signals.empty()) flags |= POSIX_SPAWN_SETSIGDEF;
    posix_spawnattr_setflags(&at, flags);
    if (opts.own_process_group) posix_spawnattr_setpgroup(&at, 0);
    sigset_t none, deflt;
    sigemptyset(&none);
    sigemptyset(&deflt);
    for (int sig : opts.default_signals) sigaddset(&deflt, sig);
    posix_spawnattr_setsigmask(&at, &none);
    if (!opts.default_signals.empty()) posix_spawnattr_setsigdefault(&at, &deflt);
    std::vector<char*> av;
    av.reserve(argv.size() + 1);
    for (auto& s : argv) av.push_back(const_cast<char*>(s.c_str()));
    av.push_back(nullptr);
    pid_t pid = -1;
    int rc = posix_spawnp(&pid, av[0], &fa, &at, av.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (rc != 0) { errno = rc; return -1; }
    return pid;
}

}  // namespace kettle::runner

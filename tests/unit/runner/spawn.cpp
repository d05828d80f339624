// spawn_process: the options are held to what the kernel reports (the child's process group, how it ends), not to
// values our code prints.
#include <catch2/catch_test_macros.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "spawn.hpp"

using namespace kettle::runner;

namespace {
int wait_status(pid_t pid) {
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    return st;
}

// Runs `sh -c 'kill -INT $$; exit 7'` while kettle ignores SIGINT; the wait status.
int sh_sending_itself_sigint(const SpawnOptions& opts) {
    struct sigaction ign{}, old{};
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    ::sigaction(SIGINT, &ign, &old);
    pid_t pid = spawn_process({"sh", "-c", "kill -INT $$; exit 7"}, -1, -1, opts);
    ::sigaction(SIGINT, &old, nullptr);
    REQUIRE(pid > 0);
    return wait_status(pid);
}
}  // namespace

TEST_CASE("spawn_process puts the child in a process group of its own unless told not to", "[runner][spawn]") {
    pid_t own = spawn_process({"sleep", "5"}, -1, -1);
    REQUIRE(own > 0);
    CHECK(::getpgid(own) == own);
    ::kill(own, SIGKILL);
    wait_status(own);

    pid_t shared = spawn_process({"sleep", "5"}, -1, -1, {.own_process_group = false, .default_signals = {}});
    REQUIRE(shared > 0);
    CHECK(::getpgid(shared) == ::getpgrp());
    ::kill(shared, SIGKILL);
    wait_status(shared);
}

TEST_CASE("spawn_process sets the listed signals back to their default action", "[runner][spawn]") {
    int inherited = sh_sending_itself_sigint({});
    CHECK(WIFEXITED(inherited));
    CHECK(WEXITSTATUS(inherited) == 7);
    int deflt = sh_sending_itself_sigint({.default_signals = {SIGINT, SIGTERM}});
    CHECK(WIFSIGNALED(deflt));
    CHECK(WTERMSIG(deflt) == SIGINT);
}

TEST_CASE("spawn_process fails with errno for a missing program or an empty argv", "[runner][spawn]") {
    errno = 0;
    CHECK(spawn_process({"kettle-no-such-program-on-path"}, -1, -1) == -1);
    CHECK(errno == ENOENT);
    errno = 0;
    CHECK(spawn_process({}, -1, -1) == -1);
    CHECK(errno == EINVAL);
}

// Running gcloud. See cloud_exec.hpp.
#include "cloud_exec.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "spawn.hpp"

namespace kettle::runner {

namespace {

volatile std::sig_atomic_t g_cloud_interrupt = 0;
void on_cloud_signal(int) { g_cloud_interrupt = 1; }

// A canned answer for --dry-run: every image is absent (so the plan shows the upload), the VM has terminated.
GcloudReply dry_reply(const Argv& a) {
    auto has = [&](const char* w) { for (auto& x : a) if (x == w) return true; return false; };
    if (has("images") && has("describe")) return {1, "", ""};
    if (has("instances") && has("describe")) return {0, "TERMINATED\n", ""};
    if (has("get-serial-port-output")) return {0, "{\"contents\": \"\", \"next\": \"0\"}", ""};
    if (has("auth")) return {0, "(dry run)\n", ""};
    return {0, "", ""};
}

}  // namespace

void install_cloud_interrupt_handlers() {
    struct sigaction sa{};
    sa.sa_handler = on_cloud_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
}

bool cloud_interrupted() { return g_cloud_interrupt != 0; }

GcloudReply GcloudExec::run(const Argv& argv, bool abortable) {
    log_.push_back(shell_line(argv));
    if (dry_) {
        std::fprintf(plan_, "%s\n", log_.back().c_str());
        std::fflush(plan_);
        return dry_reply(argv);
    }
    GcloudReply r;
    int po[2], pe[2];
    if (::pipe2(po, O_CLOEXEC) != 0) return r;
    if (::pipe2(pe, O_CLOEXEC) != 0) { ::close(po[0]); ::close(po[1]); return r; }
    pid_t pid = spawn_process(argv, po[1], pe[1], {.own_process_group = true, .default_signals = {SIGINT, SIGTERM}});
    ::close(po[1]);
    ::close(pe[1]);
    bool killed = false;
    pollfd fds[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
    int open_fds = pid > 0 ? 2 : 0;
    while (open_fds > 0) {
        if (abortable && !killed && g_cloud_interrupt) { ::kill(pid, SIGTERM); killed = true; }
        if (::poll(fds, 2, 200) < 0 && errno != EINTR) break;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[8192];
            ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) { ::close(fds[i].fd); fds[i].fd = -1; --open_fds; continue; }
            std::string& dst = i == 0 ? r.out : r.err;
            if (i == 0 && dst.size() < (4u << 20)) dst.append(buf, static_cast<std::size_t>(n));
            if (i == 1) { dst.append(buf, static_cast<std::size_t>(n)); if (dst.size() > 8192) dst.erase(0, dst.size() - 8192); }
        }
    }
    for (auto& f : fds) if (f.fd >= 0) ::close(f.fd);
    if (pid <= 0) return r;
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    r.status = killed ? 130 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return r;
}

}  // namespace kettle::runner

// Console markers, progress display and the QEMU supervisor. See progress.hpp.
#include "progress.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "kettle/core/error.hpp"
#include "spawn.hpp"

namespace kettle::runner {

std::optional<PhaseEvent> parse_phase_marker(std::string_view line) {
    static constexpr std::string_view kTag = "KETTLE-PHASE ";
    auto pos = line.find(kTag);
    if (pos == std::string_view::npos) return std::nullopt;
    std::string_view rest = line.substr(pos + kTag.size());
    while (!rest.empty() && (rest.back() == '\r' || rest.back() == ' ')) rest.remove_suffix(1);
    auto sp = rest.find(' ');
    std::string_view name = rest.substr(0, sp);
    if (name.empty() || name.size() > 32) return std::nullopt;
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return std::nullopt;
    PhaseEvent ev{std::string(name), -1};
    if (sp != std::string_view::npos) {
        std::string_view pct = rest.substr(sp + 1);
        if (!pct.empty() && pct.back() == '%') pct.remove_suffix(1);
        if (pct.empty() || pct.size() > 3) return std::nullopt;
        int v = 0;
        for (char c : pct) {
            if (c < '0' || c > '9') return std::nullopt;
            v = v * 10 + (c - '0');
        }
        if (v > 100) return std::nullopt;
        ev.percent = v;
    }
    return ev;
}

Progress::Progress(std::FILE* out, bool tty, bool quiet)
    : out_(out), tty_(tty), quiet_(quiet), t0_(std::chrono::steady_clock::now()) {
    phases_.push_back({phase_, 0.0});
    if (!quiet_ && !tty_) std::fprintf(out_, "kettle run: [%6.1fs] boot\n", 0.0);
}

double Progress::elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
}

void Progress::on_console_line(std::string_view line) {
    auto ev = parse_phase_marker(line);
    if (!ev) return;
    bool changed = ev->phase != phase_;
    if (changed) {
        phase_ = ev->phase;
        phases_.push_back({phase_, elapsed()});
        last_plain_step_ = -1;
    }
    percent_ = ev->percent;
    if (quiet_) return;
    if (tty_) { draw(); return; }
    int step = percent_ >= 0 ? percent_ / 10 : -1;
    if (changed || step > last_plain_step_) {
        if (percent_ >= 0) std::fprintf(out_, "kettle run: [%6.1fs] %s %d%%\n", elapsed(), phase_.c_str(), percent_);
        else std::fprintf(out_, "kettle run: [%6.1fs] %s\n", elapsed(), phase_.c_str());
        std::fflush(out_);
        last_plain_step_ = step;
    }
}

void Progress::draw() {
    static const char kSpin[] = "|/-\\";
    std::string bar;
    if (percent_ >= 0) {
        int fill = percent_ / 5;
        bar = " [" + std::string(fill, '#') + std::string(20 - fill, '.') + "] " + std::to_string(percent_) + "%";
    }
    std::fprintf(out_, "\r\033[K%c %-10s%s  %.0fs", kSpin[spin_++ % 4], phase_.c_str(), bar.c_str(), elapsed());
    std::fflush(out_);
    drawn_ = true;
}

void Progress::tick() {
    if (quiet_) return;
    if (tty_) { draw(); return; }
    // Plain mode: a line a minute while a phase lasts (a long build would otherwise look hung).
    double now = elapsed(), in_phase = now - phases_.back().second;
    if (in_phase >= 60 && now - last_plain_tick_ >= 60) {
        std::fprintf(out_, "kettle run: [%6.1fs] %s, %.0f s so far\n", now, phase_.c_str(), in_phase);
        std::fflush(out_);
        last_plain_tick_ = now;
    }
}

void Progress::note(const std::string& msg) {
    if (quiet_) return;
    if (tty_ && drawn_) std::fputs("\r\033[K", out_);
    std::fprintf(out_, "kettle run: %s\n", msg.c_str());
    if (tty_ && drawn_) draw();
    std::fflush(out_);
}

void Progress::finish() {
    if (tty_ && drawn_ && !quiet_) {
        std::fputs("\r\033[K", out_);
        std::fflush(out_);
    }
    drawn_ = false;
}

namespace {
volatile std::sig_atomic_t g_interrupt = 0;
void on_signal(int) { g_interrupt = 1; }

struct Fd {
    int fd = -1;
    ~Fd() { if (fd >= 0) ::close(fd); }
};

}  // namespace

std::pair<int, std::string> run_capture(const std::vector<std::string>& argv, std::size_t max) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return {-1, ""};
    pid_t pid = spawn_process(argv, p[1], -1);
    ::close(p[1]);
    if (pid < 0) { ::close(p[0]); return {-1, ""}; }
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(p[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0 && out.size() < max) out.append(buf, std::min<std::size_t>(n, max - out.size()));
    ::close(p[0]);
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    return {WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), out};
}

VmResult run_vm(const std::vector<std::string>& argv, const std::string& console_path, unsigned timeout_s,
                Progress& progress, std::uint64_t console_limit) {
    VmResult res;
    Fd con;
    con.fd = ::open(console_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (con.fd < 0) throw Error("cannot create " + console_path + ": " + std::strerror(errno));
    int po[2], pe[2];
    if (::pipe2(po, O_CLOEXEC) != 0) throw Error("pipe failed");
    if (::pipe2(pe, O_CLOEXEC) != 0) { ::close(po[0]); ::close(po[1]); throw Error("pipe failed"); }
    struct sigaction sa{}, old_int{}, old_term{};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    g_interrupt = 0;
    ::sigaction(SIGINT, &sa, &old_int);
    ::sigaction(SIGTERM, &sa, &old_term);

    auto t0 = std::chrono::steady_clock::now();
    pid_t pid = spawn_process(argv, po[1], pe[1]);
    ::close(po[1]);
    ::close(pe[1]);
    Fd out{po[0]}, err{pe[0]};
    if (pid < 0) {
        res.qemu_stderr = "cannot start " + argv[0] + ": " + std::strerror(errno);
        ::sigaction(SIGINT, &old_int, nullptr);
        ::sigaction(SIGTERM, &old_term, nullptr);
        return res;
    }
    res.started = true;
    std::string line;
    bool out_open = true, err_open = true;
    int kill_stage = 0;
    std::chrono::steady_clock::time_point kill_at{};
    int status = 0;
    bool reaped = false;
    char buf[65536];
    while (!reaped) {
        auto now = std::chrono::steady_clock::now();
        double el = std::chrono::duration<double>(now - t0).count();
        if (kill_stage == 0 && ((timeout_s && el >= timeout_s) || g_interrupt)) {
            if (g_interrupt) res.interrupted = true; else res.timed_out = true;
            ::kill(pid, SIGTERM);
            kill_stage = 1;
            kill_at = now + std::chrono::seconds(3);
        } else if (kill_stage == 1 && now >= kill_at) {
            ::kill(pid, SIGKILL);
            kill_stage = 2;
        }
        pollfd p[2];
        int np = 0;
        if (out_open) p[np++] = {out.fd, POLLIN, 0};
        if (err_open) p[np++] = {err.fd, POLLIN, 0};
        if (np) ::poll(p, np, 200);
        else ::usleep(50000);
        for (int i = 0; i < np; ++i) {
            if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t n = ::read(p[i].fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                if (p[i].fd == out.fd) out_open = false; else err_open = false;
                continue;
            }
            if (p[i].fd == out.fd) {
                res.console_bytes += static_cast<std::uint64_t>(n);
                std::uint64_t room = res.console_bytes - n < console_limit ? console_limit - (res.console_bytes - n) : 0;
                std::size_t w = static_cast<std::size_t>(std::min<std::uint64_t>(room, static_cast<std::uint64_t>(n)));
                if (w < static_cast<std::size_t>(n)) res.console_truncated = true;
                if (w) (void)!::write(con.fd, buf, w);
                for (ssize_t k = 0; k < n; ++k) {
                    char c = buf[k];
                    if (c == '\n') { progress.on_console_line(line); line.clear(); }
                    else if (line.size() < 4096) line += c;
                }
            } else {
                res.qemu_stderr.append(buf, static_cast<std::size_t>(n));
                if (res.qemu_stderr.size() > 65536) res.qemu_stderr.erase(0, res.qemu_stderr.size() - 65536);
            }
        }
        progress.tick();
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid && !out_open && !err_open) reaped = true;
        else if (r == pid) {
            // QEMU is gone; drain what is left in the pipes, then stop.
            reaped = true;
            for (int* fd : {&out.fd, &err.fd}) {
                ssize_t n;
                while ((n = ::read(*fd, buf, sizeof buf)) > 0) {
                    if (*fd == out.fd) {
                        res.console_bytes += static_cast<std::uint64_t>(n);
                        (void)!::write(con.fd, buf, static_cast<std::size_t>(n));
                        for (ssize_t k = 0; k < n; ++k) {
                            if (buf[k] == '\n') { progress.on_console_line(line); line.clear(); }
                            else if (line.size() < 4096) line += buf[k];
                        }
                    } else res.qemu_stderr.append(buf, static_cast<std::size_t>(n));
                }
            }
        }
    }
    if (!line.empty()) progress.on_console_line(line);
    if (WIFEXITED(status)) res.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) res.signal = WTERMSIG(status);
    res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ::sigaction(SIGINT, &old_int, nullptr);
    ::sigaction(SIGTERM, &old_term, nullptr);
    return res;
}

}  // namespace kettle::runner

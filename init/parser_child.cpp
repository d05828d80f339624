// The parser child: confinement of the child, PID 1's feeding and supervision loop, and the mapping of every way a
// child can end to a clear error (parser_child.hpp, docs/formats.md §7).
#include "parser_child.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jail.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/text.hpp"
#include "kettle/disk/parser_reply.hpp"

namespace kettle::init {

namespace {

constexpr const char* kJailRoot = "/parser-jail";
constexpr std::size_t kChunk = std::size_t{1} << 20;  // bytes PID 1 reads from the device at a time

std::uint64_t now_ms() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count());
}

void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

// ---- child side --------------------------------------------------------------------------------------------------

/// mkdir -p of `path` (absolute) below the jail root, as root before the privileges are dropped.
bool make_dirs(const std::string& path) {
    for (std::size_t i = 1; i <= path.size(); ++i) {
        if (i != path.size() && path[i] != '/') continue;
        std::string pre = path.substr(0, i);
        if (::mkdir(pre.c_str(), 0755) != 0 && errno != EEXIST) return false;
    }
    return true;
}

/// Close every descriptor from 3 up (close_range(2), Linux 5.9; a loop over RLIMIT_NOFILE before).
void close_from_3() {
#ifdef SYS_close_range
    if (::syscall(SYS_close_range, 3u, ~0u, 0u) == 0) return;
#endif
    long max = ::sysconf(_SC_OPEN_MAX);
    for (long fd = 3; fd < (max > 0 ? max : 65536); ++fd) ::close(static_cast<int>(fd));
}

/// Move the jail's mounts into place and chroot into them (the MS_MOVE + chroot of the build sandbox: pivot_root
/// refuses the initramfs root).
std::string build_root(const ParserJail& j) {
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return "make / private";
    ::mkdir(kJailRoot, 0700);
    if (::mount("tmpfs", kJailRoot, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=64k,nr_inodes=256") != 0)
        return "mount the jail root";
    for (const auto& p : j.paths) {
        std::string at = std::string(kJailRoot) + p.path;
        if (!make_dirs(at)) return "mkdir " + at;
        if (::mount(p.path.c_str(), at.c_str(), nullptr, MS_BIND, nullptr) != 0) return "bind " + p.path;
        unsigned long fl = MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | MS_NOEXEC | (p.writable ? 0 : MS_RDONLY);
        if (::mount(nullptr, at.c_str(), nullptr, fl, nullptr) != 0) return "remount " + p.path;
    }
    if (::mount(nullptr, kJailRoot, nullptr, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
        return "remount the jail root read-only";
    if (::chdir(kJailRoot) != 0) return "chdir to the jail";
    if (::mount(".", "/", nullptr, MS_MOVE, nullptr) != 0) return "move the jail over /";
    if (::chroot(".") != 0) return "chroot into the jail";
    if (::chdir("/") != 0) return "chdir /";
    return {};
}

/// Confine the calling child (still root). Leaves the stream on fd 0 and the reply pipe on fd 1, nothing else
/// open. Returns "" or the step that failed, with errno's text.
std::string confine(const ParserJail& j, const Cgroup* cg, int stream_fd, int reply_fd) {
    auto failed = [](const std::string& step) { return step + ": " + std::strerror(errno); };
    if (cg && !cg->join_self()) return failed("join the cgroup");
    int devnull = ::open("/dev/null", O_RDWR);
    if (devnull < 0) return failed("open /dev/null");
    if (::dup2(stream_fd >= 0 ? stream_fd : devnull, 0) < 0 || ::dup2(reply_fd, 1) < 0 || ::dup2(devnull, 2) < 0)
        return failed("stdio");
    close_from_3();
    if (!j.confine) return {};
    if (::unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET) != 0) return failed("unshare");
    if (std::string step = build_root(j); !step.empty()) return failed(step);
    static const char host[] = "kettle-parser";
    ::sethostname(host, sizeof host - 1);
    apply_rlimits(1024, 16);
    if (const char* step = drop_privileges(j.uid, j.gid)) return failed(step);
    return {};
}

/// Try to open each probe path for reading and for writing, and to mount configfs: "<what>\t<outcome>".
std::vector<std::string> run_probes(const ParserJail& j, bool& any_opened) {
    std::vector<std::string> out;
    any_opened = false;
    for (const auto& p : j.probes) {
        int rfd = ::open(p.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        int rerr = errno;
        int wfd = ::open(p.c_str(), O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        bool opened = rfd >= 0 || wfd >= 0;
        if (rfd >= 0) ::close(rfd);
        if (wfd >= 0) ::close(wfd);
        any_opened = any_opened || opened;
        out.push_back(p + "\t" + (opened ? std::string("OPENED") : "blocked: " + std::string(std::strerror(rerr))));
    }
    if (j.confine) {
        bool mounted = ::mount("configfs", "/", "configfs", 0, nullptr) == 0;
        int merr = errno;
        any_opened = any_opened || mounted;
        out.push_back(std::string("mount configfs\t") + (mounted ? "OPENED" : "blocked: " + std::string(std::strerror(merr))));
    }
    return out;
}

using ChildWork = std::function<std::string(int stream_fd, const std::vector<std::string>& probes)>;

[[noreturn]] void child_main(const ParserJail& j, const Cgroup* cg, int stream_fd, int reply_fd,
                             const ChildWork& work) {
    // A crash must end the child with its signal, whatever handlers the parent had installed.
    for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT}) ::signal(sig, SIG_DFL);
    std::string reply;
    std::string step = confine(j, cg, stream_fd, reply_fd);
    std::vector<std::string> probes;
    try {
        bool opened = false;
        if (!step.empty()) {
            reply = encode_error_reply(j.name + ": cannot confine the parser child: " + step);
        } else if (probes = run_probes(j, opened); opened) {
            reply = encode_error_reply(j.name + ": the parser child's confinement is broken: it could open a "
                                                "report interface, a disk or configfs",
                                       probes);
        } else {
            reply = work(0, probes);
        }
    } catch (const std::bad_alloc&) {
        reply = encode_error_reply(j.name + ": out of memory (the parser child's limit is " +
                                       std::to_string(j.memory_max >> 20) + " MiB)",
                                   probes);
    } catch (const std::exception& e) {
        reply = encode_error_reply(e.what(), probes);
    } catch (...) {
        reply = encode_error_reply(j.name + ": unknown failure in the parser child", probes);
    }
    const char* p = reply.data();
    std::size_t left = reply.size();
    while (left > 0) {
        ssize_t n = ::write(1, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    ::_exit(0);
}

// ---- PID 1 side --------------------------------------------------------------------------------------------------

/// The device PID 1 reads, hashes and streams to the ingest child.
struct Feed {
    int fd = -1;
    std::uint64_t size = 0, pos = 0;  ///< device size; bytes read and hashed so far
    Hasher hasher{HashAlg::sha256};
    const IngestProgress* progress = nullptr;
    std::vector<char> chunk = std::vector<char>(kChunk);
    std::size_t have = 0, off = 0;  ///< bytes in `chunk`, bytes of it already written to the pipe
    std::string error;

    /// Read and hash the next chunk of the device; false (with `error`) on a read error or a short device.
    bool refill() {
        std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, size - pos));
        ssize_t n;
        do n = ::read(fd, chunk.data(), want);
        while (n < 0 && errno == EINTR);
        if (n <= 0) {
            error = n < 0 ? std::string("input: device read: ") + std::strerror(errno)
                          : "input: the device ended before its size";
            return false;
        }
        hasher.update(ByteView(reinterpret_cast<const std::uint8_t*>(chunk.data()), static_cast<std::size_t>(n)));
        pos += static_cast<std::uint64_t>(n);
        have = static_cast<std::size_t>(n);
        off = 0;
        if (progress && *progress) (*progress)(pos, size);
        return true;
    }
};

struct Outcome {
    std::string reply;
    bool exited = false, timed_out = false, stalled = false, overflow = false, oom = false;
    int wstatus = 0;
    std::uint64_t fed = 0;  ///< bytes written into the stream
};

/// Write what the stream can take; returns false once the stream is finished (all fed) or broken.
bool feed_stream(Feed& f, int fd, Outcome& o, std::uint64_t& last_progress) {
    if (f.off == f.have) {
        if (f.pos == f.size) return false;
        if (!f.refill()) return false;
    }
    ssize_t n = ::write(fd, f.chunk.data() + f.off, f.have - f.off);
    if (n > 0) {
        f.off += static_cast<std::size_t>(n);
        o.fed += static_cast<std::uint64_t>(n);
        last_progress = now_ms();
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        return false;  // EPIPE: the child stopped reading (it failed or died)
    }
    return !(f.off == f.have && f.pos == f.size);
}

/// Drain what the child wrote so far; false at end of file. Beyond kParserReplyMax bytes, sets `overflow`.
bool read_reply(int fd, Outcome& o) {
    char buf[65536];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) return errno == EAGAIN || errno == EINTR;
    if (n == 0) return false;
    if (o.reply.size() + static_cast<std::size_t>(n) > kParserReplyMax) {
        o.overflow = true;
        return false;
    }
    o.reply.append(buf, static_cast<std::size_t>(n));
    return true;
}

/// PID 1's loop while a child runs: feed the stream (if any), collect the reply, reap the child, enforce the stall
/// and time bounds. Returns when the child is dead and its reply pipe closed.
Outcome supervise(pid_t pid, int& reply_fd, int& stream_fd, Feed* feed, const ParserJail& j, const Cgroup* cg) {
    Outcome o;
    ::fcntl(reply_fd, F_SETFL, O_NONBLOCK);
    if (stream_fd >= 0) ::fcntl(stream_fd, F_SETFL, O_NONBLOCK);
    std::uint64_t last_progress = now_ms(), stream_done = stream_fd >= 0 ? 0 : last_progress, exited_at = 0;
    bool killed = false;
    auto kill_child = [&] {
        killed = true;
        if (cg) cg->kill();
        ::kill(pid, SIGKILL);
    };
    while (reply_fd >= 0 || !o.exited) {
        pollfd fds[2];
        nfds_t n = 0;
        int ri = -1, si = -1;
        if (reply_fd >= 0) fds[ri = static_cast<int>(n++)] = {reply_fd, POLLIN, 0};
        if (stream_fd >= 0) fds[si = static_cast<int>(n++)] = {stream_fd, POLLOUT, 0};
        if (n == 0) ::usleep(20 * 1000);
        else ::poll(fds, n, 100);
        if (ri >= 0 && fds[ri].revents && !read_reply(reply_fd, o)) {
            close_fd(reply_fd);
            if (o.overflow && !killed) kill_child();
        }
        if (si >= 0 && fds[si].revents && !feed_stream(*feed, stream_fd, o, last_progress)) {
            close_fd(stream_fd);
            stream_done = now_ms();
            if (!feed->error.empty() && !killed) kill_child();
        }
        if (!o.exited && ::waitpid(pid, &o.wstatus, WNOHANG) == pid) o.exited = true, exited_at = now_ms();
        std::uint64_t now = now_ms();
        if (!killed && !o.exited) {
            if (stream_fd >= 0 && now - last_progress > std::uint64_t{j.stall_seconds} * 1000)
                o.stalled = true, kill_child();
            else if (stream_fd < 0 && now - stream_done > std::uint64_t{j.timeout_seconds} * 1000)
                o.timed_out = true, kill_child();
        }
        // The reply pipe's only writer is the child: after its death the end of file is immediate.
        if (o.exited && reply_fd >= 0 && now - exited_at > 2000) close_fd(reply_fd);
    }
    close_fd(stream_fd);
    return o;
}

std::string signal_name(int sig) {
    const char* s = ::strsignal(sig);
    return std::to_string(sig) + (s ? std::string(" (") + s + ")" : std::string());
}

/// Turn the way the child ended into the reply, or an Error that says what happened.
ParserReply interpret(const Outcome& o, const ParserJail& j, ReplyKind kind, const std::string& prefix) {
    const std::string who = "the " + j.name + " child";
    if (o.oom)
        throw Error(prefix + "out of memory: " + who + " reached its limit of " + std::to_string(j.memory_max >> 20) +
                    " MiB (the memory the VM had available, minus what PID 1 keeps) and was killed");
    if (o.stalled)
        throw Error(prefix + who + " read no input for " + std::to_string(j.stall_seconds) + " s and was killed");
    if (o.timed_out)
        throw Error(prefix + who + " did not finish within " + std::to_string(j.timeout_seconds) + " s and was killed");
    if (o.overflow)
        throw Error(prefix + who + " replied more than " + std::to_string(kParserReplyMax) + " bytes and was killed");
    if (WIFSIGNALED(o.wstatus)) throw Error(prefix + who + " was killed by signal " + signal_name(WTERMSIG(o.wstatus)));
    if (!WIFEXITED(o.wstatus) || WEXITSTATUS(o.wstatus) != 0)
        throw Error(prefix + who + " exited with code " + std::to_string(WEXITSTATUS(o.wstatus)));
    ParserReply r;
    try {
        r = decode_parser_reply(o.reply, kind);
    } catch (const Error& e) {
        throw Error(prefix + who + " sent an unusable reply: " + e.what());
    }
    return r;
}

void record(ParserReport* report, const ParserJail& j, const ParserReply* r, std::uint64_t t0) {
    if (!report) return;
    report->memory_max = j.memory_max;
    report->milliseconds = now_ms() - t0;
    report->probes.clear();
    if (!r) return;
    for (const auto& line : r->probes) {
        auto tab = line.find('\t');
        ParserReport::Probe p{line.substr(0, tab), tab == std::string::npos ? "" : line.substr(tab + 1), false};
        int fd = ::open(p.path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd >= 0) p.pid1_opened = true, ::close(fd);
        report->probes.push_back(std::move(p));
    }
}

/// Start `work` in a child of `j` (feeding `feed` when given), supervise it, and return its decoded reply.
ParserReply run_child(const ParserJail& j, Feed* feed, ReplyKind kind, const std::string& prefix, const ChildWork& work,
                      ParserReport* report) {
    const std::uint64_t t0 = now_ms();
    std::optional<Cgroup> cg;
    if (j.confine) {
        try {
            cg.emplace("kettle-" + j.name, j.memory_max, 16);
        } catch (const Error& e) {
            throw Error(prefix + e.what());
        }
    }
    int rp[2] = {-1, -1}, sp[2] = {-1, -1};
    if (::pipe2(rp, O_CLOEXEC) != 0 || (feed && ::pipe2(sp, O_CLOEXEC) != 0))
        throw Error(prefix + "pipe: " + std::strerror(errno));
    if (feed) ::fcntl(sp[1], F_SETPIPE_SZ, static_cast<int>(kChunk));
    pid_t pid = ::fork();
    if (pid == 0) child_main(j, cg ? &*cg : nullptr, sp[0], rp[1], work);
    int fork_errno = errno;
    ::close(rp[1]);
    if (sp[0] >= 0) ::close(sp[0]);
    if (pid < 0) {
        ::close(rp[0]);
        if (sp[1] >= 0) ::close(sp[1]);
        throw Error(prefix + "fork: " + std::strerror(fork_errno));
    }
    Outcome o = supervise(pid, rp[0], sp[1], feed, j, cg ? &*cg : nullptr);
    if (cg) {
        if (!cg->drain()) throw Error(prefix + "processes of the " + j.name + " child survived cgroup.kill");
        o.oom = cg->oom_killed();
    }
    if (feed && !feed->error.empty()) throw Error(feed->error);
    try {
        ParserReply r = interpret(o, j, kind, prefix);
        record(report, j, &r, t0);
        return r;
    } catch (...) {
        record(report, j, nullptr, t0);
        throw;
    }
}

}  // namespace

IngestResult ingest_in_child(const std::string& device, const std::string& dest, const IngestLimits& limits,
                             const ParserJail& jail, const IngestProgress& progress, ParserReport* report) {
    Feed feed;
    feed.fd = ::open(device.c_str(), O_RDONLY | O_CLOEXEC);
    if (feed.fd < 0) throw Error("input: " + device + ": " + std::strerror(errno));
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{feed.fd};
    feed.size = fd_size(feed.fd, "input: " + device);
    feed.progress = &progress;
    if (feed.size < 1024) throw Error("input: the input disk is too small (" + std::to_string(feed.size) + " bytes)");
    const std::uint64_t size = feed.size;
    ChildWork work = [&](int stream, const std::vector<std::string>& probes) {
        return encode_ingest_reply(ingest_stream(stream, size, dest, limits), probes);
    };
    ParserReply r = run_child(jail, &feed, ReplyKind::ingest, "ingest: ", work, report);
    if (!r.ok) throw Error(r.error);
    if (feed.pos != feed.size || feed.off != feed.have)
        throw Error("ingest: the ingest child replied before it had read the whole device");
    IngestResult res = std::move(r.ingest);
    res.device_size = feed.size;
    res.device_sha256 = feed.hasher.finish();
    return res;
}

ParserReply run_parser_child(const ParserJail& jail, ReplyKind kind, const std::string& prefix,
                             const std::function<std::string()>& work, ParserReport* report) {
    return run_child(jail, nullptr, kind, prefix, [&](int, const std::vector<std::string>&) { return work(); }, report);
}

ParserReply run_parser_child_probed(const ParserJail& jail, ReplyKind kind, const std::string& prefix,
                                    const std::function<std::string(const std::vector<std::string>&)>& work,
                                    ParserReport* report) {
    return run_child(jail, nullptr, kind, prefix,
                     [&](int, const std::vector<std::string>& probes) { return work(probes); }, report);
}

CheckoutResult checkout_in_child(const std::string& repo_dir, const std::string& ref, const std::string& dest,
                                 const ParserJail& jail, ParserReport* report) {
    ChildWork work = [&](int, const std::vector<std::string>& probes) {
        CheckoutResult c = checkout(repo_dir, ref, dest);
        return encode_checkout_reply(c.commit_id, c.tree_id, probes);
    };
    ParserReply r = run_child(jail, nullptr, ReplyKind::checkout, "checkout: ", work, report);
    if (!r.ok) throw Error(r.error);
    return {r.commit_id, r.tree_id};
}

IngestLimits ingest_limits_for(const ParserJail& jail, const std::string& dest) {
    IngestLimits l;
    std::uint64_t budget = jail.memory_max > kParserHeapAllowance ? jail.memory_max - kParserHeapAllowance : 0;
    l.max_total_bytes = std::min(l.max_total_bytes, budget);
    struct statvfs vs {};
    if (::statvfs(dest.c_str(), &vs) == 0 && vs.f_files > 0) {
        std::uint64_t free_inodes = vs.f_favail > 64 ? vs.f_favail - 64 : 0;
        l.max_entries = std::min<std::uint64_t>(l.max_entries, free_inodes);
    }
    return l;
}

}  // namespace kettle::init

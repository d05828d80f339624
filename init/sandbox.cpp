// The build sandbox (docs/formats.md §4): new mount, PID, IPC, UTS and network namespaces, MS_MOVE + chroot into the
// toolchain rootfs, /src bind-mounted, minimal /dev, fresh /proc, rlimits, no_new_privs, no capabilities, an
// unprivileged uid, cgroup v2 memory and pids limits, and a timeout that kills the whole PID namespace.
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "guest.hpp"
#include "go_env.hpp"
#include "jail.hpp"
#include "kettle/core/error.hpp"

extern char** environ;

namespace kettle::init {

namespace {

struct ChildCtx {
    const SandboxConfig* cfg;
    const Cgroup* cgroup;
    int out_fd;  // write end of the log pipe
    int err_fd;  // write end of the setup-error pipe (CLOEXEC)
};

[[noreturn]] void setup_fail(const ChildCtx& c, const std::string& what) {
    std::string msg = what + ": " + std::strerror(errno);
    (void)!::write(c.err_fd, msg.data(), msg.size());
    ::_exit(125);
}

void ensure_dir(const ChildCtx& c, const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            errno = ENOTDIR;
            setup_fail(c, "toolchain rootfs: " + path + " is not a directory (symbolic links are refused here)");
        }
        return;
    }
    if (::mkdir(path.c_str(), 0755) != 0) setup_fail(c, "mkdir " + path);
}

void bring_up_loopback() {
    int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return;
    struct ifreq ifr {};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    if (::ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        ::ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    ::close(s);
}

int child_main(void* arg) {
    const ChildCtx& c = *static_cast<ChildCtx*>(arg);
    const SandboxConfig& cfg = *c.cfg;
    // Join the build cgroup first, so every later process is counted and can be killed as a group.
    if (!c.cgroup->join_self()) setup_fail(c, "join the build cgroup");
    int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0 || ::dup2(devnull, 0) < 0 || ::dup2(c.out_fd, 1) < 0 || ::dup2(c.out_fd, 2) < 0)
        setup_fail(c, "stdio");

    const std::string& R = cfg.rootfs;
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) setup_fail(c, "make / private");
    if (::mount(R.c_str(), R.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) setup_fail(c, "bind the rootfs");
    for (const char* d : {"/src", "/dev", "/proc", "/tmp", "/inputs"}) ensure_dir(c, R + d);
    if (::mount(cfg.src.c_str(), (R + "/src").c_str(), nullptr, MS_BIND, nullptr) != 0) setup_fail(c, "bind /src");
    if (::mount(nullptr, (R + "/src").c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV, nullptr) != 0)
        setup_fail(c, "remount /src");
    if (::mount(cfg.files.c_str(), (R + "/inputs").c_str(), nullptr, MS_BIND, nullptr) != 0) setup_fail(c, "bind /inputs");
    if (::mount(nullptr, (R + "/inputs").c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV,
                nullptr) != 0)
        setup_fail(c, "remount /inputs read-only");
    if (::mount("tmpfs", (R + "/dev").c_str(), "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k,nr_inodes=64") != 0)
        setup_fail(c, "mount /dev");
    struct Node {
        const char* name;
        unsigned maj, min;
    };
    for (Node n : {Node{"null", 1, 3}, Node{"zero", 1, 5}, Node{"full", 1, 7}, Node{"random", 1, 8},
                   Node{"urandom", 1, 9}, Node{"tty", 5, 0}}) {
        std::string p = R + "/dev/" + n.name;
        if (::mknod(p.c_str(), S_IFCHR | 0666, makedev(n.maj, n.min)) != 0) setup_fail(c, "mknod " + p);
        ::chmod(p.c_str(), 0666);
    }
    (void)!::symlink("/proc/self/fd", (R + "/dev/fd").c_str());
    (void)!::symlink("/proc/self/fd/0", (R + "/dev/stdin").c_str());
    (void)!::symlink("/proc/self/fd/1", (R + "/dev/stdout").c_str());
    (void)!::symlink("/proc/self/fd/2", (R + "/dev/stderr").c_str());
    if (::mount(nullptr, (R + "/dev").c_str(), nullptr, MS_REMOUNT | MS_NOSUID | MS_NOEXEC | MS_RDONLY,
                "mode=0755,size=64k,nr_inodes=64") != 0)
        setup_fail(c, "remount /dev read-only");
    std::string tmpopts = "mode=1777,size=" + std::to_string(cfg.tmp_size);
    if (::mount("tmpfs", (R + "/tmp").c_str(), "tmpfs", MS_NOSUID | MS_NODEV, tmpopts.c_str()) != 0)
        setup_fail(c, "mount /tmp");
    if (::mount("proc", (R + "/proc").c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
        setup_fail(c, "mount /proc");

    if (::chdir(R.c_str()) != 0) setup_fail(c, "chdir rootfs");
    // pivot_root(2) refuses (EINVAL) to move away from the initramfs root, which is where PID 1 runs. So the
    // rootfs mount is moved over "/" and the process chroots into it, as switch_root(8) and runc's no-pivot mode
    // do. Nothing below it is reachable afterwards: the build has no CAP_SYS_CHROOT to chroot back out, and no
    // directory fd from outside is open.
    if (::mount(".", "/", nullptr, MS_MOVE, nullptr) != 0) setup_fail(c, "move the rootfs over /");
    if (::chroot(".") != 0) setup_fail(c, "chroot into the rootfs");
    if (::chdir("/") != 0) setup_fail(c, "chdir /");
    if (::mount(nullptr, "/", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) != 0)
        setup_fail(c, "remount the rootfs read-only");
    static const char host[] = "kettle-build";
    ::sethostname(host, sizeof host - 1);
    bring_up_loopback();

    apply_rlimits(4096, cfg.request.pids_limit);
    if (const char* step = drop_privileges(cfg.uid, cfg.gid)) setup_fail(c, step);

    std::string wd = "/src";
    if (cfg.request.workdir != "." && !cfg.request.workdir.empty()) wd += "/" + cfg.request.workdir;
    if (::chdir(wd.c_str()) != 0) setup_fail(c, "workdir " + wd);

    std::vector<std::string> envs;
    for (const auto& [k, v] : cfg.request.env) envs.push_back(k + "=" + v);
    if (!cfg.request.env.count("PATH")) envs.push_back("PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
    go_environment(cfg.request, envs);
    std::vector<char*> envp, argv;
    for (auto& e : envs) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::vector<std::string> args = cfg.request.argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    // This process stays as the namespace's init: it reaps orphans and ends (taking the namespace with it) as
    // soon as the build command ends.
    pid_t cmd = ::fork();
    if (cmd < 0) setup_fail(c, "fork the build command");
    if (cmd == 0) {
        ::signal(SIGPIPE, SIG_DFL);
        environ = envp.data();
        ::execvp(argv[0], argv.data());
        setup_fail(c, "exec " + args[0]);
    }
    ::close(c.err_fd);
    for (;;) {
        int st = 0;
        pid_t p = ::waitpid(-1, &st, 0);
        if (p < 0 && errno == EINTR) continue;
        if (p < 0) ::_exit(125);
        if (p == cmd) {
            if (WIFEXITED(st)) ::_exit(WEXITSTATUS(st));
            ::_exit(128 + WTERMSIG(st));
        }
    }
}

std::uint64_t now_ms() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count());
}

}  // namespace

SandboxResult run_sandbox(const SandboxConfig& cfg) {
    SandboxResult res;
    // cgroup v2: memory and pids limits for everything the build starts.
    std::unique_ptr<Cgroup> cgp;
    try {
        cgp = std::make_unique<Cgroup>("kettle-build", cfg.memory_max, cfg.request.pids_limit);
    } catch (const Error& e) {
        throw Error(std::string("sandbox: ") + e.what());
    }
    const Cgroup& cg = *cgp;

    int outp[2], errp[2];
    if (::pipe2(outp, O_CLOEXEC) != 0 || ::pipe2(errp, O_CLOEXEC) != 0)
        throw Error(std::string("sandbox: pipe: ") + std::strerror(errno));
    ChildCtx ctx{&cfg, &cg, outp[1], errp[1]};
    const std::size_t stack_size = 1 << 20;
    void* stack = ::mmap(nullptr, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) throw Error("sandbox: mmap stack");
    pid_t child = ::clone(child_main, static_cast<char*>(stack) + stack_size,
                          CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET | SIGCHLD, &ctx);
    int clone_errno = errno;
    ::close(outp[1]);
    ::close(errp[1]);
    if (child < 0) {
        ::close(outp[0]);
        ::close(errp[0]);
        ::munmap(stack, stack_size);
        throw Error(std::string("sandbox: clone: ") + std::strerror(clone_errno));
    }
    const std::uint64_t deadline = now_ms() + std::uint64_t{cfg.request.timeout_seconds} * 1000;
    bool child_done = false, pipe_open = true, killed = false;
    std::uint64_t done_at = 0;
    std::vector<char> buf(65536);
    BuildLog& log = build_log();
    while (pipe_open || !child_done) {
        if (pipe_open) {
            struct pollfd pfd {outp[0], POLLIN, 0};
            int pr = ::poll(&pfd, 1, 100);
            if (pr > 0) {
                ssize_t n = ::read(outp[0], buf.data(), buf.size());
                if (n > 0) log.append(std::string_view(buf.data(), static_cast<std::size_t>(n)), true);
                else if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) pipe_open = false;
            }
        } else {
            ::usleep(50 * 1000);
        }
        // Reap every child PID 1 has (orphans of the namespace land here after its init dies).
        for (;;) {
            int st = 0;
            pid_t p = ::waitpid(-1, &st, WNOHANG);
            if (p <= 0) break;
            if (p == child) {
                child_done = true;
                done_at = now_ms();
                if (WIFEXITED(st)) res.exit_code = WEXITSTATUS(st);
                else if (WIFSIGNALED(st)) res.exit_code = 128 + WTERMSIG(st), res.signal = WTERMSIG(st);
            }
        }
        std::uint64_t now = now_ms();
        if (!child_done && !killed && now >= deadline) {
            res.timed_out = true;
            killed = true;
            log.flush_echo();
            say("build timed out after " + std::to_string(cfg.request.timeout_seconds) + " s; killing its PID namespace");
            cg.kill();
            ::kill(child, SIGKILL);
        }
        if (child_done && pipe_open && now > done_at + 2000) {
            cg.kill();  // nothing of the build may outlive it
            if (now > done_at + 5000) pipe_open = false;
        }
    }
    log.flush_echo();
    ::close(outp[0]);
    char ebuf[1024];
    ssize_t en = ::read(errp[0], ebuf, sizeof ebuf);
    ::close(errp[0]);
    if (en > 0) res.setup_error.assign(ebuf, static_cast<std::size_t>(en));
    ::munmap(stack, stack_size);
    // Wait until no process of the build is left, then record OOM kills (the destructor removes the cgroup).
    if (!cg.drain()) throw Error("sandbox: processes of the build survived cgroup.kill");
    res.oom_killed = cg.oom_killed();
    return res;
}

}  // namespace kettle::init

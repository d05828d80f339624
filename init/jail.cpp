// Confinement tools shared by the build sandbox and the parser child (jail.hpp).
#include "jail.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kettle/core/error.hpp"

namespace kettle::init {

std::string read_text_file(const std::string& path, std::size_t max) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {};
    std::string s;
    char buf[4096];
    ssize_t n;
    while (s.size() < max && (n = ::read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    if (s.size() > max) s.resize(max);
    return s;
}

bool write_text_file(const std::string& path, const std::string& text) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return false;
    bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    return ok;
}

Cgroup::Cgroup(std::string name, std::uint64_t memory_max, std::uint64_t pids_max)
    : path_("/sys/fs/cgroup/" + std::move(name)), memory_max_(memory_max) {
    ::rmdir(path_.c_str());
    write_text_file("/sys/fs/cgroup/cgroup.subtree_control", "+memory +pids");
    if (::mkdir(path_.c_str(), 0755) != 0) throw Error("cgroup " + path_ + ": " + std::strerror(errno));
    if (!write_text_file(path_ + "/memory.max", std::to_string(memory_max))) {
        ::rmdir(path_.c_str());
        throw Error("cgroup " + path_ + ": cannot set memory.max (is the memory controller enabled?)");
    }
    write_text_file(path_ + "/memory.swap.max", "0");
    write_text_file(path_ + "/memory.oom.group", "1");
    if (pids_max && !write_text_file(path_ + "/pids.max", std::to_string(pids_max))) {
        ::rmdir(path_.c_str());
        throw Error("cgroup " + path_ + ": cannot set pids.max (is the pids controller enabled?)");
    }
}

Cgroup::~Cgroup() {
    if (!empty()) drain();
    ::rmdir(path_.c_str());
}

bool Cgroup::join_self() const { return write_text_file(path_ + "/cgroup.procs", "0"); }

void Cgroup::kill() const {
    if (write_text_file(path_ + "/cgroup.kill", "1")) return;
    // Kernels before 5.14: SIGKILL every listed process.
    std::string procs = read_text_file(path_ + "/cgroup.procs");
    std::size_t i = 0;
    while (i < procs.size()) {
        std::size_t j = procs.find('\n', i);
        if (j == std::string::npos) j = procs.size();
        pid_t p = static_cast<pid_t>(std::atoi(procs.substr(i, j - i).c_str()));
        if (p > 1) ::kill(p, SIGKILL);
        i = j + 1;
    }
}

bool Cgroup::empty() const {
    return read_text_file(path_ + "/cgroup.events").find("populated 0") != std::string::npos;
}

bool Cgroup::oom_killed() const {
    std::string events = read_text_file(path_ + "/memory.events");
    auto pos = events.find("oom_kill ");
    return pos != std::string::npos && std::atoi(events.c_str() + pos + 9) > 0;
}

bool Cgroup::drain() const {
    for (int i = 0; i < 100 && !empty(); ++i) {
        kill();
        ::usleep(50 * 1000);
        while (::waitpid(-1, nullptr, WNOHANG) > 0) {
        }
    }
    return empty();
}

void apply_rlimits(std::uint64_t nofile, std::uint64_t nproc) {
    struct rlimit rl {};
    rl = {0, 0};
    ::setrlimit(RLIMIT_CORE, &rl);
    rl = {nofile, nofile};
    ::setrlimit(RLIMIT_NOFILE, &rl);
    rl = {nproc, nproc};
    ::setrlimit(RLIMIT_NPROC, &rl);
    rl = {0, 0};
    ::setrlimit(RLIMIT_MEMLOCK, &rl);
    rl = {64, 64};
    ::setrlimit(RLIMIT_MSGQUEUE, &rl);
}

const char* drop_privileges(uid_t uid, gid_t gid) {
    for (int cap = 0; cap <= 63; ++cap) ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
    if (::setgroups(0, nullptr) != 0) return "setgroups";
    if (::setresgid(gid, gid, gid) != 0) return "setresgid";
    if (::setresuid(uid, uid, uid) != 0) return "setresuid";
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return "no_new_privs";
    ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    return nullptr;
}

std::uint64_t meminfo_kib(const char* key) {
    std::string m = read_text_file("/proc/meminfo");
    auto p = m.find(key);
    if (p == std::string::npos) return 0;
    return std::strtoull(m.c_str() + p + std::strlen(key), nullptr, 10);
}

std::uint64_t memory_for_child(std::uint64_t reserve, std::uint64_t floor) {
    std::uint64_t avail = meminfo_kib("MemAvailable:") * 1024;
    return avail > reserve + floor ? avail - reserve : floor;
}

}  // namespace kettle::init

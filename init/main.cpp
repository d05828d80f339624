// Guest PID 1 (static musl). For now: check the kernel command line, print a banner and power off.
// The guest-runner issue grows this into the full build runner.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cmdline.hpp"
#include "kettle/version.hpp"

namespace {

[[noreturn]] void power_off(int code) {
    std::fflush(stdout);
    std::fflush(stderr);
    if (getpid() == 1) {
        sync();
        reboot(RB_POWER_OFF);
        for (;;) pause();
    }
    std::exit(code);
}

void mount_or_warn(const char* src, const char* dst, const char* type) {
    mkdir(dst, 0755);
    if (mount(src, dst, type, MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0 && errno != EBUSY)
        std::fprintf(stderr, "kettle-init: mount %s on %s: %s\n", type, dst, std::strerror(errno));
}

// Reads at most 4096 bytes of /proc/cmdline (the kernel's COMMAND_LINE_SIZE on x86 is 2048).
bool read_proc_cmdline(std::string& out) {
    int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    char buf[4096];
    ssize_t n = 0, got = 0;
    while (n < static_cast<ssize_t>(sizeof buf) && (got = read(fd, buf + n, sizeof buf - n)) > 0) n += got;
    close(fd);
    if (got < 0) return false;
    out.assign(buf, static_cast<size_t>(n));
    return true;
}

}  // namespace

int main() {
    if (getpid() == 1) {
        mount_or_warn("proc", "/proc", "proc");
        mount_or_warn("sysfs", "/sys", "sysfs");
        mount_or_warn("configfs", "/sys/kernel/config", "configfs");
    }
    std::string cmdline;
    if (!read_proc_cmdline(cmdline)) {
        std::printf("KETTLE-INIT REFUSED: cannot read /proc/cmdline: %s\n", std::strerror(errno));
        power_off(1);
    }
    if (!kettle::cmdline_matches(cmdline)) {
        if (!cmdline.empty() && cmdline.back() == '\n') cmdline.pop_back();
        std::printf("KETTLE-INIT REFUSED: kernel command line \"%s\" is not the built-in \"%s\"; powering off\n",
                    cmdline.c_str(), std::string(kettle::builtin_cmdline()).c_str());
        power_off(1);
    }
    struct utsname u {};
    uname(&u);
    struct stat st {};
    bool tsm = stat("/sys/kernel/config/tsm/report", &st) == 0 && S_ISDIR(st.st_mode);
    std::printf("KETTLE-INIT %s kernel %s tsm-report %s\n", kettle::kVersion, u.release, tsm ? "present" : "absent");
    power_off(0);
}

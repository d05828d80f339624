// Guest PID 1 (static musl). For now: print a banner and power off.
// The boot-image and guest-runner issues grow this into the full build runner.
#include <cstdio>
#include <sys/reboot.h>
#include <unistd.h>

#include "kettle/version.hpp"

int main() {
    std::printf("kettle-init %s\n", kettle::kVersion);
    std::fflush(stdout);
    if (getpid() == 1) {
        sync();
        reboot(RB_POWER_OFF);
        for (;;) pause();
    }
    return 0;
}

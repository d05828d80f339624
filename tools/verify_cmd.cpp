// `kettle verify`: placeholder until its issue lands.
#include <cstdio>

#include "commands.hpp"

namespace kettle::cli {

int cmd_verify(const Args&) {
    std::fputs("kettle verify: not implemented yet\n", stderr);
    return kUsage;
}

int cmd_verify_report(const Args&) {
    std::fputs("kettle verify-report: not implemented yet\n", stderr);
    return kUsage;
}

}  // namespace kettle::cli

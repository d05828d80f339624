// `kettle run`: placeholder until its issue lands.
#include <cstdio>

#include "commands.hpp"

namespace kettle::cli {

int cmd_run(const Args&) {
    std::fputs("kettle run: not implemented yet\n", stderr);
    return kUsage;
}

}  // namespace kettle::cli

// `kettle inspect`: placeholder until its issue lands.
#include <cstdio>

#include "commands.hpp"

namespace kettle::cli {

int cmd_inspect(const Args&) {
    std::fputs("kettle inspect: not implemented yet\n", stderr);
    return kUsage;
}

}  // namespace kettle::cli

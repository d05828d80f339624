// `kettle measure`: placeholder until its issue lands.
#include <cstdio>

#include "commands.hpp"

namespace kettle::cli {

int cmd_measure(const Args&) {
    std::fputs("kettle measure: not implemented yet\n", stderr);
    return kUsage;
}

}  // namespace kettle::cli

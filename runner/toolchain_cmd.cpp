// `kettle toolchain`: placeholder until its issue lands.
#include <cstdio>

#include "commands.hpp"

namespace kettle::cli {

int cmd_toolchain(const Args&) {
    std::fputs("kettle toolchain: not implemented yet\n", stderr);
    return kUsage;
}

}  // namespace kettle::cli

#include "cmdline.hpp"

#include "kettle/cmdline_builtin.hpp"

namespace kettle {

std::string_view builtin_cmdline() { return {kBuiltinCmdline, sizeof(kBuiltinCmdline) - 1}; }

bool cmdline_matches(std::string_view proc_cmdline) {
    if (!proc_cmdline.empty() && proc_cmdline.back() == '\n') proc_cmdline.remove_suffix(1);
    return proc_cmdline == builtin_cmdline();
}

}  // namespace kettle

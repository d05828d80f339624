// Guest PID 1: the kernel command line check.
#pragma once
#include <string_view>

namespace kettle {

/// The command line the UKI was built with (image/cmdline.txt, compiled in; no trailing newline).
std::string_view builtin_cmdline();

/// True when `proc_cmdline` (the bytes of /proc/cmdline) equals the built-in command line exactly.
/// The kernel ends /proc/cmdline with one '\n'; exactly one trailing '\n' is removed before the byte-wise
/// comparison, nothing else is normalised (spaces, order, NUL bytes and extra options all count).
/// A mismatch means the firmware or stub handed the kernel another command line (for example systemd-stub
/// taking the loader's options when Secure Boot is off), and PID 1 must refuse to run.
bool cmdline_matches(std::string_view proc_cmdline);

}  // namespace kettle

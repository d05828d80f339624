// Progress of a `kettle run`: the guest's console markers, the stderr display, and the QEMU
// supervisor (console capture, wall-clock timeout).
//
// Marker grammar (printed by the guest's PID 1 on the serial console, one per line, see
// docs/formats.md of the guest runner): `KETTLE-PHASE <phase> [<percent>%]` where <phase> is
// 1..32 characters of [a-z0-9_-] and <percent> an integer 0..100. Anything may precede the marker
// on the line (kernel timestamps, prefixes); a malformed marker is ignored, never trusted further.
#pragma once
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kettle::runner {

struct PhaseEvent {
    std::string phase;
    int percent = -1;  ///< -1: none given
};

/// The marker on one console line (without the newline), or nullopt.
std::optional<PhaseEvent> parse_phase_marker(std::string_view line);

/// The stderr display. On a terminal: one line redrawn in place with a spinner, the phase, a bar
/// when a percent is known, and the elapsed time. Otherwise: a plain line per phase change and per
/// 10 % step.
class Progress {
public:
    Progress(std::FILE* out, bool tty, bool quiet = false);
    void on_console_line(std::string_view line);
    void tick();  ///< redraw the spinner (terminal only); call a few times a second
    void note(const std::string& msg);  ///< a message line that does not disturb the status line
    void finish();
    /// (phase, seconds since start when it began), in order.
    const std::vector<std::pair<std::string, double>>& phases() const { return phases_; }
    std::string current_phase() const { return phase_; }

private:
    double elapsed() const;
    void draw();
    std::FILE* out_;
    bool tty_, quiet_;
    std::chrono::steady_clock::time_point t0_;
    double last_plain_tick_ = 0;  ///< plain mode: when the last "so far" line was printed (s)
    std::string phase_ = "boot";
    int percent_ = -1, last_plain_step_ = -1;
    unsigned spin_ = 0;
    bool drawn_ = false;
    std::vector<std::pair<std::string, double>> phases_;
};

struct VmResult {
    bool started = false;      ///< exec succeeded
    bool timed_out = false;
    bool interrupted = false;  ///< SIGINT/SIGTERM to kettle
    int exit_code = -1;        ///< QEMU's exit status when it exited
    int signal = 0;            ///< the signal that ended QEMU, if any
    double seconds = 0;
    std::string qemu_stderr;   ///< the last 64 KiB of QEMU's own stderr
    std::uint64_t console_bytes = 0;
    bool console_truncated = false;
};

/// Run `argv` (QEMU with `-serial stdio`): its stdout (the guest console) is saved to
/// `console_path` (at most `console_limit` bytes; the rest is counted but dropped) and fed line by
/// line to `progress`; its stderr is kept in the result. After `timeout_s` seconds (0: none) QEMU
/// gets SIGTERM, then SIGKILL 3 s later. Only that process id is signalled.
VmResult run_vm(const std::vector<std::string>& argv, const std::string& console_path, unsigned timeout_s,
                Progress& progress, std::uint64_t console_limit = std::uint64_t{64} << 20);

/// Run a command and capture its stdout (at most `max` bytes) and exit status; stderr passes through.
/// Returns {status, stdout}; status -1 when it cannot be started.
std::pair<int, std::string> run_capture(const std::vector<std::string>& argv, std::size_t max = 1 << 20);

}  // namespace kettle::runner

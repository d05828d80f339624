// Console markers and the bounded build log.
#include <cstdio>
#include <unistd.h>

#include "guest.hpp"

namespace kettle::init {

namespace {
void out(const std::string& s) {
    std::fwrite(s.data(), 1, s.size(), stdout);
    std::fflush(stdout);
}
}  // namespace

void phase_marker(const std::string& phase, int percent) {
    std::string s = "KETTLE-PHASE " + phase;
    if (percent >= 0) s += " " + std::to_string(percent) + "%";
    out(s + "\n");
}

void say(const std::string& msg) {
    std::string s = "kettle-init: " + msg + "\n";
    out(s);
    build_log().append(s, false);
}

BuildLog& build_log() {
    static BuildLog log;
    return log;
}

void BuildLog::append(std::string_view data, bool echo) {
    total_ += data.size();
    buf_.append(data);
    if (buf_.size() > 2 * limit_ || (buf_.size() > limit_ && buf_.size() > (1u << 20)))
        buf_.erase(0, buf_.size() - limit_);
    if (!echo) return;
    for (char c : data) {
        if (c == '\n' || line_.size() >= 4096) {
            out("build| " + line_ + "\n");
            line_.clear();
            if (c == '\n') continue;
        }
        // Keep the console readable and free of control sequences from the build.
        line_ += (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f ? '?' : c;
    }
}

void BuildLog::flush_echo() {
    if (!line_.empty()) out("build| " + line_ + "\n");
    line_.clear();
}

std::string BuildLog::tail() const {
    if (buf_.size() <= limit_) {
        if (total_ == buf_.size()) return buf_;
    }
    std::string t = buf_.size() > limit_ ? buf_.substr(buf_.size() - limit_) : buf_;
    return "[kettle: build.log truncated, " + std::to_string(total_ - t.size()) + " earlier bytes dropped]\n" + t;
}

}  // namespace kettle::init

// Measured-boot evidence of the guest. See boot_log.hpp.
#include "boot_log.hpp"

#include <cerrno>
#include <optional>
#include <cstring>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kettle/core/error.hpp"

namespace kettle::init {

namespace {

/// linux/tdx-guest.h (not in the 6.1 UAPI headers of the build host).
struct TdxReportReq {
    std::uint8_t reportdata[64];
    std::uint8_t tdreport[1024];
};
constexpr unsigned long kTdxGetReport0 = _IOWR('T', 1, TdxReportReq);
constexpr std::size_t kTdReportRtmr0 = 0x2D0;

bool exists(const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0;
}

/// At most `max` + 1 bytes of a file (sysfs and securityfs files report no size): the extra byte tells that
/// there was more. Empty with `ok` false when it cannot be opened or read.
Bytes read_bounded(const std::string& path, std::size_t max, bool& ok) {
    ok = false;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return {};
    Bytes out;
    std::uint8_t buf[65536];
    while (out.size() <= max) {
        const ssize_t n = ::read(fd, buf, std::min(sizeof buf, max + 1 - out.size()));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            ::close(fd);
            return {};
        }
        if (n == 0) break;
        out.insert(out.end(), buf, buf + n);
    }
    ::close(fd);
    ok = true;
    return out;
}

void add_log(BootEvidence& ev, const char* source, const std::string& path, std::string& notes) {
    if (!exists(path)) return;
    bool ok = false;
    BootEventLog l;
    l.source = source;
    l.data = read_bounded(path, kMaxBootEventLog, ok);
    if (!ok) {
        notes += std::string(source) + " log " + path + " is unreadable; ";
        return;
    }
    if (l.data.size() > kMaxBootEventLog) {
        l.data.resize(kMaxBootEventLog);
        l.truncated = true;
    }
    ev.logs.push_back(std::move(l));
}

/// "<hex>\n" of exactly `size` bytes, else nullopt.
std::optional<Bytes> hex_line(const Bytes& text, std::size_t size) {
    std::string s(text.begin(), text.end());
    if (!s.empty() && s.back() == '\n') s.pop_back();
    if (s.size() != 2 * size) return std::nullopt;
    try {
        return unhex(s);
    } catch (const Error&) {
        return std::nullopt;
    }
}

void read_pcrs(GuestRegisters& r, const std::string& tpm_class) {
    for (auto [bank, size] : {std::pair<const char*, std::size_t>{"sha1", 20}, {"sha256", 32}, {"sha384", 48}, {"sha512", 64}}) {
        const std::string dir = tpm_class + "/pcr-" + bank;
        if (!exists(dir)) continue;
        for (std::uint32_t i = 0; i < 24; ++i) {
            bool ok = false;
            const Bytes t = read_bounded(dir + "/" + std::to_string(i), 256, ok);
            if (auto v = ok ? hex_line(t, size) : std::nullopt) r.tpm_pcrs[bank][i] = *v;
        }
    }
}

void read_rtmrs(GuestRegisters& r, const std::string& dev, IoctlFn ioctl_fn, std::string& notes) {
    if (!exists(dev)) return;
    const int fd = ::open(dev.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        notes += dev + ": " + std::strerror(errno) + "; ";
        return;
    }
    TdxReportReq req{};
    if (ioctl_fn(fd, kTdxGetReport0, &req) != 0) {
        notes += "TDX_CMD_GET_REPORT0: " + std::string(std::strerror(errno)) + "; ";
    } else {
        for (std::size_t i = 0; i < 4; ++i)
            r.rtmrs.emplace_back(req.tdreport + kTdReportRtmr0 + 48 * i, req.tdreport + kTdReportRtmr0 + 48 * (i + 1));
    }
    ::close(fd);
}

}  // namespace

BootEvidence capture_boot_evidence(const BootLogPaths& p, IoctlFn ioctl_fn, std::string& notes) {
    BootEvidence ev;
    try {
        if (exists(p.ccel_table)) {
            bool ok = false;
            Bytes t = read_bounded(p.ccel_table, 4096, ok);
            if (ok && t.size() <= 4096) ev.ccel_table = std::move(t);
            else notes += "CCEL table unreadable or over 4 KiB; ";
            add_log(ev, "ccel", p.ccel_data, notes);
        }
        add_log(ev, "tpm", p.tpm_log, notes);
        read_pcrs(ev.registers, p.tpm_class);
        read_rtmrs(ev.registers, p.tdx_guest, ioctl_fn, notes);
    } catch (const std::exception& e) {
        notes += std::string("boot evidence: ") + e.what() + "; ";
    }
    return ev;
}

Json boot_evidence_summary(const BootEvidence& ev, const std::string& notes) {
    Json logs = Json::array();
    for (const auto& l : ev.logs) logs.push_back({{"source", l.source}, {"bytes", l.data.size()}, {"truncated", l.truncated}});
    Json banks = Json::array();
    for (const auto& [bank, pcrs] : ev.registers.tpm_pcrs) banks.push_back(bank);
    return {{"logs", logs}, {"tpm_pcr_banks", banks}, {"rtmrs", !ev.registers.rtmrs.empty()}, {"notes", notes}};
}

}  // namespace kettle::init

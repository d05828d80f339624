// Simulated AMD-SP over a named virtio-serial port (tcg/kvm profiles; the host side is `kettle run`).
#include <cerrno>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "kettle/attest/attest.hpp"
#include "kettle/core/base64.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/json.hpp"

namespace kettle {

namespace {

constexpr std::size_t kMaxLine = 256 * 1024;

std::int64_t now_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

bool valid_port_dirname(const char* n) {
    // vport<N>p<M>
    std::string_view s(n);
    if (s.rfind("vport", 0) != 0 || s.size() > 32) return false;
    for (char c : s.substr(5))
        if (!((c >= '0' && c <= '9') || c == 'p')) return false;
    return true;
}

class SimBackend final : public AttestBackend {
public:
    SimBackend(std::string dev, int timeout_ms) : dev_(std::move(dev)), timeout_ms_(timeout_ms) {}
    AttestMode mode() const override { return AttestMode::sim; }
    std::string name() const override { return "sim-amdsp"; }
    RawReport get_report(const ReportData& rd) override {
        int fd = ::open(dev_.c_str(), O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) throw Error("sim-amdsp: cannot open " + dev_ + ": " + std::strerror(errno));
        struct Closer {
            int fd;
            ~Closer() { ::close(fd); }
        } closer{fd};
        return sim_amdsp_exchange(fd, rd, timeout_ms_);
    }

private:
    std::string dev_;
    int timeout_ms_;
};

}  // namespace

std::string find_virtio_port(const std::string& ports_root, const std::string& dev_root, const std::string& port_name) {
    DIR* d = ::opendir(ports_root.c_str());
    if (!d) return "";
    std::string found;
    while (dirent* e = ::readdir(d)) {
        if (!valid_port_dirname(e->d_name)) continue;
        Bytes name;
        try {
            name = read_file(ports_root + "/" + e->d_name + "/name", 256);
        } catch (const Error&) {
            continue;
        }
        std::string n(name.begin(), name.end());
        while (!n.empty() && (n.back() == '\n' || n.back() == '\0')) n.pop_back();
        if (n == port_name) {
            found = dev_root + "/" + e->d_name;
            break;
        }
    }
    ::closedir(d);
    return found;
}

RawReport sim_amdsp_exchange(int fd, const ReportData& rd, int timeout_ms) {
    const std::int64_t deadline = now_ms() + timeout_ms;
    std::string req = jcs(Json{{"type", "snp-report-request"}, {"report_data", hex(ByteView(rd.data(), rd.size()))}});
    req += "\n";
    std::size_t done = 0;
    while (done < req.size()) {
        ssize_t n = ::write(fd, req.data() + done, req.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) {
                pollfd p{fd, POLLOUT, 0};
                int left = static_cast<int>(deadline - now_ms());
                if (left <= 0 || ::poll(&p, 1, left) <= 0) throw Error("sim-amdsp: timed out writing the request");
                continue;
            }
            throw Error(std::string("sim-amdsp: cannot write the request: ") + std::strerror(errno));
        }
        done += static_cast<std::size_t>(n);
    }
    std::string line;
    char buf[4096];
    for (;;) {
        auto nl = line.find('\n');
        if (nl != std::string::npos) {
            line.resize(nl);
            break;
        }
        if (line.size() > kMaxLine) throw Error("sim-amdsp: response line exceeds 256 KiB");
        int left = static_cast<int>(deadline - now_ms());
        if (left <= 0) throw Error("sim-amdsp: timed out waiting for the response");
        pollfd p{fd, POLLIN, 0};
        int pr = ::poll(&p, 1, left);
        if (pr < 0) {
            if (errno == EINTR) continue;
            throw Error(std::string("sim-amdsp: poll failed: ") + std::strerror(errno));
        }
        if (pr == 0) throw Error("sim-amdsp: timed out waiting for the response");
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            throw Error(std::string("sim-amdsp: read failed: ") + std::strerror(errno));
        }
        if (n == 0) {
            // virtio-serial returns 0 while the host end is not connected; wait a little and retry.
            if (p.revents & POLLHUP) ::usleep(50 * 1000);
            continue;
        }
        line.append(buf, static_cast<std::size_t>(n));
    }
    if (line.size() > kMaxLine) throw Error("sim-amdsp: response line exceeds 256 KiB");
    Json j = parse_strict(line);
    if (!j.is_object() || !j.contains("type") || !j["type"].is_string())
        throw Error("sim-amdsp: response has no \"type\"");
    std::string type = j["type"];
    if (type == "error") {
        std::string msg = j.contains("message") && j["message"].is_string() ? j["message"].get<std::string>() : "";
        if (msg.size() > 200) msg.resize(200);
        for (char& c : msg)
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
        throw Error("sim-amdsp: the simulated AMD-SP answered an error: " + msg);
    }
    if (type != "snp-report-response") throw Error("sim-amdsp: unexpected response type \"" + type + "\"");
    if (!j.contains("report") || !j["report"].is_string()) throw Error("sim-amdsp: response has no report");
    RawReport out;
    out.platform = "sim-snp";
    out.report = base64_decode(j["report"].get<std::string>(), "sim-amdsp: report", false, 4096);
    if (out.report.size() != kSnpReportSize)
        throw Error("sim-amdsp: report is " + std::to_string(out.report.size()) + " bytes, not 1184");
    if (j.contains("cert_table") && !j["cert_table"].is_null()) {
        if (!j["cert_table"].is_string()) throw Error("sim-amdsp: cert_table is not a string");
        out.cert_table = base64_decode(j["cert_table"].get<std::string>(), "sim-amdsp: cert_table", false, kMaxLine);
    }
    ByteView got = report_data_of(out.platform, out.report);
    if (!equal_ct(got, ByteView(rd.data(), rd.size())))
        throw Error("sim-amdsp: the report's REPORT_DATA is not the requested binding");
    return out;
}

std::unique_ptr<AttestBackend> make_sim_amdsp(const std::string& device, int timeout_ms) {
    return std::make_unique<SimBackend>(device, timeout_ms);
}

}  // namespace kettle

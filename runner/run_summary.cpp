// What `kettle run` tells the user around a run. See run_summary.hpp.
#include "run_summary.hpp"

#include <cctype>
#include <cmath>
#include <fstream>
#include <unistd.h>
#include <vector>

#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/text.hpp"

namespace kettle::runner {

namespace {

/// `w` as one shell word: unchanged when it holds only [A-Za-z0-9_./:=@%+,-], else in single quotes.
std::string shell_word(const std::string& w) {
    bool plain = !w.empty();
    for (char c : w)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || std::string_view("_./:=@%+,-").find(c) != std::string_view::npos))
            plain = false;
    if (plain) return w;
    std::string q = "'";
    for (char c : w) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

const Json* field(const Json& j, const char* k) {
    return j.is_object() && j.contains(k) ? &j[k] : nullptr;
}

}  // namespace

unsigned default_build_timeout(Profile p) { return p == Profile::tcg ? 3600 : 600; }

Json measured_shape(const RunOptions& o, const std::string& qemu_cpu) {
    Json s{{"vcpus", o.vcpus}, {"vcpu_type", kSimVcpuType}, {"qemu_cpu", qemu_cpu}};
    if (o.profile == Profile::tcg || o.profile == Profile::kvm)
        s["note"] = std::string("QEMU ran -cpu ") + qemu_cpu + "; the simulated AMD-SP signs the SNP launch digest " +
                    "of this image for " + std::to_string(o.vcpus) + " vCPU(s) of type " + kSimVcpuType +
                    ", the shape the snp profile runs, so `kettle verify` takes --vcpu-type " + kSimVcpuType;
    else if (o.profile == Profile::tdx)
        s["note"] = "TDX: MRTD and RTMR1/RTMR2 do not depend on the vCPU count or type; `kettle verify --image` "
                    "still takes them (they select the SNP launch digest, unused for a TDX quote)";
    return s;
}

std::string self_path() {
    char b[4096];
    ssize_t n = ::readlink("/proc/self/exe", b, sizeof b - 1);
    return n > 0 ? std::string(b, static_cast<std::size_t>(n)) : std::string("kettle");
}

std::string verify_command(const RunOptions& o, const Json& shape, const std::string& kettle) {
    std::vector<std::string> w{kettle, "verify", o.out, "--image", o.image, "--vcpus",
                               std::to_string(shape.value("vcpus", o.vcpus)), "--vcpu-type",
                               shape.value("vcpu_type", std::string(kSimVcpuType))};
    if (o.nonce.empty()) w.push_back("--no-nonce");
    else {
        w.push_back("--nonce");
        w.push_back(o.nonce);
    }
    if (o.profile == Profile::tcg || o.profile == Profile::kvm) w.push_back("--allow-sim");
    std::string cmd;
    for (const auto& x : w) cmd += (cmd.empty() ? "" : " ") + shell_word(x);
    return cmd;
}

void print_guest_warnings(const Json& status, std::FILE* to) {
    const Json* w = field(status, "warnings");
    if (!w || !w->is_array()) return;
    std::size_t n = 0;
    for (const auto& x : *w) {
        if (++n > 50) {
            std::fprintf(to, "kettle run: warning: ... %zu more in status.json\n", w->size() - 50);
            break;
        }
        std::string t = x.is_string() ? x.get<std::string>() : x.dump();
        std::fprintf(to, "kettle run: warning: %s\n", printable(t, 600).c_str());
    }
}

void print_verify_hint(const RunOptions& o, const Json& meas, const Json& shape, std::FILE* to) {
    const Json* d = field(meas, "launch_digest");
    if (d && d->is_string())
        std::fprintf(to, "kettle run: measurement %s (SNP launch digest of %s for %d vCPU(s) of type %s)\n",
                     d->get<std::string>().c_str(), o.image.c_str(), shape.value("vcpus", 0),
                     shape.value("vcpu_type", std::string("?")).c_str());
    if (const Json* note = field(shape, "note"); note && note->is_string())
        std::fprintf(to, "kettle run: %s\n", note->get<std::string>().c_str());
    std::fprintf(to, "kettle run: verify this bundle with:\n  %s\n", verify_command(o, shape, self_path()).c_str());
}

std::string timeout_use(const Json& run, unsigned timeout_seconds) {
    const Json* t = field(run, "timings");
    const Json* ph = t ? field(*t, "phases") : nullptr;
    if (!ph || !ph->is_array()) return "";
    double start = -1, end = -1;
    for (const auto& p : *ph) {
        if (!p.is_object() || !p.contains("started_s") || !p["started_s"].is_number()) continue;
        double s = p["started_s"].get<double>();
        if (start >= 0 && end < 0) end = s;
        if (p.value("phase", "") == "build") start = s;
    }
    if (start < 0) return "";
    if (end < 0 && t->contains("vm_seconds") && (*t)["vm_seconds"].is_number())
        end = (*t)["vm_seconds"].get<double>() + t->value("vm_start_s", 0.0);
    if (end < start) return "";
    const double used = end - start;
    char b[160];
    std::snprintf(b, sizeof b, "the build used %.0f s of its %u s timeout (%.0f%%)", used, timeout_seconds,
                  timeout_seconds ? 100.0 * used / timeout_seconds : 0.0);
    return b;
}

void print_log_tail(const std::string& out_dir, const Json& status, std::FILE* to, std::size_t lines) {
    if (const Json* c = field(status, "exit_code"); c && c->is_number_integer())
        std::fprintf(to, "kettle run: the build command exited with code %lld\n", c->get<long long>());
    std::ifstream f(out_dir + "/build.log", std::ios::binary);
    if (!f) return;
    f.seekg(0, std::ios::end);
    const std::streamoff size = f.tellg();
    const std::streamoff from = size > 65536 ? size - 65536 : 0;  // enough for 20 lines of up to ~3 KB
    f.seekg(from);
    std::string tail((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (tail.empty()) return;
    std::vector<std::string> ls;
    std::size_t p = 0;
    while (p < tail.size()) {
        std::size_t nl = tail.find('\n', p);
        ls.push_back(tail.substr(p, nl == std::string::npos ? std::string::npos : nl - p));
        if (nl == std::string::npos) break;
        p = nl + 1;
    }
    if (from > 0 && !ls.empty()) ls.erase(ls.begin());  // a partial first line
    std::size_t first = ls.size() > lines ? ls.size() - lines : 0;
    std::fprintf(to, "kettle run: last %zu line(s) of %s/build.log:\n", ls.size() - first, out_dir.c_str());
    for (std::size_t i = first; i < ls.size(); ++i) std::fprintf(to, "  | %s\n", printable(ls[i], 400).c_str());
}

}  // namespace kettle::runner

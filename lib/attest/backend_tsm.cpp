// configfs-tsm report backend (Linux Documentation/ABI/testing/configfs-tsm(-report)).
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kettle/attest/attest.hpp"
#include "kettle/core/error.hpp"

namespace kettle {

TsmFsOps TsmFsOps::real() {
    TsmFsOps o;
    o.make_dir = [](const std::string& p) { return ::mkdir(p.c_str(), 0700) == 0 ? 0 : -errno; };
    o.remove_dir = [](const std::string& p) { return ::rmdir(p.c_str()) == 0 ? 0 : -errno; };
    o.read = [](const std::string& p, std::size_t max, Bytes& out) {
        int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return -errno;
        out.clear();
        std::uint8_t buf[8192];
        for (;;) {
            ssize_t n = ::read(fd, buf, sizeof buf);
            if (n < 0) {
                if (errno == EINTR) continue;
                int e = errno;
                ::close(fd);
                return -e;
            }
            if (n == 0) break;
            if (out.size() + static_cast<std::size_t>(n) > max) {
                ::close(fd);
                return -EFBIG;
            }
            out.insert(out.end(), buf, buf + n);
        }
        ::close(fd);
        return 0;
    };
    o.write = [](const std::string& p, ByteView data) {
        int fd = ::open(p.c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0) return -errno;
        std::size_t done = 0;
        while (done < data.size()) {
            ssize_t n = ::write(fd, data.data() + done, data.size() - done);
            if (n < 0) {
                if (errno == EINTR) continue;
                int e = errno;
                ::close(fd);
                return -e;
            }
            done += static_cast<std::size_t>(n);
        }
        // configfs commits binary attributes on release, so the close result matters.
        return ::close(fd) == 0 ? 0 : -errno;
    };
    return o;
}

namespace {

std::string trim(const Bytes& b) {
    std::string s(b.begin(), b.end());
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\0')) s.pop_back();
    return s;
}

std::string err(const std::string& what, int neg_errno) {
    return "configfs-tsm: " + what + ": " + std::strerror(-neg_errno);
}

class TsmBackend final : public AttestBackend {
public:
    TsmBackend(std::string root, std::string provider, TsmFsOps ops)
        : root_(std::move(root)), provider_(std::move(provider)), ops_(std::move(ops)) {}
    AttestMode mode() const override { return provider_ == "sev_guest" ? AttestMode::snp : AttestMode::tdx; }
    std::string name() const override { return "configfs-tsm"; }

    RawReport get_report(const ReportData& rd) override {
        const bool snp = provider_ == "sev_guest";
        std::string entry = make_entry();
        struct Cleanup {
            TsmFsOps& ops;
            std::string path;
            ~Cleanup() { ops.remove_dir(path); }
        } cleanup{ops_, entry};

        std::string provider = read_text(entry + "/provider");
        if (provider != provider_)
            throw Error("configfs-tsm: provider changed from " + provider_ + " to " + provider);
        std::uint64_t g0 = read_generation(entry);
        if (int rc = ops_.write(entry + "/inblob", ByteView(rd.data(), rd.size())); rc != 0)
            throw Error(err("cannot write inblob", rc));
        std::uint64_t g1 = read_generation(entry);
        if (g1 != g0 + 1)
            throw Error("configfs-tsm: generation went from " + std::to_string(g0) + " to " + std::to_string(g1) +
                        " across the inblob write (another writer?)");
        RawReport out;
        out.platform = snp ? "snp" : "tdx";
        const std::size_t max_out = snp ? 4000 : (std::size_t{1} << 20);
        int rc = -EAGAIN;
        for (int attempt = 0; attempt < 20 && (rc == -EAGAIN || rc == -EBUSY); ++attempt) {
            if (attempt) ::usleep(100 * 1000);
            rc = ops_.read(entry + "/outblob", max_out, out.report);
        }
        if (rc != 0) throw Error(err("cannot read outblob", rc));
        if (snp) {
            rc = ops_.read(entry + "/auxblob", std::size_t{1} << 20, out.cert_table);
            if (rc == -ENOENT) out.cert_table.clear();
            else if (rc != 0) throw Error(err("cannot read auxblob", rc));
        }
        std::uint64_t g2 = read_generation(entry);
        if (g2 != g1)
            throw Error("configfs-tsm: generation changed from " + std::to_string(g1) + " to " +
                        std::to_string(g2) + " while the report was read (report may not be ours)");
        ByteView got = report_data_of(out.platform, out.report);
        if (!equal_ct(got, ByteView(rd.data(), rd.size())))
            throw Error("configfs-tsm: the report's REPORT_DATA is not the requested binding");
        return out;
    }

private:
    std::string make_entry() {
        for (int i = 0; i < 16; ++i) {
            std::string p = root_ + "/kettle-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++);
            int rc = ops_.make_dir(p);
            if (rc == 0) return p;
            if (rc != -EEXIST) throw Error(err("cannot create " + p, rc));
        }
        throw Error("configfs-tsm: cannot create a fresh report entry under " + root_);
    }
    std::string read_text(const std::string& path) {
        Bytes b;
        if (int rc = ops_.read(path, 256, b); rc != 0) throw Error(err("cannot read " + path, rc));
        return trim(b);
    }
    std::uint64_t read_generation(const std::string& entry) {
        std::string s = read_text(entry + "/generation");
        if (s.empty() || s.size() > 19) throw Error("configfs-tsm: bad generation \"" + s + "\"");
        std::uint64_t v = 0;
        for (char c : s) {
            if (c < '0' || c > '9') throw Error("configfs-tsm: bad generation \"" + s + "\"");
            v = v * 10 + static_cast<std::uint64_t>(c - '0');
        }
        return v;
    }

    std::string root_, provider_;
    TsmFsOps ops_;
    unsigned counter_ = 0;
};

}  // namespace

std::unique_ptr<AttestBackend> detect_configfs_tsm(const std::string& report_root, TsmFsOps ops) {
    struct stat st{};
    if (::stat(report_root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return nullptr;
    std::string probe = report_root + "/kettle-probe-" + std::to_string(::getpid());
    if (ops.make_dir(probe) != 0) return nullptr;
    Bytes b;
    int rc = ops.read(probe + "/provider", 256, b);
    ops.remove_dir(probe);
    if (rc != 0) return nullptr;
    std::string provider = trim(b);
    if (provider != "sev_guest" && provider != "tdx_guest") return nullptr;
    return std::make_unique<TsmBackend>(report_root, provider, std::move(ops));
}

}  // namespace kettle

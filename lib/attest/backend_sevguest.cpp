// /dev/sev-guest SNP_GET_EXT_REPORT backend (uapi include/uapi/linux/sev-guest.h; GHCB spec 56421
// MSG_REPORT_REQ extended guest request; SNP ABI 56860 Table 25 MSG_REPORT_RSP).
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/sev-guest.h>
#if __has_include(<linux/tdx-guest.h>)
#include <linux/tdx-guest.h>
#define KETTLE_HAVE_TDX_GUEST_H 1
#endif

#include "kettle/attest/attest.hpp"
#include "kettle/core/error.hpp"

namespace kettle {

// ---- uapi layout checks (x86_64) ------------------------------------------------------------------------------
static_assert(sizeof(snp_report_req) == 96, "snp_report_req: user_data[64] + vmpl u32 + rsvd[28]");
static_assert(offsetof(snp_report_req, user_data) == 0);
static_assert(offsetof(snp_report_req, vmpl) == 64);
static_assert(offsetof(snp_report_req, rsvd) == 68);
static_assert(sizeof(snp_report_resp) == 4000);
static_assert(sizeof(snp_ext_report_req) == 112, "snp_ext_report_req: data(96) + certs_address u64 + certs_len u32 + pad");
static_assert(offsetof(snp_ext_report_req, data) == 0);
static_assert(offsetof(snp_ext_report_req, certs_address) == 96);
static_assert(offsetof(snp_ext_report_req, certs_len) == 104);
static_assert(sizeof(snp_guest_request_ioctl) == 32);
static_assert(offsetof(snp_guest_request_ioctl, msg_version) == 0);
static_assert(offsetof(snp_guest_request_ioctl, req_data) == 8);
static_assert(offsetof(snp_guest_request_ioctl, resp_data) == 16);
static_assert(offsetof(snp_guest_request_ioctl, exitinfo2) == 24);
// _IOWR('S', 2, 32 bytes) = dir 3 << 30 | size 0x20 << 16 | 'S' << 8 | 2
static_assert(SNP_GET_EXT_REPORT == 0xC0205302UL);
static_assert(SNP_GET_REPORT == 0xC0205300UL);
static_assert(SNP_GUEST_VMM_ERR_INVALID_LEN == 1 && SNP_GUEST_VMM_ERR_BUSY == 2);

// tdx-guest.h (Linux ≥ 6.2) may be missing from older sysroots; mirror the uapi layout and check both.
struct TdxReportReqMirror {
    std::uint8_t reportdata[64];  // TDX_REPORTDATA_LEN
    std::uint8_t tdreport[1024];  // TDX_REPORT_LEN
};
static_assert(sizeof(TdxReportReqMirror) == 1088);
static_assert(offsetof(TdxReportReqMirror, tdreport) == 64);
// _IOWR('T', 1, 1088 bytes) = 3 << 30 | 0x440 << 16 | 'T' << 8 | 1
static_assert(((3UL << 30) | (sizeof(TdxReportReqMirror) << 16) | ('T' << 8) | 1) == 0xC4405401UL);
#ifdef KETTLE_HAVE_TDX_GUEST_H
static_assert(sizeof(tdx_report_req) == sizeof(TdxReportReqMirror));
static_assert(offsetof(tdx_report_req, tdreport) == 64);
static_assert(TDX_CMD_GET_REPORT0 == 0xC4405401UL);
#endif

int real_ioctl(int fd, unsigned long request, void* arg) { return ::ioctl(fd, request, arg); }

namespace {

constexpr std::size_t kPage = 4096;
constexpr std::size_t kMaxCertPages = 64;

class SevGuestBackend final : public AttestBackend {
public:
    SevGuestBackend(std::string dev, IoctlFn fn, int busy_retries)
        : dev_(std::move(dev)), ioctl_(fn), busy_retries_(busy_retries) {}
    AttestMode mode() const override { return AttestMode::snp; }
    std::string name() const override { return "sev-guest"; }

    RawReport get_report(const ReportData& rd) override {
        int fd = ::open(dev_.c_str(), O_RDWR | O_CLOEXEC);
        if (fd < 0) throw Error("sev-guest: cannot open " + dev_ + ": " + std::strerror(errno));
        struct Closer {
            int fd;
            ~Closer() { ::close(fd); }
        } closer{fd};

        Bytes certs(4 * kPage, 0);  // SEV_FW_BLOB_MAX_SIZE in the driver is 4 pages
        int busy = 0, grown = 0;
        for (;;) {
            snp_ext_report_req req;
            std::memset(&req, 0, sizeof req);
            std::memcpy(req.data.user_data, rd.data(), 64);
            req.data.vmpl = 0;
            req.certs_address = reinterpret_cast<std::uintptr_t>(certs.data());
            req.certs_len = static_cast<std::uint32_t>(certs.size());
            snp_report_resp resp;
            std::memset(&resp, 0, sizeof resp);
            snp_guest_request_ioctl io;
            std::memset(&io, 0, sizeof io);
            io.msg_version = 1;
            io.req_data = reinterpret_cast<std::uintptr_t>(&req);
            io.resp_data = reinterpret_cast<std::uintptr_t>(&resp);

            int rc = ioctl_(fd, SNP_GET_EXT_REPORT, &io);
            int e = rc == 0 ? 0 : errno;
            std::uint32_t vmm = static_cast<std::uint32_t>(io.exitinfo2 >> 32);
            std::uint32_t fw = static_cast<std::uint32_t>(io.exitinfo2 & 0xffffffffu);
            if (rc == 0) {
                RawReport out;
                out.platform = "snp";
                ByteView r(resp.data, sizeof resp.data);
                // MSG_REPORT_RSP: u32 STATUS @0, u32 REPORT_SIZE @4, 24 reserved, REPORT @0x20.
                std::uint32_t status = le32(r, 0), size = le32(r, 4);
                if (status != 0) throw Error("sev-guest: MSG_REPORT_RSP status " + std::to_string(status));
                if (size < kSnpReportSize || size > sizeof resp.data - 0x20)
                    throw Error("sev-guest: MSG_REPORT_RSP report size " + std::to_string(size) + " out of range");
                ByteView rep = slice(r, 0x20, size, "sev-guest response");
                out.report.assign(rep.begin(), rep.end());
                out.cert_table = certs;
                ByteView got = report_data_of("snp", out.report);
                if (!equal_ct(got, ByteView(rd.data(), rd.size())))
                    throw Error("sev-guest: the report's REPORT_DATA is not the requested binding");
                return out;
            }
            if (vmm == SNP_GUEST_VMM_ERR_INVALID_LEN) {
                std::size_t need = req.certs_len;
                std::size_t pages = (need + kPage - 1) / kPage;
                if (need <= certs.size() || pages > kMaxCertPages || ++grown > 2)
                    throw Error("sev-guest: certificate buffer negotiation failed (host asks for " +
                                std::to_string(need) + " bytes)");
                certs.assign(pages * kPage, 0);
                continue;
            }
            if (vmm == SNP_GUEST_VMM_ERR_BUSY || e == EAGAIN || e == EBUSY) {
                if (++busy > busy_retries_) throw Error("sev-guest: host stayed busy, giving up");
                ::usleep(100 * 1000);
                continue;
            }
            if (e == EINTR) continue;
            throw Error("sev-guest: SNP_GET_EXT_REPORT failed: " + std::string(std::strerror(e)) + " (fw_error " +
                        std::to_string(fw) + ", vmm_error " + std::to_string(vmm) + ")");
        }
    }

private:
    std::string dev_;
    IoctlFn ioctl_;
    int busy_retries_;
};

}  // namespace

std::unique_ptr<AttestBackend> detect_sev_guest(const std::string& device, IoctlFn ioctl_fn, int busy_retries) {
    int fd = ::open(device.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return nullptr;
    ::close(fd);
    return std::make_unique<SevGuestBackend>(device, ioctl_fn, busy_retries);
}

}  // namespace kettle

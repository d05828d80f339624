// Guest-side attestation: the report backends and the one entry point PID 1 calls (attest_build).
//
// Backends, chosen by detection in this order (measurement-and-attestation.md section 6):
//   1. configfs-tsm  <tsm_report_root> (Linux ≥ 6.7), provider "sev_guest" → snp, "tdx_guest" → tdx;
//   2. /dev/sev-guest SNP_GET_EXT_REPORT (uapi linux/sev-guest.h)                           → snp;
//   3. the simulated AMD-SP on the virtio-serial port named "org.kettle.amdsp.0"           → sim;
//   4. nothing                                                                              → none.
// Every backend takes its root or device path as a parameter so tests can point it at a fake tree.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kettle/provenance/binding.hpp"
#include "kettle/core/bytes.hpp"
#include "kettle/provenance/evidence.hpp"
#include "kettle/provenance/statement.hpp"

namespace kettle {

/// SNP ATTESTATION_REPORT size (AMD ABI 56860 Table 23) and REPORT_DATA offset in it.
inline constexpr std::size_t kSnpReportSize = 0x4A0;
inline constexpr std::size_t kSnpReportDataOffset = 0x50;

/// The 64 REPORT_DATA bytes inside a raw report: SNP ATTESTATION_REPORT offset 0x50 (platform "snp" or
/// "sim-snp", size ≥ 0x4A0), or TDX DCAP quote v4 (body at 0x30) / v5 (body at 0x36) REPORTDATA at body offset
/// 0x208. Throws Error when the report is too short or of an unknown version.
ByteView report_data_of(const std::string& platform, ByteView report);

/// The launch-time host binding inside a raw report: SNP HOST_DATA (offset 0xC0, 32 bytes) or TDX MRCONFIGID
/// (TD report body offset 0xB8, 48 bytes). The Kettle host sets it to SHA-256 of the input disk image (TDX: those
/// 32 bytes followed by 16 zero bytes). Throws Error like report_data_of.
ByteView host_data_of(const std::string& platform, ByteView report);

/// True when host_data_of(platform, report) is exactly `input_disk_sha256` (32 bytes; for TDX followed by 16
/// zero bytes).
bool host_data_matches(const std::string& platform, ByteView report, ByteView input_disk_sha256);

/// What the launch-time host binding of a report says about the input disk: "matches" (host_data_matches),
/// "none" (TDX only: all 48 bytes of MRCONFIGID are zero, the host committed to nothing, as on GCP, which cannot set
/// MRCONFIGID; the input disk is then bound only by the guest's own digest in the statement), or "differs"
/// (anything else, including an all-zero SNP HOST_DATA: a QEMU host always sets it). Throws Error like
/// host_data_of.
std::string host_commitment(const std::string& platform, ByteView report, ByteView input_disk_sha256);

/// What a backend returns.
struct RawReport {
    std::string platform;  ///< evidence platform: "snp" | "tdx" | "sim-snp"
    Bytes report;          ///< SNP report (1184 bytes) or TDX quote
    Bytes cert_table;      ///< raw SNP certificate table (auxblob / ext-report certs), may be empty
};

class AttestBackend {
public:
    virtual ~AttestBackend() = default;
    virtual AttestMode mode() const = 0;
    /// Short name for logs: "configfs-tsm", "sev-guest", "sim-amdsp".
    virtual std::string name() const = 0;
    /// Request a report with `report_data`; throws Error. Checks that the returned report carries exactly
    /// `report_data` (SNP offset 0x50; TDX quote body offset 0x208).
    virtual RawReport get_report(const ReportData& report_data) = 0;
};

// ---- configfs-tsm ----------------------------------------------------------------------------------------------

/// File operations the configfs-tsm backend performs, replaceable by tests that emulate the kernel's
/// side effects on a plain directory (mkdir populating the entry, inblob writes bumping generation ...).
struct TsmFsOps {
    std::function<int(const std::string& path)> make_dir;       ///< 0 or -errno
    std::function<int(const std::string& path)> remove_dir;     ///< 0 or -errno
    /// Read at most `max` bytes; returns 0 or -errno (-EFBIG when larger than max).
    std::function<int(const std::string& path, std::size_t max, Bytes& out)> read;
    std::function<int(const std::string& path, ByteView data)> write;  ///< 0 or -errno
    /// The real system calls.
    static TsmFsOps real();
};

/// Probe `report_root` (normally /sys/kernel/config/tsm/report): creates a temporary entry, reads its
/// `provider` and removes it. Returns nullptr when the root is absent or the provider is neither sev_guest
/// nor tdx_guest.
std::unique_ptr<AttestBackend> detect_configfs_tsm(const std::string& report_root, TsmFsOps ops = TsmFsOps::real());

// ---- /dev/sev-guest ----------------------------------------------------------------------------------------------

/// ioctl(2) as a function pointer so tests can fake the driver: (fd, request, arg) → 0 or -1 with errno.
using IoctlFn = int (*)(int fd, unsigned long request, void* arg);
/// The real ioctl(2).
int real_ioctl(int fd, unsigned long request, void* arg);

/// Returns a backend when `device` (normally /dev/sev-guest) can be opened read-write, else nullptr.
/// get_report issues SNP_GET_EXT_REPORT (VMPL 0), growing the certificate buffer when the driver answers
/// vmm_error SNP_GUEST_VMM_ERR_INVALID_LEN (up to 64 pages) and retrying on SNP_GUEST_VMM_ERR_BUSY (up to
/// `busy_retries` times, 100 ms apart).
std::unique_ptr<AttestBackend> detect_sev_guest(const std::string& device, IoctlFn ioctl_fn = real_ioctl,
                                                int busy_retries = 50);

// ---- simulated AMD-SP over virtio-serial -----------------------------------------------------------------------

inline constexpr const char* kSimAmdSpPort = "org.kettle.amdsp.0";

/// Find the virtio-serial port whose `<ports_root>/<vportNpM>/name` equals `port_name`; returns
/// "<dev_root>/<vportNpM>" or "" when there is none. ports_root is normally /sys/class/virtio-ports.
std::string find_virtio_port(const std::string& ports_root, const std::string& dev_root,
                             const std::string& port_name = kSimAmdSpPort);

/// One exchange of the simulated AMD-SP protocol on an open fd: writes
///   {"report_data":"<128 hex>","type":"snp-report-request"}\n
/// and reads one line (at most 64 KiB, within `timeout_ms`):
///   {"type":"snp-report-response","report":"<base64 1184 bytes>","cert_table":"<base64>"} or
///   {"type":"error","message":"..."}.
/// Throws Error for an error answer, a timeout, an oversize or malformed line, or a report whose
/// REPORT_DATA differs from the request.
RawReport sim_amdsp_exchange(int fd, const ReportData& report_data, int timeout_ms);

/// Backend over `device` (the path find_virtio_port returned).
std::unique_ptr<AttestBackend> make_sim_amdsp(const std::string& device, int timeout_ms = 30000);

// ---- detection and the entry point for PID 1 ----------------------------------------------------------------------

struct AttestOptions {
    std::string tsm_report_root = "/sys/kernel/config/tsm/report";
    std::string sev_guest_device = "/dev/sev-guest";
    std::string virtio_ports_root = "/sys/class/virtio-ports";
    std::string dev_root = "/dev";
    std::string sim_port_name = kSimAmdSpPort;
    int sim_timeout_ms = 30000;
    bool try_configfs_tsm = true;
    bool try_sev_guest = true;
    bool try_sim = true;
    TsmFsOps tsm_ops = TsmFsOps::real();
    IoctlFn ioctl_fn = real_ioctl;
    /// The guest's measured-boot evidence (event logs, register values), copied into evidence.json as is.
    BootEvidence boot;
};

/// First available backend in the documented order, or nullptr (mode "none").
std::unique_ptr<AttestBackend> detect_backend(const AttestOptions& opt);

struct AttestResult {
    bool attested = false;         ///< a report binding the statement and key was obtained
    AttestMode mode = AttestMode::none;  ///< the mode recorded in builder.id
    std::string platform;          ///< evidence platform ("snp", "tdx", "sim-snp", "none")
    std::string backend;           ///< backend name, "" for none
    std::string statement;         ///< S, the JCS statement bytes (the DSSE payload)
    std::string envelope_jsonl;    ///< provenance.intoto.jsonl contents (one line + "\n")
    std::string evidence_json;     ///< evidence.json contents
    std::string keyid;             ///< hex SHA-256 of the SPKI DER
    ReportData report_data{};      ///< the 64 bytes requested
    /// The report's HOST_DATA (SNP) / MRCONFIGID (TDX) equals inputs.input_disk_sha256. Informational for
    /// status.json (the verifier checks it too); false when not attested.
    bool host_data_matches = false;
    /// host_commitment() of the report: "matches", "none" (TDX, MRCONFIGID all zero) or "differs"; "" when not
    /// attested.
    std::string host_commitment;
    std::string error;             ///< why unattested ("" when attested or when no backend exists)
};

/// The whole attestation step of PID 1, called after every build process is dead:
///   detect backend → mode; S = serialize_statement(inputs, mode); fresh P-256 key; DSSE-sign S;
///   REPORT_DATA = SHA-256(S) ‖ SHA-256(SPKI); request the report; evidence.json.
/// If the backend fails, the statement is rebuilt with mode none (builder.id .../none/v1) and re-signed,
/// and `error` says why. Throws Error only when the provenance itself cannot be built (bad inputs) or the
/// key cannot be generated.
AttestResult attest_build(const ProvenanceInputs& inputs, const AttestOptions& opt = {});

}  // namespace kettle

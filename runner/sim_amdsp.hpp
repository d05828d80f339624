// The simulated AMD Secure Processor for the tcg and kvm profiles (README "Profiles").
//
// It serves the guest's report requests on the virtio-serial port `org.kettle.amdsp.0`, whose
// host end is a unix socket QEMU connects to. Protocol: one JSON object per line, each way.
//   request : {"type":"snp-report-request","report_data":"<128 hex chars = 64 bytes>"}
//   response: {"type":"snp-report-response","report":"<base64, 1184 bytes>","cert_table":"<base64>"}
//          or {"type":"error","message":"..."}
// A request line longer than kMaxRequestLine bytes, or anything else that is not such a request,
// gets an error response (the connection stays usable; an over-long line is discarded up to '\n').
//
// The report is a real version-3 ATTESTATION_REPORT (AMD SEV-SNP ABI spec 56860, Table 23), signed with ECDSA P-384/SHA-384
// over bytes 0x000..0x29F by a test VCEK. The VCEK is certified by a test ASK, certified by a
// self-signed test ARK (RSA-4096, RSASSA-PSS SHA-384, MGF1-SHA-384, salt 48), all with "KETTLE-SIM"
// in their subject CN, so no verifier configured for AMD's real roots can mistake them for
// hardware evidence.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "kettle/core/bytes.hpp"

namespace kettle::runner {

inline constexpr std::size_t kSnpReportSize = 0x4A0;   ///< 1184 bytes
inline constexpr std::size_t kSnpSignedSize = 0x2A0;   ///< bytes covered by the signature
inline constexpr std::size_t kMaxRequestLine = 4096;

/// The test chain: DER certificates and the VCEK private key. Generated once into a directory
/// (ark.der, ask.der, vcek.der, vcek.key.pem) and reused.
class SimChain {
public:
    /// Load the chain from `dir`, or generate it there first (atomically: a temporary directory
    /// renamed into place, so concurrent callers end with one chain). RSA-4096 key generation takes
    /// seconds to a minute. Throws Error naming the file on I/O or parse failure.
    static SimChain load_or_create(const std::string& dir);
    /// `$KETTLE_CACHE/sim-chain-v2`, or `$HOME/.cache/kettle/sim-chain-v2` (v2: VCEK with SNP SPL 0x18).
    static std::string default_dir();

    SimChain(SimChain&&) noexcept;
    SimChain& operator=(SimChain&&) noexcept;
    ~SimChain();

    const Bytes& ark_der() const { return ark_; }
    const Bytes& ask_der() const { return ask_; }
    const Bytes& vcek_der() const { return vcek_; }

    /// ECDSA P-384 over SHA-384(msg); returns (R, S) as 72-byte little-endian each, the layout of
    /// the report SIGNATURE field.
    std::pair<Bytes, Bytes> sign_p384(ByteView msg) const;

private:
    SimChain();
    Bytes ark_, ask_, vcek_;
    struct Key;
    std::unique_ptr<Key> key_;
};

/// Fixed values of the simulated platform: a Milan part, TCB (Milan layout) BOOT_LOADER 3, TEE 0,
/// SNP 0x18 (the built-in Milan floor, AMD-SB-3019), MICROCODE 115, firmware 1.55 build 21, and a fake CHIP_ID
/// beginning "KETTLE-SIM".
struct SimPlatform {
    std::uint8_t bl_spl = 3, tee_spl = 0, snp_spl = 0x18, ucode_spl = 115;
    Bytes chip_id;  ///< 64 bytes
    SimPlatform();
    /// TCB_VERSION, Milan/Genoa layout: byte0 BOOT_LOADER, byte1 TEE, byte6 SNP, byte7 MICROCODE.
    std::uint64_t tcb() const;
};

/// What the host fixed at launch.
struct SimLaunch {
    Bytes measurement = Bytes(48, 0);  ///< launch digest (48 bytes); all zero while unavailable
    Bytes host_data = Bytes(32, 0);    ///< SHA-256 of the input disk
    std::uint64_t policy = 0x30000;    ///< SMT allowed, reserved bit 17 = 1, DEBUG off
};

/// A signed version-3 report (1184 bytes) for `report_data` (64 bytes).
Bytes build_sim_report(const SimChain& chain, const SimPlatform& plat, const SimLaunch& launch,
                       ByteView report_data, ByteView report_id32);

/// The extended-report certificate table: 24-byte entries {GUID (16, RFC 4122 byte order as
/// printed), u32 LE offset, u32 LE length} for VCEK, ASK, ARK, then an all-zero entry, then the
/// DER certificates; offsets count from the start of the table.
Bytes sim_cert_table(const SimChain& chain);

/// Serves requests. handle_line() is the whole protocol and is what the tests call; start()/stop()
/// run it on a unix socket in a background thread.
class SimAmdSp {
public:
    SimAmdSp(const SimChain& chain, SimPlatform plat, SimLaunch launch);
    ~SimAmdSp();
    SimAmdSp(const SimAmdSp&) = delete;
    SimAmdSp& operator=(const SimAmdSp&) = delete;

    /// One request line (without '\n') -> one response line (without '\n'). Never throws.
    std::string handle_line(std::string_view line);

    /// Bind and listen on `socket_path` (removed first if it is a stale socket), then serve
    /// connections one after another in a thread until stop(). Throws Error when binding fails.
    void start(const std::string& socket_path);
    void stop();
    unsigned reports_served() const { return served_.load(); }
    unsigned errors_sent() const { return errors_.load(); }

private:
    void serve_loop();
    void serve_conn(int fd);
    const SimChain& chain_;
    SimPlatform plat_;
    SimLaunch launch_;
    Bytes table_;
    int listen_fd_ = -1;
    int stop_pipe_[2] = {-1, -1};
    std::string path_;
    std::thread thr_;
    std::atomic<unsigned> served_{0}, errors_{0};
};

}  // namespace kettle::runner

// Intel TDX DCAP quote v4 / v5: parse and verify offline.
// Sources: Intel "TDX DCAP Quoting Library API" (Quote Format, Appendix A: v4 header 48 bytes, TD 1.0 report body
// 584 bytes, v5 body descriptor + TD 1.5 body 648 bytes, ECDSA quote signature data, QE certification data type 6
// wrapping type 5 PCK chain); Intel SGX PCK Certificate and CRL Profile (SGX extension 1.2.840.113741.1.13.1);
// Intel PCS v4 TCB info / QE identity JSON; docs/verify.md.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kettle/core/bytes.hpp"
#include "kettle/core/check.hpp"
#include "kettle/core/json.hpp"
#include "kettle/core/x509.hpp"

namespace kettle::tdx {

using kettle::Check;

/// TD report body (TD 1.0: 584 bytes; TD 1.5 appends TEE_TCB_SVN_2 and MRSERVICETD: 648 bytes).
struct TdReportBody {
    std::array<std::uint8_t, 16> tee_tcb_svn{};      // 0x000
    std::array<std::uint8_t, 48> mr_seam{};          // 0x010
    std::array<std::uint8_t, 48> mr_signer_seam{};   // 0x040
    std::array<std::uint8_t, 8> seam_attributes{};   // 0x070
    std::array<std::uint8_t, 8> td_attributes{};     // 0x078 (bit 0 DEBUG)
    std::array<std::uint8_t, 8> xfam{};              // 0x080
    std::array<std::uint8_t, 48> mr_td{};            // 0x088
    std::array<std::uint8_t, 48> mr_config_id{};     // 0x0B8
    std::array<std::uint8_t, 48> mr_owner{};         // 0x0E8
    std::array<std::uint8_t, 48> mr_owner_config{};  // 0x118
    std::array<std::array<std::uint8_t, 48>, 4> rtmr{};  // 0x148, 0x178, 0x1A8, 0x1D8
    std::array<std::uint8_t, 64> report_data{};      // 0x208
    bool td15 = false;
    std::array<std::uint8_t, 16> tee_tcb_svn2{};     // 0x248 (TD 1.5)
    std::array<std::uint8_t, 48> mr_service_td{};    // 0x258 (TD 1.5)
    bool debug() const { return td_attributes[0] & 1; }
};

/// A parsed quote. All sizes are bounded by the input; nothing is trusted.
struct Quote {
    std::uint16_t version = 0;        ///< 4 or 5
    std::uint16_t att_key_type = 0;   ///< 2 = ECDSA-256 with P-256
    std::uint32_t tee_type = 0;       ///< 0x81 = TDX
    std::array<std::uint8_t, 16> qe_vendor_id{};
    std::array<std::uint8_t, 20> user_data{};
    std::uint16_t body_type = 2;      ///< v5: 2 = TD 1.0, 3 = TD 1.5 (v4: 2)
    std::uint32_t body_size = 584;
    TdReportBody body;
    Bytes signed_region;              ///< header + (v5 descriptor +) body: what the attestation key signs
    std::array<std::uint8_t, 64> signature{};        ///< r||s big-endian
    std::array<std::uint8_t, 64> attestation_key{};  ///< x||y
    std::uint16_t cert_type = 0;      ///< outer certification data type (6)
    std::array<std::uint8_t, 384> qe_report{};       ///< SGX report body of the QE
    std::array<std::uint8_t, 64> qe_report_signature{};
    Bytes qe_auth_data;
    std::uint16_t pck_cert_type = 0;  ///< inner certification data type (5 = PEM chain)
    Bytes pck_chain_pem;

    /// Parse a v4 or v5 quote (at most 1 MiB). Throws Error("quote: ...").
    static Quote parse(ByteView b);
};

inline constexpr const char* kIntelQeVendorId = "939a7233f79c4ca9940a0db3957f0607";
/// SHA-256 of the DER of the Intel SGX Root CA (pinned).
inline constexpr const char* kIntelRootSha256 = "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3";
/// The Intel SGX Root CA (DER), built in.
const Bytes& intel_root_der();

/// Collateral read from a directory: tcbinfo*.json (TDX TCB info), qe_identity*.json, tcb_signing_chain.pem,
/// pckcrl.* (DER) and rootcrl.* (DER). Missing files stay empty here; the checks require every piece
/// (missing_collateral names what is absent).
struct Collateral {
    std::string tcb_info_json, qe_identity_json;
    Bytes tcb_signing_chain_pem, pck_crl_der, root_crl_der;
};
/// Reads the collateral files of `dir` (names in docs/verify.md). With `follow_symlinks` false (the collateral
/// directory inside a bundle), symbolic links are skipped and never read through.
Collateral load_collateral(const std::string& dir, bool follow_symlinks = true);
/// The files a verification needs that `c` lacks, comma-separated ("" when complete): "tcbinfo*.json",
/// "qe_identity*.json", "tcb_signing_chain.pem", "pckcrl (PCK CRL)", "rootcrl (root CA CRL)".
std::string missing_collateral(const Collateral& c);

/// PCK certificate SGX extension values (1.2.840.113741.1.13.1.*).
struct PckInfo {
    Bytes fmspc;                      ///< 6 bytes
    std::array<int, 16> sgx_tcb{};   ///< comp SVNs 1..16
    int pcesvn = -1;
};
PckInfo decode_pck_extension(ByteView pck_der);

/// What a TDX verification accepts. Defaults are the strict ones (docs/verify.md, "TDX policy").
struct TdxPolicy {
    std::vector<Bytes> mr_td;                  ///< allowed MRTD values (48 bytes); empty = not checked
    std::array<std::vector<Bytes>, 4> rtmr;    ///< allowed RTMRi values; empty = not checked
    bool allow_debug = false;                  ///< TD_ATTRIBUTES bit 0 DEBUG
    bool allow_migratable = false;             ///< TD_ATTRIBUTES bit 29 MIGRATABLE
    bool require_sept_ve_disable = true;       ///< TD_ATTRIBUTES bit 28 SEPT_VE_DISABLE must be set
    bool allow_pks = true;                     ///< TD_ATTRIBUTES bit 30 PKS
    bool allow_kl = true;                      ///< TD_ATTRIBUTES bit 31 KL (Key Locker)
    bool allow_perfmon = true;                 ///< TD_ATTRIBUTES bit 63 PERFMON
    std::optional<Bytes> xfam;                 ///< 8 bytes: XFAM must equal it when set
    bool allow_mr_service_td = false;          ///< a non-zero MRSERVICETD (TD 1.5 reports)
    std::vector<std::string> accepted_tcb_status = {"UpToDate"};
    /// Library-only escape hatch for tests of the quote rows (never set by the CLI or a policy file): with false
    /// and *no* collateral at all, the collateral checks are skipped and reported "not evaluated". Whenever
    /// collateral is given it must be complete and verify.
    bool require_collateral = true;
    std::optional<Bytes> mr_config_id_prefix;  ///< compared with MRCONFIGID[0:len]
    std::optional<Bytes> report_data;          ///< 64 bytes
    std::vector<Bytes> trust_roots;            ///< extra root CAs (DER) accepted besides Intel's (--trust-root)
};

/// Which collateral a verification used and its dates (RFC 3339 UTC): reported by `--json`.
struct CollateralUse {
    std::string tcb_signing_cn;                              ///< subject CN of the TCB signing certificate
    std::string tcb_info_issue_date, tcb_info_next_update;   ///< Intel PCS tcbInfo issueDate / nextUpdate
    std::string qe_identity_issue_date, qe_identity_next_update;
    std::string pck_crl_issuer, pck_crl_this_update, pck_crl_next_update;  ///< CRL thisUpdate / nextUpdate
    std::string root_crl_this_update, root_crl_next_update;
};
/// {"tcb_info":{"issue_date","next_update"},"qe_identity":{..},"pck_crl":{"issuer","this_update","next_update"},
///  "root_crl":{..},"tcb_signing_cn":..}
Json collateral_use_json(const CollateralUse& u);

struct Result {
    bool ok = false;
    std::vector<Check> checks;
    std::optional<Quote> quote;
    std::string tcb_status;  ///< "UpToDate", "OutOfDate", ..., "TCB level not supported", or "" if not evaluated
    std::string fmspc;       ///< hex
    CollateralUse collateral;  ///< filled as the collateral checks pass
};

/// Runs the TDX table of checks (kettle/tdx/checks.hpp, one row function each) in order, stopping at the first
/// FAIL: "evidence" (parse), "quote-format" (version, key type, TEE type, QE vendor), "pck-chain" (PCK ->
/// Platform/Processor CA -> pinned Intel SGX Root CA at `now`, PCK CRL and root CRL), "qe-report" (QE report
/// signature by the PCK key, REPORTDATA binding of the attestation key, Intel-signed QE identity), "quote-signature"
/// (attestation key over header+body), "tcb" (collateral: TCB info signature and status), "policy" (TD attributes,
/// XFAM, MRSERVICETD, MRTD, RTMRs). `collateral` nullptr (none given) fails at pck-chain unless
/// policy.require_collateral is false.
Result verify_quote(ByteView raw, const Collateral* collateral, const TdxPolicy& policy, std::int64_t now);

}  // namespace kettle::tdx

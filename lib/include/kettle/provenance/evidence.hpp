// evidence.json: the hardware report or quote that binds a Kettle provenance (docs/evidence.md), and the
// SEV-SNP extended-report certificate table (GHCB spec 56421, MSG_REPORT_REQ / SNP_GET_EXT_REPORT).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "kettle/core/bytes.hpp"

namespace kettle {

inline constexpr const char* kEvidenceSchema = "kettle-evidence/v1";

/// One certificate the host supplied. type ∈ {"vcek","vlek","ask","asvk","ark"}; der = X.509 DER bytes.
struct EvidenceCert {
    std::string type;
    Bytes der;
};

/// A measured-boot event log as the guest copied it, unparsed (docs/evidence.md "Boot evidence").
struct BootEventLog {
    std::string source;                       ///< "ccel" (ACPI CCEL log area, TDX) | "tpm" (the TPM's log)
    std::string format = "tcg2-crypto-agile"; ///< the only format: TCG PC Client PFP §10.2
    Bytes data;                               ///< the bytes read, at most kMaxBootEventLog
    bool truncated = false;                   ///< the source held more than kMaxBootEventLog bytes
};
inline constexpr std::size_t kMaxBootEventLog = std::size_t{1} << 20;

/// Register values the guest read at boot (informational: nothing signs them; a verifier replays the log
/// against the quote's RTMRs, or a TPM quote's PCRs).
struct GuestRegisters {
    /// TPM bank ("sha1", "sha256", "sha384", "sha512") → PCR index (0..23) → value, from
    /// /sys/class/tpm/tpm0/pcr-<bank>/<index>.
    std::map<std::string, std::map<std::uint32_t, Bytes>> tpm_pcrs;
    std::vector<Bytes> rtmrs;  ///< TDX RTMR0..3 (48 bytes each) from a TDREPORT, or empty
};

/// What the guest captured of its own measured boot.
struct BootEvidence {
    std::vector<BootEventLog> logs;  ///< CCEL first, then TPM; empty when neither exists
    Bytes ccel_table;                ///< the ACPI CCEL table (56 bytes), with a "ccel" log
    GuestRegisters registers;
};

struct Evidence {
    std::string platform;                  ///< "snp" | "tdx" | "sim-snp" | "none"
    std::string report_data_layout = "kettle-binding/v1";
    Bytes report;                          ///< raw SNP ATTESTATION_REPORT (1184 bytes) or TDX quote; empty for "none"
    std::vector<EvidenceCert> certificates;
    std::string signing_key_pem;           ///< the DSSE key, PEM SubjectPublicKeyInfo
    BootEvidence boot;                     ///< boot event logs and register values seen by the guest
};

/// evidence.json text: the JCS serialization of
///   {"boot_event_logs":[{"data":b64,"format":"tcg2-crypto-agile","source":s,"truncated":b}...],
///    "ccel_table":b64,"certificates":[{"der":b64,"type":t}...],
///    "guest_registers":{"rtmrs":[hex...],"tpm_pcrs":{bank:{"<index>":hex}}},"platform":p,"report":b64,
///    "report_data_layout":l,"schema":"kettle-evidence/v1","signing_key":pem}
/// followed by "\n". Base64 is standard and padded; hex is lower case.
std::string evidence_json(const Evidence& ev);

/// Strict parse of evidence.json (duplicate keys, unknown schema or platform, bad base64, unknown
/// certificate types and oversize fields are errors; unknown extra members are ignored; the boot members
/// are optional, as written before they existed). Bounds: file ≤ 8 MiB, report ≤ 1 MiB, each certificate
/// ≤ 64 KiB, at most 16 certificates; at most 4 boot event logs of ≤ 1 MiB each, source "ccel" or "tpm",
/// format "tcg2-crypto-agile"; ccel_table ≤ 4 KiB; tpm_pcrs banks sha1/sha256/sha384/sha512, indexes
/// 0..23, values of the bank's digest size; rtmrs empty or 4 × 48 bytes. Throws Error("evidence: ...").
Evidence parse_evidence(std::string_view text);

/// Parse an SNP certificate table (the auxblob of configfs-tsm or the certs buffer of SNP_GET_EXT_REPORT):
/// 24-byte entries {GUID[16] (RFC 4122 byte order), u32 offset LE, u32 length LE} terminated by an all-zero
/// entry; offsets are from the start of `table`. GUIDs: VCEK 63da758d-e664-4564-adc5-f4b93be8accd, VLEK
/// a8074bc2-a25a-483e-aae6-39c045a0b8a1, ASK 4ab7b379-bbac-4fe4-a02f-05aef327c782 (also used for the ASVK;
/// told apart by a subject CN starting "SEV-VLEK-"), ARK c0b406a4-a803-4952-9743-3fb6014cd0ae. Entries
/// with other GUIDs are skipped. An empty table, or one that is all zero, gives no entries.
/// Errors: missing terminator, an entry out of bounds, more than 64 entries, a zero-length certificate.
std::vector<EvidenceCert> parse_snp_cert_table(ByteView table);

/// Build a certificate table from entries (inverse of parse_snp_cert_table; used by tests and by the
/// simulated AMD-SP). "asvk" is written with the ASK GUID.
Bytes build_snp_cert_table(const std::vector<EvidenceCert>& certs);

}  // namespace kettle

// evidence.json: the hardware report or quote that binds a Kettle provenance (docs/evidence.md), and the
// SEV-SNP extended-report certificate table (GHCB spec 56421, MSG_REPORT_REQ / SNP_GET_EXT_REPORT).
#pragma once
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

struct Evidence {
    std::string platform;                  ///< "snp" | "tdx" | "sim-snp" | "none"
    std::string report_data_layout = "kettle-binding/v1";
    Bytes report;                          ///< raw SNP ATTESTATION_REPORT (1184 bytes) or TDX quote; empty for "none"
    std::vector<EvidenceCert> certificates;
    std::string signing_key_pem;           ///< the DSSE key, PEM SubjectPublicKeyInfo
};

/// evidence.json text: the JCS serialization of
///   {"certificates":[{"der":b64,"type":t}...],"platform":p,"report":b64,"report_data_layout":l,
///    "schema":"kettle-evidence/v1","signing_key":pem}
/// followed by "\n". Base64 is standard and padded.
std::string evidence_json(const Evidence& ev);

/// Strict parse of evidence.json (duplicate keys, unknown schema or platform, bad base64, unknown
/// certificate types and oversize fields are errors; unknown extra members are ignored).
/// Bounds: report ≤ 1 MiB, each certificate ≤ 64 KiB, at most 16 certificates. Throws Error("evidence: ...").
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

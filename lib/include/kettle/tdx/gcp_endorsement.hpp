// Google's launch endorsement of GCE's TDX firmware (google/gce-tcb-verifier, proto/endorsement.proto):
// a binary-serialized VMLaunchEndorsement {1: serialized_uefi_golden bytes, 2: signature bytes}, where the golden
// is a VMGoldenMeasurement {1: timestamp (google.protobuf.Timestamp {1: seconds, 2: nanos}), 2: cl_spec uint64,
// 3: commit bytes, 4: cert (DER of the signing key's certificate), 5: digest (SHA-384 of the UEFI binary, 48 bytes),
// 6: ca_bundle (PEM), 7: sev_snp (skipped), 8: tdx VMTdx {1: svn uint32, 2: repeated Measurement {1: ram_gib
// uint32, 2: early_accept bool, 3: mrtd bytes (48)}}}. The signature is RSASSA-PSS with SHA-256, MGF1-SHA-256 and
// a 32-byte salt over the golden bytes, by the key of `cert`, which GCE-cc-tcb-root issues
// (gce-tcb-verifier gcetcbendorsement/verify.go; https://pki.goog/cloud_integrity/GCE-cc-tcb-root_1.crt).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kettle/core/bytes.hpp"

namespace kettle::tdx {

/// SHA-256 of the DER of Google's root GCE-cc-tcb-root_1 (https://pki.goog/cloud_integrity/GCE-cc-tcb-root_1.crt;
/// subject CN=GCE-cc-tcb-root, serialNumber=1, O=Google; self-signed RSA, valid 2023-10-16T21:54:25Z ..
/// 2048-10-15T21:54:25Z): e876bc6978bf4f3da445f98a0a82363c8c0bae5a1fc033c6df65846a6cb0f18c, the value other verifiers
/// pin for that URL (tests/data/gcp/google/README.md). The built-in default of the policy's gcp_tcb_root_sha256.
inline constexpr std::uint8_t kGceTcbRoot1Sha256[32] = {
    0xe8, 0x76, 0xbc, 0x69, 0x78, 0xbf, 0x4f, 0x3d, 0xa4, 0x45, 0xf9, 0x8a, 0x0a, 0x82, 0x36, 0x3c,
    0x8c, 0x0b, 0xae, 0x5a, 0x1f, 0xc0, 0x33, 0xc6, 0xdf, 0x65, 0x84, 0x6a, 0x6c, 0xb0, 0xf1, 0x8c};

/// Upper bound of an endorsement file (Google's are a few KiB: two certificates, a signature, a few MRTDs).
inline constexpr std::size_t kMaxEndorsementBytes = std::size_t{256} * 1024;
/// Upper bound of TDX measurements in one golden (one per RAM size and early-accept setting).
inline constexpr std::size_t kMaxTdxMeasurements = 1024;

/// One VMTdx.Measurement.
struct TdxGoldenMeasurement {
    std::uint32_t ram_gib = 0;
    bool early_accept = false;
    Bytes mrtd;  ///< 48 bytes
};

/// The VMGoldenMeasurement fields the verifier reads (absent fields keep their defaults, as proto3 says).
struct GoldenMeasurement {
    std::int64_t timestamp = 0;  ///< seconds since the epoch (Timestamp.seconds)
    std::uint64_t cl_spec = 0;
    Bytes commit;
    Bytes cert;                  ///< DER
    Bytes uefi_digest;           ///< SHA-384 of the UEFI binary (48 bytes, or empty)
    Bytes ca_bundle;             ///< PEM (field 6; Google's real endorsements carry GCE-cc-tcb-root_1 here)
    bool has_tdx = false;
    std::uint32_t tdx_svn = 0;
    std::vector<TdxGoldenMeasurement> tdx;
};

/// A VMLaunchEndorsement: the golden exactly as signed, its signature, and the golden parsed.
struct LaunchEndorsement {
    Bytes golden_bytes;
    Bytes signature;
    GoldenMeasurement golden;
};

/// Parse an endorsement file (at most kMaxEndorsementBytes). Each known field must have its schema's wire type and
/// appear at most once (repeated Measurement excepted); unknown fields are skipped within bounds; the
/// golden_bytes and signature must be present; an MRTD must be 48 bytes, a UEFI digest 48 bytes, Timestamp seconds
/// within 0001..9999 (RFC 3339 range). Throws Error("endorsement: ...") naming the defect.
LaunchEndorsement parse_launch_endorsement(ByteView file);

/// What a verified endorsement says about one MRTD.
struct EndorsementCheck {
    LaunchEndorsement endorsement;
    TdxGoldenMeasurement match;  ///< the golden's measurement equal to the quote's MRTD
    std::string signer_cn;       ///< the signing certificate's subject CN
    std::string root_cn;
    Bytes root_sha256;           ///< SHA-256 of the root certificate's DER
    bool root_from_ca_bundle = false;  ///< the root was the endorsement's own ca_bundle, not a root file
};

/// Verify `file` for the quote's `mrtd` (48 bytes) under the root certificate `root_der` (DER or PEM, one
/// certificate, self-signed; when `root_der` is empty, the golden's own ca_bundle, which must then hold exactly one
/// certificate: this function does not decide whether a root is trusted, check_root_pin does, so the root's source
/// does not matter), at time `now` (seconds since the epoch): the golden's cert is issued and signed by the
/// root, both valid at `now`, the cert's keyUsage allows digitalSignature; the signature over the golden bytes
/// verifies under the cert's RSA key (RSASSA-PSS SHA-256, salt 32); the golden has TDX measurements and one of them
/// is `mrtd`. Throws Error("endorsement: ...") naming the first defect.
EndorsementCheck verify_launch_endorsement(ByteView file, ByteView root_der, ByteView mrtd, std::int64_t now);

/// Whether the root an endorsement was verified under is the pinned one. `root_sha256` (32 bytes) is
/// EndorsementCheck::root_sha256; `policy_pin` is the policy's gcp_tcb_root_sha256 (32 bytes) when it names one,
/// which then replaces the built-in kGceTcbRoot1Sha256 (a private or test root is accepted only that way). Returns
/// a phrase naming the pin that matched ("Google's GCE-cc-tcb-root_1 (built-in pin)" or "the policy's
/// gcp_tcb_root_sha256"); throws Error("endorsement: ...") naming both digests when the root is not the pinned one.
std::string check_root_pin(ByteView root_sha256, const std::optional<Bytes>& policy_pin);

}  // namespace kettle::tdx

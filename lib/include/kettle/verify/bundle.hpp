// `kettle verify`: offline, fail-closed verification of a build bundle (OUT_DIR).
//
// Bundle layout (docs/verify.md): provenance.intoto.jsonl (one DSSE envelope, payloadType
// application/vnd.in-toto+json, one ECDSA P-256 DER signature, keyid = hex SHA-256 of the SPKI DER),
// evidence.json ({"schema":"kettle-evidence/v1","platform":"snp"|"tdx"|"sim-snp"|"none",
// "report_data_layout":"kettle-binding/v1","report":base64,"certificates":[{"type","der"}],"signing_key":PEM}),
// artifacts/ (every subject, path = subject name), status.json, build.log.
//
// The checks are a table per platform (lib/verify/bundle.cpp), run in order; the first FAIL stops verification:
//   1 evidence  2 report-format  3 product  4 chain  5 vek-extensions  6 report-signature
//   7 binding (REPORT_DATA[0:32] = SHA-256(payload), [32:64] = SHA-256(SPKI DER), all 64 bytes)
//   8 dsse-signature  9 policy  10 statement  11 artifacts  12 nonce
// The statement's bytes are bound (7) and signature-checked (8) before any row reads a field of it (9-12).
// For TDX, 2..6 are quote-format, pck-chain, qe-report, quote-signature, tcb.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kettle/boot/measured_boot.hpp"
#include "kettle/core/bytes.hpp"
#include "kettle/core/check.hpp"
#include "kettle/verify/policy.hpp"
#include "kettle/verify/summary.hpp"

namespace kettle::bundle {

using kettle::Check;

inline constexpr const char* kBuildType = "https://kettle-build.org/buildtypes/confidential-vm/v1";
/// builder.id for a platform: https://kettle-build.org/builders/<snp|tdx|sim|none>/v1 ("sim-snp" gives "sim").
std::string builder_id_for(const std::string& platform);

/// How the build VM booted, which decides the checks of the measured boot and who vouches for the image
/// (docs/verify.md "Measured boot"):
/// direct — QEMU direct boot (`-kernel kettle.efi`): the launch measurement (SNP) or RTMR1/RTMR2 (TDX) cover the
///   UKI: the hardware vouches;
/// gcp_tdx — disk boot on GCP TDX (C3): the CCEL log, replayed to the quote's RTMRs, carries the UKI: hardware;
/// azure — disk boot with Azure's paravisor vTPM: the paravisor vouches;
/// gcp_snp, aws_snp — disk boot with the provider's hypervisor vTPM (GCP N2D, AWS): the hypervisor vouches.
enum class BootPath { direct, gcp_tdx, azure, gcp_snp, aws_snp };
/// "direct", "gcp-tdx", "azure", "gcp-snp", "aws-snp".
const char* boot_path_name(BootPath p);
/// The inverse of boot_path_name; Error for any other text.
BootPath parse_boot_path(std::string_view name);
/// Who vouches for the image on a boot path: "hardware", "paravisor" or "hypervisor".
const char* image_vouched_by(BootPath p);

struct Options {
    Policy policy;
    /// Must equal externalParameters.nonce: the same string, or (when both are hex) the same bytes.
    std::optional<std::string> nonce;
    /// The caller chose not to check freshness (`--no-nonce`). Without it and without `nonce`, a statement that
    /// carries a non-empty externalParameters.nonce FAILs the nonce check: freshness is never skipped silently.
    bool no_nonce = false;
    bool allow_sim = false;
    std::int64_t now = 0;            ///< certificates and collateral are checked at this time (seconds since the epoch)
    std::vector<Bytes> trust_roots;  ///< extra ARK roots (DER)
    std::string collateral_dir;      ///< TDX collateral; "" = <OUT_DIR>/collateral if present
    std::optional<Bytes> vek;        ///< VCEK/VLEK (DER) to use when evidence.json carries none (--vcek)
    std::vector<Bytes> extra_certs;  ///< ASK/ASVK offered on the command line (--chain)
    BootPath boot_path = BootPath::direct;     ///< --boot
    std::optional<boot::BootPrediction> disk_boot;  ///< the disk-boot prediction of the image (--image with --boot)
    /// gcp-tdx: Google's launch endorsement of the firmware (a serialized VMLaunchEndorsement, --endorsement FILE)
    /// and the GCE TCB root certificate it must chain to (DER or PEM, --gcp-tcb-root FILE; when absent, the one
    /// certificate of the endorsement's own ca_bundle), whose SHA-256 must be Google's GCE-cc-tcb-root_1
    /// (tdx::kGceTcbRoot1Sha256, built in) or the policy's gcp_tcb_root_sha256, wherever the root came from.
    std::optional<Bytes> gcp_endorsement;
    std::optional<Bytes> gcp_tcb_root;
};

/// Run the checks over the bundle in `dir`: the evidence row, then the table of the evidence's platform. Never
/// throws for bad bundle content (that is a FAIL); throws Error when `dir` is not a directory, or when a
/// collateral directory given in `opts` (or a file in the bundle's collateral/) cannot be read.
Summary verify_bundle(const std::string& dir, const Options& opts);

/// Decode base64: standard or URL-safe alphabet (not mixed), padding optional, at most `max_out` bytes.
/// Throws Error("<what>: ...").
Bytes base64_decode_lenient(std::string_view s, const char* what, std::size_t max_out = 64u << 20);

}  // namespace kettle::bundle

// Offline verification of an AMD SEV-SNP ATTESTATION_REPORT: product, certificate chain (ARK -> ASK/ASVK ->
// VCEK/VLEK), VCEK/VLEK extensions, report signature and policy. Fail closed: every step throws or records FAIL.
// Sources: AMD SEV-SNP ABI 56860 (Table 23, §"Attestation"), AMD "Versioned Chip Endorsement Key (VCEK)
// Certificate and KDS Interface Specification" 57230 (extensions 1.3.6.1.4.1.3704.1.*);
// docs/verify.md.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kettle/core/bytes.hpp"
#include "kettle/core/check.hpp"
#include "kettle/snp/report.hpp"
#include "kettle/core/x509.hpp"

namespace kettle::snp {

using kettle::Check;

enum class VekKind { vcek, vlek };
const char* vek_kind_name(VekKind k);

/// VCEK/VLEK extensions (prefix 1.3.6.1.4.1.3704.1.): .1 struct version, .2 product name, .3.1 BL, .3.2 TEE,
/// .3.3 SNP, .3.8 microcode, .3.9 FMC (Turin) SPLs as DER INTEGERs, .4 hwID (raw bytes, VCEK), .5 CSP id (VLEK).
/// Absent integers are -1.
struct VekExtensions {
    std::int64_t struct_version = -1;
    std::string product_name;
    std::int64_t bl = -1, tee = -1, snp = -1, ucode = -1, fmc = -1;
    Bytes hwid;
    std::string csp_id;
};
/// Decode the AMD extensions of a VCEK/VLEK. Throws Error when an extension present is malformed
/// (an SPL that is not exactly one DER INTEGER, a product name that is not a string).
VekExtensions decode_vek_extensions(const x509::Cert& vek);

/// SHA-256 of the DER of AMD's ARK for `p` (pinned; from AMD KDS, https://kdsintf.amd.com/vcek/v1/<product>/cert_chain).
Bytes pinned_ark_sha256(Product p);
/// Built-in DER certificates for `p`: ARK, ASK (VCEK issuer) and ASVK (VLEK issuer). The ARK's fingerprint is
/// checked against pinned_ark_sha256 on first use; throws Error for Product::unknown.
struct BuiltinChain {
    Bytes ark, ask, asvk;
};
const BuiltinChain& builtin_chain(Product p);

/// Marker of the test chain used by Kettle's simulated AMD-SP: any certificate whose subject CN contains it.
inline constexpr const char* kSimMarker = "KETTLE-SIM";

struct ChainOptions {
    std::int64_t now = 0;        ///< validity is checked at this time (seconds since the epoch)
    bool allow_sim = false;      ///< accept KETTLE-SIM chains (and a self-signed KETTLE-SIM root shipped in evidence)
    std::vector<Bytes> trust_roots;  ///< extra trusted root certificates (DER), from --trust-root
};

struct ChainResult {
    VekKind kind = VekKind::vcek;
    Product product = Product::unknown;
    bool simulated = false;
    std::vector<std::string> path;  ///< subject CNs, VEK first, root last
    VekExtensions ext;
    Bytes vek_der;
};

/// Verify VEK -> ASK/ASVK -> ARK for `product`. The ARK is the built-in pinned one (or a --trust-root, or with
/// allow_sim a KETTLE-SIM root from `extra_certs`); intermediates come from `extra_certs` or the built-in ones.
/// AMD chains must use RSASSA-PSS SHA-384 / MGF1-SHA-384 / salt 48 on every link, an ASK for a VCEK and an ASVK
/// for a VLEK, and an EC P-384 VEK key. Every certificate must be valid at opts.now. Throws Error("chain: ...").
ChainResult verify_chain(Product product, ByteView vek_der, const std::vector<Bytes>& extra_certs,
                         const ChainOptions& opts);

/// REPORTED_TCB == the VEK's SPL extensions (layout of `product`), CHIP_ID == hwID (VCEK; 8 bytes on Turin),
/// SIGNING_KEY == the VEK kind, product name extension == `product`. Throws Error("vek-extensions: ...").
void check_vek_binding(const Report& r, const ChainResult& chain, Product product);

/// ECDSA P-384/SHA-384 over raw[0:0x2A0] with R, S as 72-byte little-endian values at 0x2A0 / 0x2E8.
/// Throws Error("report-signature: ...") when it does not verify.
void verify_report_signature(ByteView raw_report, ByteView vek_der);

/// Product for a report (check 3): from CPUID (v3+, must agree with `configured` when that is set); for v2 from
/// `configured`, else from the VEK's product-name extension (authenticated by the chain check that follows).
Product determine_product(const Report& r, Product configured, const x509::Cert* vek);

/// Policy for the report fields (check `policy`).
struct SnpPolicy {
    Product product = Product::unknown;
    std::vector<Bytes> measurements;  ///< allowed MEASUREMENTs (48 bytes each); empty = not checked
    /// Applied to REPORTED_TCB, COMMITTED_TCB and LAUNCH_TCB. Unset: the built-in floor of the product
    /// (builtin_tcb_floor); a product without one fails at `policy` (effective_tcb_floor).
    std::optional<TcbVersion> min_tcb;
    bool allow_debug = false;
    bool allow_migration_agent = false;
    enum class Smt { any, forbid, require } smt = Smt::any;
    std::optional<std::uint32_t> vmpl;  ///< required VMPL (unset = not checked)
    std::optional<Bytes> host_data;     ///< 32 bytes
    std::optional<Bytes> report_data;   ///< 64 bytes, compared in full
};
/// A minimum TCB and where it comes from ("policy min_tcb", or the bulletin of a built-in floor).
struct TcbFloor {
    TcbVersion min;
    std::string source;
};
/// The built-in minimum TCB of `p`, each value with its AMD security bulletin (docs/verify.md "TCB floors"):
/// Milan SNP SPL >= 0x18, Genoa SNP SPL >= 0x17 (AMD-SB-3019); nullopt for Turin and unknown products, for
/// which no sourced value exists.
std::optional<TcbFloor> builtin_tcb_floor(Product p);
/// The floor check_policy applies: the policy's min_tcb when given, else the built-in one. Throws
/// Error("policy: no minimum TCB for <product> ...; set \"min_tcb\" in the policy") when there is neither.
TcbFloor effective_tcb_floor(Product p, const SnpPolicy& pol);

/// Throws Error("policy: ...") naming the first item that fails (a TCB below the floor names the floor's source).
void check_policy(const Report& r, Product product, const SnpPolicy& p);

/// Result of verify_evidence: the checks run, in order (it stops at the first FAIL).
struct Result {
    bool ok = false;
    std::vector<Check> checks;
    std::optional<Report> report;
    Product product = Product::unknown;
    std::optional<ChainResult> chain;
    std::optional<TcbFloor> tcb_floor;  ///< the floor the policy check applied (set once that check ran)
    /// When no VCEK/VLEK was available: which certificate to fetch (product, hwID, TCB, KDS URL).
    std::string needed_certificate;
};

/// Checks 1-7 of an SNP report, the SNP table of checks (kettle/snp/checks.hpp, one row function each) run in
/// order and stopping at the first FAIL: "evidence" (size), "report-format" (version 2/3/4/5, SIGNATURE_ALGO 1,
/// must-be-zero fields), "product", "chain", "vek-extensions", "report-signature", "policy".
/// `vek` is the VCEK/VLEK DER (if any); `extra_certs` are other certificates offered (ASK/ASVK/ARK).
Result verify_evidence(ByteView raw_report, const std::optional<Bytes>& vek, const std::vector<Bytes>& extra_certs,
                       const SnpPolicy& policy, const ChainOptions& opts);

/// KDS URL for the VCEK of this report (product, hwID, REPORTED_TCB).
std::string kds_vcek_url(const Report& r, Product p);

}  // namespace kettle::snp

// `kettle verify`: offline, fail-closed verification of a build bundle (OUT_DIR).
//
// Bundle layout (docs/verify.md): provenance.intoto.jsonl (one DSSE envelope, payloadType
// application/vnd.in-toto+json, one ECDSA P-256 DER signature, keyid = hex SHA-256 of the SPKI DER),
// evidence.json ({"schema":"kettle-evidence/v1","platform":"snp"|"tdx"|"sim-snp"|"none",
// "report_data_layout":"kettle-binding/v1","report":base64,"certificates":[{"type","der"}],"signing_key":PEM}),
// artifacts/ (every subject, path = subject name), status.json, build.log.
//
// The checks, in order; the first FAIL stops verification:
//   1 evidence  2 report-format  3 product  4 chain  5 vek-extensions  6 report-signature  7 policy
//   8 binding (REPORT_DATA[0:32] = SHA-256(payload), [32:64] = SHA-256(SPKI DER), all 64 bytes)
//   9 dsse-signature  10 statement  11 artifacts  12 nonce
// For TDX, 2..6 are quote-format, pck-chain, qe-report, quote-signature, tcb.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kettle/core/bytes.hpp"
#include "kettle/core/json.hpp"
#include "kettle/snp/verify.hpp"
#include "kettle/tdx/quote.hpp"

namespace kettle::bundle {

using snp::Check;

inline constexpr const char* kBuildType = "https://kettle-build.org/buildtypes/confidential-vm/v1";
/// builder.id for a platform: https://kettle-build.org/builders/<snp|tdx|sim|none>/v1.
std::string builder_id_for(const std::string& platform);

/// Verification policy (JSON; unknown keys are rejected so that a typo cannot loosen it):
/// {"product":"Milan","measurements":[hex48...],"min_tcb":{"bootloader":n,"tee":n,"snp":n,"microcode":n,"fmc":n},
///  "allow_debug":false,"allow_migration_agent":false,"smt":"any"|"forbid"|"require","vmpl":0,
///  "builder_id":"...","build_type":"...","source_uri":"...","source_commit":"...",
///  "mrtd":[hex48...],"rtmr0".."rtmr3":[hex48...],"accepted_tcb_status":["UpToDate",...]}
struct Policy {
    snp::SnpPolicy snp;
    tdx::TdxPolicy tdx;
    std::optional<std::string> builder_id, build_type, source_uri, source_commit;
};
/// Parse a policy document. Throws Error("policy file: ...").
Policy parse_policy(std::string_view json_text);

struct Options {
    Policy policy;
    /// Must equal externalParameters.nonce: the same string, or (when both are hex) the same bytes.
    std::optional<std::string> nonce;
    bool allow_sim = false;
    std::int64_t now = 0;
    std::vector<Bytes> trust_roots;  ///< extra ARK roots (DER)
    std::string collateral_dir;      ///< TDX collateral; "" = <OUT_DIR>/collateral if present
    std::optional<Bytes> vek;        ///< VCEK/VLEK (DER) to use when evidence.json carries none (--vcek)
    std::vector<Bytes> extra_certs;  ///< ASK/ASVK offered on the command line (--chain)
};

struct Subject {
    std::string name;
    std::string sha256;
};

struct Summary {
    bool ok = false;
    bool simulated = false;
    std::string platform;
    std::vector<Check> checks;
    std::string measurement;  ///< hex (SNP MEASUREMENT or TDX MRTD)
    std::string builder_id, build_type, tcb_status;
    std::vector<Subject> subjects;
    Bytes envelope_sha256;
    /// Name of the first failing check, or "".
    std::string failed() const;
};

/// Run all checks over the bundle in `dir`. Never throws for bad bundle content (that is a FAIL); throws
/// Error only when `dir` cannot be read at all.
Summary verify_bundle(const std::string& dir, const Options& opts);

/// {"schema":"kettle-verify-summary/v1","result":"PASSED"|"FAILED","simulated":..,"platform":..,"checks":[..],..}
Json summary_json(const Summary& s);
/// Human summary: one line per check ("  ok    chain  ..." / "  FAIL  binding  ..."), then the verdict
/// (VERIFIED / FAILED, with SIMULATED in capitals for a simulated AMD-SP).
std::string summary_text(const Summary& s);
/// in-toto Statement v1 with predicateType https://slsa.dev/verification_summary/v1 for the subjects.
Json vsa_statement(const Summary& s, const std::string& policy_uri, const Bytes& policy_sha256, std::int64_t now);

/// Decode base64: standard or URL-safe alphabet (not mixed), padding optional. Throws Error("<what>: ...").
Bytes base64_decode_lenient(std::string_view s, const char* what, std::size_t max_out = 64u << 20);

}  // namespace kettle::bundle

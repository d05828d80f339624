// The outcome of `kettle verify` and its three renderings: the human summary, the JSON summary
// (kettle-verify-summary/v1) and a SLSA verification summary attestation (docs/verify.md, "Output").
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "kettle/core/bytes.hpp"
#include "kettle/core/check.hpp"
#include "kettle/core/json.hpp"

namespace kettle::bundle {

struct Subject {
    std::string name;
    std::string sha256;  ///< lowercase hex, as the statement gives it
};

// clang-tidy 14's bugprone-exception-escape flags the implicit noexcept special members of a struct holding an
// nlohmann::json (its destructor may allocate a stack); an allocation failure there terminates, as it should.
struct Summary {  // NOLINT(bugprone-exception-escape)
    bool ok = false;
    bool simulated = false;   ///< the report was signed by the simulated AMD-SP's KETTLE-SIM chain
    std::string platform;     ///< evidence.json "platform", as read
    std::vector<Check> checks;  ///< the checks that ran, in order; the last one failed unless ok
    std::string measurement;  ///< hex (SNP MEASUREMENT or TDX MRTD), once the report or quote is authenticated
    std::string builder_id, build_type, tcb_status;
    std::vector<Subject> subjects;
    std::string collateral_source;  ///< TDX: the collateral directory used ("bundle collateral/" or --collateral DIR)
    Json collateral;          ///< TDX: tdx::collateral_use_json + "source", once the tcb check passed; null otherwise
    std::string boot_path;       ///< bundle::boot_path_name of the boot path verified
    std::string image_vouched_by;  ///< "hardware" | "paravisor" | "hypervisor": who vouches for the image on that path
    Json firmware;            ///< gcp-tdx: {"mrtd_source": "endorsement"|"policy", ...} once the firmware check passed
    Json tcb_floor;           ///< SNP: {"min": "bl=.. tee=.. snp=.. ucode=..", "source": ..} the policy check applied; null before
    Bytes envelope_sha256;    ///< SHA-256 of provenance.intoto.jsonl as read
    /// How the nonce row ended: "checked" (--nonce matched), "skipped" (--no-nonce), "absent" (neither asked and
    /// the statement carries none), or "" when the row did not run or failed.
    std::string nonce;
    /// Name of the first failing check, or "".
    std::string failed() const;
};

/// {"schema":"kettle-verify-summary/v1","result":"PASSED"|"FAILED","simulated":..,"platform":..,"checks":[..],..,
///  "boot_path":..,"image_vouched_by":..,"collateral":{..} (TDX), "tcb_floor":{"min","source"} (SNP, once the policy check chose it), "nonce":"checked"|"skipped"|"absent" (once the nonce row passed)}. A check detail may quote hostile bytes that are not UTF-8: print it with
/// summary_json_text, which replaces them (U+FFFD) instead of throwing.
Json summary_json(const Summary& s);
/// summary_json(s) as text (`indent` spaces per level), invalid UTF-8 replaced by U+FFFD: never throws for any input.
std::string summary_json_text(const Summary& s, int indent = 2);
/// Human summary: one line per check ("  ok    chain  ..." / "  FAIL  binding  ..."), then the verdict
/// (VERIFIED / FAILED, with SIMULATED in capitals for a simulated AMD-SP).
std::string summary_text(const Summary& s);
/// in-toto Statement v1 with predicateType https://slsa.dev/verification_summary/v1 for the subjects (SLSA VSA v1;
/// `now` in seconds since the epoch; `policy_sha256` empty when no policy file was given). verifiedLevels is
/// SLSA_BUILD_LEVEL_3 only when the verification passed, the evidence is not simulated and the hardware vouches for
/// the image (image_vouched_by "hardware"); a passed verification otherwise claims SLSA_BUILD_LEVEL_1.
Json vsa_statement(const Summary& s, const std::string& policy_uri, const Bytes& policy_sha256, std::int64_t now);

}  // namespace kettle::bundle

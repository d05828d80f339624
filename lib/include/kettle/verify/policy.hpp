// The verification policy of `kettle verify` and `kettle verify-report` (docs/verify.md, "Policy file").
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "kettle/snp/verify.hpp"
#include "kettle/tdx/quote.hpp"

namespace kettle::bundle {

/// Verification policy (JSON; unknown keys are rejected so that a typo cannot loosen it):
/// {"product":"Milan","measurements":[hex48...],"min_tcb":{"bootloader":n,"tee":n,"snp":n,"microcode":n,"fmc":n},
///  "allow_debug":false,"allow_migration_agent":false,"smt":"any"|"forbid"|"require","vmpl":0,
///  "builder_id":"...","build_type":"...","source_uri":"...","source_commit":"...","source_tree":"...",
///  "mrtd":[hex48...],"rtmr0".."rtmr3":[hex48...],"accepted_tcb_status":["UpToDate",...],"xfam":hex8,
///  "allow_migratable":false,"require_sept_ve_disable":true,"allow_pks":true,"allow_kl":true,"allow_perfmon":true,
///  "allow_mr_service_td":false}
/// hex48 = 96 hex digits (48 bytes), hex8 = 16 hex digits (XFAM as in the TD report, little-endian); min_tcb
/// components 0..255 (absent = 0; without "min_tcb" the built-in floor of the product applies, snp::builtin_tcb_floor);
/// vmpl 0..3.
struct Policy {
    snp::SnpPolicy snp;
    tdx::TdxPolicy tdx;
    std::optional<std::string> builder_id, build_type;
    std::optional<std::string> source_uri;     ///< a host claim (docs/buildtype.md): matched, reported as such
    std::optional<std::string> source_commit;  ///< gitCommit of the source checked out in the guest: proven
    std::optional<std::string> source_tree;    ///< gitTree computed in the guest: proven
};
/// Parse a policy document (strict JSON: no duplicate keys). Throws Error("policy file: ...") naming the key.
Policy parse_policy(std::string_view json_text);

}  // namespace kettle::bundle

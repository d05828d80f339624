// The verification policy of `kettle verify` and `kettle verify-report` (docs/verify.md, "Policy file").
#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kettle/core/json.hpp"

#include "kettle/snp/verify.hpp"
#include "kettle/tdx/quote.hpp"

namespace kettle::bundle {

/// One rule of the policy's "packages" (docs/dependencies.md §3): a package URL without version
/// ("pkg:npm/lodash", "pkg:npm/%40types/node", "pkg:deb/debian/g++-12?arch=amd64"), optionally a version condition
/// ("4.17.21" exactly, or one of ">=", ">", "<=", "<", "=" then a version; dotted components compare numerically,
/// others as text; pkg:deb by Debian's order) and a digest ("sha512:<hex>"). A rule matches a resolvedDependency
/// whose uri is a package URL of the same type and path, compared percent-decoded ("g++-12", "g%2B%2B-12" and
/// "g%2b%2b-12" are one name) and case-folded for npm and deb (purl-spec), carrying every qualifier of the rule, and
/// meeting every condition given.
struct PackageRule {
    std::string purl;     ///< the "purl" as written
    std::string type;     ///< purl type, lower case: "npm", "cargo", "golang" or "deb"
    std::vector<std::string> path;                  ///< namespace segments and name, decoded (bundle::PurlParts)
    std::map<std::string, std::string> qualifiers;  ///< only "arch", only for deb
    std::string ecosystem;  ///< whose "lockfile/<ecosystem>" the statement needs: "npm", "cargo", "go", "debian"
    std::string op;       ///< "" (any version), "=", ">=", ">", "<=", "<"
    std::string version;  ///< the version of the condition
    std::string alg, hex; ///< digest condition (both empty: none)
    std::string text;     ///< the rule as written, for messages
};
/// Parse {"require": [rule...], "forbid": [rule...]} where a rule is {"purl": "...", "version": "...",
/// "digest": "alg:hex"} (only "purl" required). Throws Error("policy file: packages: ...") for a rule that could
/// never match a package of a provenance: a purl that does not parse (bad '%' escape), has @version or #subpath,
/// a type other than npm, cargo, golang, deb, a pkg:deb namespace other than "debian", a qualifier other than
/// pkg:deb's "arch".
void parse_package_rules(const Json& v, std::vector<PackageRule>& require, std::vector<PackageRule>& forbid);
/// Check the rules against a statement's resolvedDependencies (a JSON array): every rule's ecosystem checked (a
/// "lockfile/<ecosystem>" entry: without it the absence of a package proves nothing, so even a "forbid" rule
/// fails), every required rule matched by some package, no forbidden rule matched by any. Returns a detail for the
/// summary ("" without rules); throws Error("statement: ...") naming the rule and the package or ecosystem.
std::string check_package_rules(const Json& resolved, const std::vector<PackageRule>& require,
                                const std::vector<PackageRule>& forbid);

/// Verification policy (JSON; unknown keys are rejected so that a typo cannot loosen it):
/// {"product":"Milan","measurements":[hex48...],"min_tcb":{"bootloader":n,"tee":n,"snp":n,"microcode":n,"fmc":n},
///  "allow_debug":false,"allow_migration_agent":false,"smt":"any"|"forbid"|"require","vmpl":0,
///  "builder_id":"...","build_type":"...","source_uri":"...","source_commit":"...","source_tree":"...",
///  "mrtd":[hex48...],"rtmr0".."rtmr3":[hex48...],"accepted_tcb_status":["UpToDate",...],"xfam":hex8,
///  "allow_migratable":false,"require_sept_ve_disable":true,"allow_pks":true,"allow_kl":true,"allow_perfmon":true,
///  "allow_mr_service_td":false,"packages":{"require":[rule...],"forbid":[rule...]},"gcp_tcb_root_sha256":hex32}
/// hex48 = 96 hex digits (48 bytes), hex32 = 64 hex digits, hex8 = 16 hex digits (XFAM as in the TD report, little-endian); min_tcb
/// components 0..255 (absent = 0; without "min_tcb" the built-in floor of the product applies, snp::builtin_tcb_floor);
/// vmpl 0..3.
struct Policy {
    snp::SnpPolicy snp;
    tdx::TdxPolicy tdx;
    std::optional<std::string> builder_id, build_type;
    std::optional<std::string> source_uri;     ///< a host claim (docs/buildtype.md): matched, reported as such
    std::optional<std::string> source_commit;  ///< gitCommit of the source checked out in the guest: proven
    std::optional<std::string> source_tree;    ///< gitTree computed in the guest: proven
    std::vector<PackageRule> require_packages, forbid_packages;  ///< "packages": dependency rules
    /// "gcp_tcb_root_sha256": the SHA-256 (32 bytes) the GCE TCB root certificate's DER must have (gcp-tdx); when
    /// absent, Google's GCE-cc-tcb-root_1 (tdx::kGceTcbRoot1Sha256) is required
    std::optional<Bytes> gcp_tcb_root_sha256;
};
/// Parse a policy document (strict JSON: no duplicate keys). Throws Error("policy file: ...") naming the key.
Policy parse_policy(std::string_view json_text);

}  // namespace kettle::bundle

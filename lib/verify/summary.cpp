// The outcome of `kettle verify` rendered as text, as JSON and as a SLSA VSA (see kettle/verify/summary.hpp).
#include "kettle/verify/summary.hpp"

#include "kettle/core/x509.hpp"

namespace kettle::bundle {

namespace {

std::string pad2(const std::string& s, std::size_t w) { return s.size() >= w ? s : s + std::string(w - s.size(), ' '); }

}  // namespace

std::string Summary::failed() const {
    for (auto& c : checks)
        if (!c.ok) return c.name;
    return "";
}

Json summary_json(const Summary& s) {
    Json j = Json::object();
    j["schema"] = "kettle-verify-summary/v1";
    j["result"] = s.ok ? "PASSED" : "FAILED";
    j["simulated"] = s.simulated;
    j["platform"] = s.platform;
    Json checks = Json::array();
    for (auto& c : s.checks) checks.push_back({{"name", c.name}, {"ok", c.ok}, {"detail", c.detail}});
    j["checks"] = checks;
    if (!s.ok) j["failed_check"] = s.failed();
    if (!s.measurement.empty()) j["measurement"] = s.measurement;
    if (!s.builder_id.empty()) j["builder_id"] = s.builder_id;
    if (!s.build_type.empty()) j["build_type"] = s.build_type;
    if (!s.tcb_status.empty()) j["tcb_status"] = s.tcb_status;
    if (!s.boot_path.empty()) j["boot_path"] = s.boot_path;
    if (!s.image_vouched_by.empty()) j["image_vouched_by"] = s.image_vouched_by;
    if (!s.collateral.is_null()) j["collateral"] = s.collateral;
    if (!s.firmware.is_null()) j["firmware"] = s.firmware;
    if (!s.tcb_floor.is_null()) j["tcb_floor"] = s.tcb_floor;
    if (!s.nonce.empty()) j["nonce"] = s.nonce;
    Json subj = Json::array();
    for (auto& x : s.subjects) subj.push_back({{"name", x.name}, {"digest", {{"sha256", x.sha256}}}});
    j["subjects"] = subj;
    return j;
}

std::string summary_json_text(const Summary& s, int indent) {
    return summary_json(s).dump(indent, ' ', false, Json::error_handler_t::replace);
}

std::string summary_text(const Summary& s) {
    std::string out;
    for (auto& c : s.checks) out += std::string("  ") + (c.ok ? "ok    " : "FAIL  ") + pad2(c.name, 18) + c.detail + "\n";
    if (!s.image_vouched_by.empty())
        out += "  boot path " + s.boot_path + ": the image is vouched for by the " +
               (s.image_vouched_by == "hardware" ? std::string("hardware (the TEE's own measurement)")
                                                 : s.image_vouched_by + " (a vTPM outside the TEE's hardware root)") + "\n";
    if (s.ok && s.nonce == "skipped") out += "freshness NOT checked: --no-nonce\n";
    if (s.ok) {
        out += s.simulated ? "VERIFIED (SIMULATED AMD-SP: not hardware evidence)\n" : "VERIFIED\n";
    } else {
        out += "FAILED at check '" + s.failed() + "'" + (s.simulated ? " (SIMULATED)" : "") + "\n";
    }
    return out;
}

Json vsa_statement(const Summary& s, const std::string& policy_uri, const Bytes& policy_sha256, std::int64_t now) {
    Json subj = Json::array();
    for (auto& x : s.subjects) subj.push_back({{"name", x.name}, {"digest", {{"sha256", x.sha256}}}});
    if (subj.empty()) subj.push_back({{"name", "_"}, {"digest", {{"sha256", hex(s.envelope_sha256)}}}});
    Json pred = Json::object();
    pred["verifier"] = {{"id", "https://kettle-build.org/verifiers/kettle-verify/v1"}};
    pred["timeVerified"] = x509::format_rfc3339(now);
    pred["resourceUri"] = "file:artifacts";
    Json pol = Json::object();
    pol["uri"] = policy_uri.empty() ? "https://kettle-build.org/policies/default/v1" : policy_uri;
    if (!policy_sha256.empty()) pol["digest"] = {{"sha256", hex(policy_sha256)}};
    pred["policy"] = pol;
    pred["inputAttestations"] = Json::array({{{"uri", "provenance.intoto.jsonl"}, {"digest", {{"sha256", hex(s.envelope_sha256)}}}}});
    pred["verificationResult"] = s.ok ? "PASSED" : "FAILED";
    Json levels = Json::array();
    const bool hardware = s.image_vouched_by.empty() || s.image_vouched_by == "hardware";
    if (s.ok) levels.push_back(s.simulated || !hardware ? "SLSA_BUILD_LEVEL_1" : "SLSA_BUILD_LEVEL_3");
    else levels.push_back("FAILED");
    pred["verifiedLevels"] = levels;
    pred["slsaVersion"] = "1.1";
    Json st = Json::object();
    st["_type"] = "https://in-toto.io/Statement/v1";
    st["subject"] = subj;
    st["predicateType"] = "https://slsa.dev/verification_summary/v1";
    st["predicate"] = pred;
    return st;
}

}  // namespace kettle::bundle

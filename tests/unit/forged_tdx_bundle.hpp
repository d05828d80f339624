// A complete TDX bundle around a quote forged under the test Intel PKI of tdx/forged_tdx.hpp (the TDX counterpart
// of sim_bundle.hpp): artifacts/hello.txt, an in-toto statement signed in a DSSE envelope with a fresh P-256 key,
// evidence.json whose quote binds the two (REPORT_DATA by kettle-binding/v1), and the forger's collateral/.
// Shared by tests/unit/tdx/forgery.cpp and the measured-boot bundle tests (tests/unit/verify/boot_chain.cpp).
#pragma once
#include <filesystem>
#include <string>

#include "kettle/core/json.hpp"
#include "kettle/provenance/binding.hpp"
#include "kettle/verify/bundle.hpp"
#include "tdx/forged_tdx.hpp"

namespace {

/// The input disk's SHA-256 (32 bytes) that the statement names as its resolvedDependencies "input-disk".
inline Bytes forged_input_disk_sha256() { return sha256(std::string_view("the input disk")); }

/// Writes the bundle into `d` (created): the statement's subject is artifacts/hello.txt ("hello\n"), its builder
/// id the tdx one, externalParameters.nonce "n"; the quote comes from `f.quote` with MRCONFIGID `mr_config_id`
/// (48 bytes) and the RTMRs `f.rtmrs` holds; the members of `evidence_extra` (e.g. boot_event_logs, ccel_table) are
/// merged into evidence.json. Returns the quote (its bytes as evidence.json carries them).
inline Bytes write_forged_tdx_bundle(Forgery& f, const std::string& d, ByteView mr_config_id,
                                     const Json& evidence_extra = Json::object()) {
    std::filesystem::create_directories(d + "/artifacts");
    write_file(d + "/artifacts/hello.txt", std::string_view("hello\n"));
    Json st = {{"_type", "https://in-toto.io/Statement/v1"},
               {"subject", Json::array({{{"name", "hello.txt"}, {"digest", {{"sha256", hex(sha256(std::string_view("hello\n")))}}}}})},
               {"predicateType", "https://slsa.dev/provenance/v1"},
               {"predicate",
                {{"buildDefinition",
                  {{"buildType", bundle::kBuildType},
                   {"externalParameters", {{"nonce", "n"}}},
                   {"resolvedDependencies",
                    Json::array({{{"name", "input-disk"}, {"digest", {{"sha256", hex(forged_input_disk_sha256())}}}}})}}},
                 {"runDetails", {{"builder", {{"id", bundle::builder_id_for("tdx")}}}}}}}};
    const std::string S = jcs(st);
    Key dsse(f.rng, MBEDTLS_ECP_DP_SECP256R1);
    Bytes spki = dsse.spki();
    std::string pae = "DSSEv1 28 application/vnd.in-toto+json " + std::to_string(S.size()) + " " + S;
    Json env = {{"payloadType", "application/vnd.in-toto+json"},
                {"payload", test::b64(as_bytes(S))},
                {"signatures", Json::array({{{"keyid", hex(sha256(spki))}, {"sig", test::b64(dsse.sign_der(f.rng, MBEDTLS_MD_SHA256, sha256(pae)))}}})}};
    write_file(d + "/provenance.intoto.jsonl", jcs(env) + "\n");
    ReportData rd = binding_report_data(as_bytes(S), spki);
    Bytes q = f.quote(ByteView(rd.data(), rd.size()), mr_config_id);
    Json ev = {{"schema", "kettle-evidence/v1"}, {"platform", "tdx"}, {"report_data_layout", "kettle-binding/v1"},
               {"report", test::b64(q)}, {"certificates", Json::array()}, {"signing_key", x509::to_pem(spki, "PUBLIC KEY")}};
    for (auto& [k, v] : evidence_extra.items()) ev[k] = v;
    write_file(d + "/evidence.json", ev.dump());
    f.write_collateral(d + "/collateral");
    return q;
}

}  // namespace

// A complete sim-snp bundle made by the producer code itself (statement serializer, DSSE signer, evidence writer,
// the runner's simulated AMD-SP with its real RSA-4096 KETTLE-SIM chain), for the verifier tests.
#pragma once
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "kettle/attest/attest.hpp"
#include "kettle/verify/bundle.hpp"
#include "kettle/provenance/dsse.hpp"
#include "kettle/provenance/evidence.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/provenance/statement.hpp"
#include "kettle/core/x509.hpp"
#include "sim_amdsp.hpp"

namespace kettle::test {

struct SimBundleSpec {
    /// Artifacts: name under artifacts/ and content.
    std::vector<std::pair<std::string, std::string>> artifacts{{"out/a.bin", "artifact a"}};
    std::string build_request = R"({"nonce":"n-1"})";
    Json internal_parameters = Json::object();
    std::string invocation_id = "inv-test";
};

/// Writes the bundle into `d` (created) and returns options under which it verifies: --allow-sim, the launch
/// measurement the sim report carries (48 bytes 0xcc), certificate validity now.
inline bundle::Options make_sim_bundle(const std::string& d, const SimBundleSpec& spec = {}) {
    static runner::SimChain chain = runner::SimChain::load_or_create(runner::SimChain::default_dir());
    auto h = [](std::string_view s) { return hex(sha256(s)); };
    ProvenanceInputs in;
    for (const auto& [name, content] : spec.artifacts) {
        std::filesystem::create_directories(std::filesystem::path(d + "/artifacts/" + name).parent_path());
        write_file(d + "/artifacts/" + name, content);
        in.subjects.push_back({name, h(content), "", ""});
    }
    write_file(d + "/build.log", std::string_view("log\n"));
    in.build_request = spec.build_request;
    in.source_uri = "https://example.org/r.git";
    in.git_commit = std::string(40, 'a');
    in.git_tree = std::string(40, 'b');
    in.toolchain = {"rootfs.tar", h("t"), "", ""};
    in.input_disk_sha256 = h("the input disk");
    in.internal_parameters = spec.internal_parameters;
    in.init_version = "0.1.0";
    in.kernel_version = "6.12.0";
    in.image = {h("k"), h("i"), "console=ttyS0", "", false};
    in.vm = {1, 1000, "cpu"};
    in.invocation_id = spec.invocation_id;
    in.started_on = "2026-01-01T00:00:00Z";
    in.finished_on = "2026-01-01T00:01:00Z";
    in.build_log_sha256 = h("log\n");

    // attest_build's steps, with the simulated AMD-SP answering directly.
    EcdsaP256Key key = EcdsaP256Key::generate();
    Bytes spki = key.spki_der();
    std::string S = serialize_statement(in, AttestMode::sim);
    ReportData rd = binding_report_data(as_bytes(S), spki);
    runner::SimPlatform plat;
    runner::SimLaunch launch;
    launch.measurement = unhex(std::string(96, 'c'));
    launch.host_data = unhex(in.input_disk_sha256);
    Bytes report = runner::build_sim_report(chain, plat, launch, ByteView(rd.data(), rd.size()), Bytes(32, 7));
    Evidence ev;
    ev.platform = "sim-snp";
    ev.report = report;
    ev.certificates = parse_snp_cert_table(runner::sim_cert_table(chain));
    ev.signing_key_pem = key.public_pem();
    write_file(d + "/provenance.intoto.jsonl", dsse_envelope_jsonl(dsse_sign(kInTotoPayloadType, as_bytes(S), key)));
    write_file(d + "/evidence.json", evidence_json(ev));
    bundle::Options o;
    o.allow_sim = true;
    o.no_nonce = true;  // the statement carries a nonce; tests of freshness set o.nonce, which takes precedence
    o.now = x509::now_seconds();
    o.policy.snp.measurements = {launch.measurement};
    return o;
}

}  // namespace kettle::test

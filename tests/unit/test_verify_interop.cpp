// Interoperability: a bundle made by the producers' own code (provenance serializer, DSSE signer, evidence writer,
// the runner's simulated AMD-SP with its KETTLE-SIM RSA-4096/PSS chain) verifies with `kettle verify` under
// --allow-sim, and fails without it. The steps mirror attest_build (lib/src/attest.cpp) with the sim backend.
#include <catch2/catch_test_macros.hpp>

#include <filesystem>
#include <string>

#include "kettle/attest.hpp"
#include "kettle/bundle_verify.hpp"
#include "kettle/dsse.hpp"
#include "kettle/evidence.hpp"
#include "kettle/hash.hpp"
#include "kettle/provenance.hpp"
#include "kettle/x509_util.hpp"
#include "sim_amdsp.hpp"
#include "test_support.hpp"

using namespace kettle;
namespace fs = std::filesystem;

TEST_CASE("a bundle from the producer code verifies with --allow-sim only", "[bundle][interop]") {
    static runner::SimChain chain = runner::SimChain::load_or_create(runner::SimChain::default_dir());
    test::TempDir t;
    std::string d = t.path + "/out";
    fs::create_directories(d + "/artifacts/out");
    write_file(d + "/artifacts/out/a.bin", std::string_view("artifact a"));
    write_file(d + "/artifacts/b.txt", std::string_view("artifact b\n"));
    write_file(d + "/build.log", std::string_view("log\n"));
    auto h = [](std::string_view s) { return hex(sha256(s)); };

    ProvenanceInputs in;
    in.subjects = {{"out/a.bin", h("artifact a"), ""}, {"b.txt", h("artifact b\n"), ""}};
    in.build_request = R"({"nonce":"n-42","source":{"uri":"https://example.org/r.git","ref":"main"}})";
    in.source_uri = "https://example.org/r.git";
    in.git_commit = std::string(40, 'a');
    in.git_tree = std::string(40, 'b');
    in.toolchain = {"rootfs.tar", h("t"), ""};
    in.input_disk_sha256 = h("the input disk");
    in.internal_parameters = {{"limits", {{"cpuSeconds", 60}}}};
    in.init_version = "0.1.0";
    in.kernel_version = "6.12.0";
    in.image = {h("k"), h("i"), "console=ttyS0"};
    in.vm = {1, 1000, "cpu"};
    in.invocation_id = "inv-interop";
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
    o.now = x509::now_seconds();
    o.policy.snp.measurements = {launch.measurement};
    o.nonce = "n-42";
    o.policy.source_uri = "https://example.org/r.git";
    o.policy.source_commit = std::string(40, 'a');
    bundle::Summary s = bundle::verify_bundle(d, o);
    for (auto& c : s.checks) UNSCOPED_INFO(c.name << ": " << (c.ok ? "ok " : "FAIL ") << c.detail);
    CHECK(s.ok);
    CHECK(s.simulated);
    CHECK(s.checks.size() == 12);

    o.allow_sim = false;
    CHECK(bundle::verify_bundle(d, o).failed() == "chain");
    o.allow_sim = true;
    o.nonce = "n-43";
    CHECK(bundle::verify_bundle(d, o).failed() == "nonce");
}

// Interoperability: a bundle made by the producers' own code (provenance serializer, DSSE signer, evidence writer,
// the runner's simulated AMD-SP with its KETTLE-SIM RSA-4096/PSS chain) verifies with `kettle verify` under
// --allow-sim, and fails without it. The bundle is made by test::make_sim_bundle (sim_bundle.hpp).
#include <catch2/catch_test_macros.hpp>

#include <string>

#include "kettle/verify/bundle.hpp"
#include "sim_bundle.hpp"
#include "test_support.hpp"

using namespace kettle;

TEST_CASE("a bundle from the producer code verifies with --allow-sim only", "[bundle][interop]") {
    test::TempDir t;
    std::string d = t.path + "/out";
    test::SimBundleSpec spec;
    spec.artifacts = {{"out/a.bin", "artifact a"}, {"b.txt", "artifact b\n"}};
    spec.build_request = R"({"nonce":"n-42","source":{"uri":"https://example.org/r.git","ref":"main"}})";
    spec.internal_parameters = {{"limits", {{"cpuSeconds", 60}}}};
    spec.invocation_id = "inv-interop";
    bundle::Options o = test::make_sim_bundle(d, spec);
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

TEST_CASE("policy source keys: the commit and tree are proven, the URI is labelled a host claim", "[bundle][policy]") {
    test::TempDir t;
    std::string d = t.path + "/out";
    bundle::Options o = test::make_sim_bundle(d);  // gitCommit 'a'*40, gitTree 'b'*40, URI https://example.org/r.git
    o.policy = bundle::parse_policy(R"({"source_uri":"https://example.org/r.git","source_commit":")" + std::string(40, 'a') +
                                    R"(","source_tree":")" + std::string(40, 'b') + R"(","measurements":[")" + std::string(96, 'c') +
                                    R"("]})");
    bundle::Summary s = bundle::verify_bundle(d, o);
    REQUIRE(s.ok);
    std::string detail;
    for (auto& c : s.checks)
        if (c.name == "statement") detail = c.detail;
    CHECK(detail.find("source URI https://example.org/r.git (a host claim") != std::string::npos);
    CHECK(detail.find("source commit " + std::string(40, 'a') + " (proven") != std::string::npos);
    CHECK(detail.find("source tree " + std::string(40, 'b') + " (proven") != std::string::npos);
    o.policy.source_tree = std::string(40, 'c');
    CHECK(bundle::verify_bundle(d, o).failed() == "statement");
}

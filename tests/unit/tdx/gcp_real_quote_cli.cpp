// `kettle verify-report` on a real GCP TDX quote (c3-standard-4, 2026-10-01) with the Intel collateral it was
// verified against and Google's endorsement of its firmware (tests/data/gcp/google/README.md). Every signature in
// these files was first checked with openssl and python3-cryptography (the README gives the commands); the expected
// MRTD, UEFI digest and dates below come from there, not from this code.
#include <catch2/catch_test_macros.hpp>

#include <filesystem>
#include <string>
#include <sys/wait.h>

#include "kettle/core/bytes.hpp"
#include "kettle/core/json.hpp"
#include "test_support.hpp"

using namespace kettle;
namespace fs = std::filesystem;

namespace {

struct Outcome {
    int rc = -1;
    Json out;
    std::string failed, detail;
};

Outcome verify_report(const std::string& extra) {
    const std::string bin = std::string(KETTLE_BIN_DIR) + "/kettle";
    const std::string g = test::fixture("gcp/google");
    test::TempDir t;
    const std::string cmd = bin + " verify-report " + g + "/quote-c1ee9c16.dat --collateral " + g +
                            "/collateral --now 2026-10-01T16:54:33Z --json " + extra + " > " + t.path + "/out.json 2>&1";
    const int st = std::system(cmd.c_str());
    Outcome o;
    o.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    const Bytes text = read_file(t.path + "/out.json");
    if (o.rc == 2) {
        o.detail = std::string(text.begin(), text.end());
        return o;
    }
    o.out = parse_strict(std::string(text.begin(), text.end()));
    for (auto& c : o.out["checks"])
        if (!c["ok"].get<bool>()) o.failed = c["name"].get<std::string>(), o.detail = c["detail"].get<std::string>();
    return o;
}

const char* kMrtd = "c1ee9c16e3afc506cfe042c5b846a368528f3b37618eafb27469bc114cf914e9222c91618470e7f2b28ac360968270a5";

}  // namespace

TEST_CASE("verify-report: a real GCP TDX quote verifies under Intel's root with its collateral", "[tdx][cli][gcp]") {
    if (!fs::exists(std::string(KETTLE_BIN_DIR) + "/kettle")) SKIP("kettle binary not built");
    const Outcome o = verify_report("");
    INFO(o.out.dump());
    CHECK(o.rc == 0);
    CHECK(o.out["result"] == "PASSED");
    CHECK(o.out["mr_td"] == kMrtd);
    CHECK(o.out["tcb_status"] == "UpToDate");
    CHECK_FALSE(o.out.contains("firmware"));
}

TEST_CASE("verify-report: the real quote's MRTD is Google's firmware, by Google's endorsement under the pinned root",
          "[tdx][cli][gcp][endorsement]") {
    if (!fs::exists(std::string(KETTLE_BIN_DIR) + "/kettle")) SKIP("kettle binary not built");
    const std::string g = test::fixture("gcp/google");
    const std::string real = "--endorsement " + g + "/endorsement-c1ee9c16.binarypb --gcp-tcb-root " + g + "/GCE-cc-tcb-root_1.der";

    const Outcome o = verify_report(real);
    INFO(o.out.dump());
    REQUIRE(o.rc == 0);
    CHECK(o.out["checks"].back()["name"] == "firmware");
    CHECK(o.out["firmware"]["uefi_sha384"] ==
          "53c558fe06714203d7428484c46ee7c0b9df748a9789e173421c28d097115b30efb8476304617532488ab40c3122db88");
    CHECK(o.out["firmware"]["endorsed_at"] == "2026-05-21T23:52:45Z");
    CHECK(o.out["firmware"]["root_sha256"] == "e876bc6978bf4f3da445f98a0a82363c8c0bae5a1fc033c6df65846a6cb0f18c");
    CHECK(o.out["firmware"]["root_pin"] == "Google's GCE-cc-tcb-root_1 (built-in pin)");
    CHECK(o.out["firmware"]["checked_at"] == "2026-10-01T16:54:33Z");

    SECTION("under gce-tcb-verifier's test root it fails") {
        const Outcome f = verify_report("--endorsement " + g + "/endorsement-c1ee9c16.binarypb --gcp-tcb-root " +
                                        test::fixture("gcp/endorsement/devkeys-root.der"));
        CHECK(f.rc == 1);
        CHECK(f.failed == "firmware");
        CHECK(f.detail.find("signing certificate") != std::string::npos);
    }
    SECTION("an endorsement of another firmware fails (gce-tcb-verifier's test endorsement, pinned by policy)") {
        test::TempDir t;
        const Bytes facts = read_file(test::fixture("gcp/endorsement/facts.json"));
        const Json fj = parse_strict(std::string(facts.begin(), facts.end()));
        const std::string policy = "{\"gcp_tcb_root_sha256\":\"" + fj["devkeys_root_sha256"].get<std::string>() + "\"}";
        write_file(t.path + "/p.json", std::string_view(policy));
        const Outcome f = verify_report("--policy " + t.path + "/p.json --endorsement " +
                                        test::fixture("gcp/endorsement/valid.binarypb") + " --gcp-tcb-root " +
                                        test::fixture("gcp/endorsement/devkeys-root.der"));
        CHECK(f.rc == 1);
        CHECK(f.failed == "firmware");
        CHECK(f.detail.find("is not among") != std::string::npos);
    }
    SECTION("a policy naming another root refuses Google's") {
        test::TempDir t;
        write_file(t.path + "/p.json", std::string_view("{\"gcp_tcb_root_sha256\":\"" + std::string(64, 'a') + "\"}"));
        const Outcome f = verify_report("--policy " + t.path + "/p.json " + real);
        CHECK(f.rc == 1);
        CHECK(f.detail.find("is not the policy's gcp_tcb_root_sha256") != std::string::npos);
    }
    SECTION("a flipped signature byte fails") {
        test::TempDir t;
        Bytes e = read_file(g + "/endorsement-c1ee9c16.binarypb");
        e[e.size() - 7] ^= 0x20;
        write_file(t.path + "/e.binarypb", e);
        const Outcome f = verify_report("--endorsement " + t.path + "/e.binarypb --gcp-tcb-root " + g + "/GCE-cc-tcb-root_1.der");
        CHECK(f.rc == 1);
        CHECK(f.detail.find("signature over the golden measurement does not verify") != std::string::npos);
    }
    CHECK(o.out["firmware"]["root_source"] == "file");
    SECTION("without --gcp-tcb-root the endorsement's own ca_bundle is the root, and the pin checks it") {
        const Outcome b = verify_report("--endorsement " + g + "/endorsement-c1ee9c16.binarypb");
        INFO(b.out.dump());
        REQUIRE(b.rc == 0);
        CHECK(b.out["firmware"]["root_source"] == "ca_bundle");
        CHECK(b.out["firmware"]["root_sha256"] == "e876bc6978bf4f3da445f98a0a82363c8c0bae5a1fc033c6df65846a6cb0f18c");
        CHECK(b.out["firmware"]["root_pin"] == "Google's GCE-cc-tcb-root_1 (built-in pin)");
        // gce-tcb-verifier's test endorsement carries its test root in its ca_bundle: the built-in pin refuses it.
        const Outcome t = verify_report("--endorsement " + test::fixture("gcp/endorsement/valid.binarypb"));
        CHECK(t.rc == 1);
        CHECK(t.failed == "firmware");
    }
    SECTION("--gcp-tcb-root without --endorsement is a usage error") {
        CHECK(verify_report("--gcp-tcb-root " + g + "/GCE-cc-tcb-root_1.der").rc == 2);
    }
    SECTION("an empty --gcp-tcb-root file is refused, not taken as no root file") {
        test::TempDir t;
        write_file(t.path + "/empty.der", std::string_view());
        const Outcome e = verify_report("--endorsement " + g + "/endorsement-c1ee9c16.binarypb --gcp-tcb-root " + t.path +
                                        "/empty.der");
        CHECK(e.rc == 2);
        CHECK(e.detail.find("the file is empty") != std::string::npos);
    }
}

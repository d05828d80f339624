// Issue 12 item 1: a TDX quote from a non-Intel quoting enclave. Intel's PCE certifies the report of any enclave
// holding PROVISION_KEY, so a PCK-signed QE report alone does not show the quote came from Intel's QE: only the
// Intel-signed QE identity does. Here the test plays Intel with its own PKI (a test root given as a trust root,
// a "PCK Platform CA", a PCK with the SGX extension, an "Intel SGX TCB Signing" certificate, CRLs, TCB info and
// QE identity signed the way Intel PCS v4 signs them) and forges a quote whose QE MRSIGNER is not Intel's. With the
// complete collateral it verifies (the positive control: everything else about the forgery is right); without a
// QE identity, or with any collateral piece missing, of another CA, revoked, or signed by a certificate of the
// wrong role, it must fail at the named check.
#include <catch2/catch_test_macros.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>
#include <sys/wait.h>

#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/json.hpp"
#include "kettle/core/x509.hpp"
#include "kettle/tdx/checks.hpp"
#include "kettle/tdx/quote.hpp"
#include "kettle/verify/bundle.hpp"
#include "forged_tdx_bundle.hpp"
#include "forged_tdx.hpp"
#include "test_pki.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace kettle;
using namespace kettle::tdx;
using test::CertSpec;
using test::der_tlv;
using test::Key;
using test::Rng;

namespace {

// The detail of the first FAIL ("<check>: ..."), "" when every check passed.
std::string failed_check(const Result& r) {
    for (auto& c : r.checks)
        if (!c.ok) return c.detail;
    return "";
}

std::int64_t now() { return x509::parse_rfc3339(kNow); }

}  // namespace

TEST_CASE("forged TDX quote: verifies only with a complete, genuine-looking collateral", "[tdx][forgery]") {
    Forgery f;
    Bytes q = f.quote(Bytes(64, 1), Bytes(48, 0));
    Result ok = verify_quote(q, &f.col, f.policy(), now());
    for (auto& c : ok.checks) UNSCOPED_INFO(c.name << ": " << (c.ok ? "ok " : "FAIL ") << c.detail);
    REQUIRE(ok.ok);  // positive control: the forgery is well-formed and every collateral piece verifies
    CHECK(ok.tcb_status == "UpToDate");
    CHECK(ok.collateral.tcb_info_next_update == "2026-02-01T00:00:00Z");
    CHECK(ok.collateral.qe_identity_issue_date == "2025-12-01T00:00:00Z");
    CHECK(ok.collateral.pck_crl_this_update == "2020-01-01T00:00:00Z");
    CHECK(ok.collateral.root_crl_next_update == "2039-12-31T00:00:00Z");
    CHECK(ok.collateral.tcb_signing_cn == "Intel SGX TCB Signing");

    // Without the test root as a trust root, the chain is not Intel's.
    CHECK(failed_check(verify_quote(q, &f.col, TdxPolicy{}, now())).rfind("pck-chain:", 0) == 0);

    SECTION("no QE identity: fails at qe-report, naming it") {
        Collateral c = f.col;
        c.qe_identity_json.clear();
        std::string fail = failed_check(verify_quote(q, &c, f.policy(), now()));
        CHECK(fail.rfind("qe-report:", 0) == 0);
        CHECK(fail.find("qe_identity") != std::string::npos);
    }
    SECTION("a QE identity naming Intel's MRSIGNER does not match the forged QE") {
        Json id = f.qe_identity();
        id["mrsigner"] = "DC9E2A7C6F948F17474E34A7FC43ED030F7C1563F1BABDDF6340C82E0E54A8C5";
        Collateral c = f.col;
        c.qe_identity_json = signed_json(f.rng, f.tcb_signing, "enclaveIdentity", id);
        CHECK(failed_check(verify_quote(q, &c, f.policy(), now())).find("MRSIGNER") != std::string::npos);
    }
    SECTION("each missing CRL, TCB info or signing chain is named") {
        for (int which = 0; which < 4; ++which) {
            Collateral c = f.col;
            const char* name = nullptr;
            if (which == 0) c.pck_crl_der.clear(), name = "pck-chain: the collateral has no PCK CRL";
            if (which == 1) c.root_crl_der.clear(), name = "pck-chain: the collateral has no root CA CRL";
            if (which == 2) c.tcb_info_json.clear(), name = "tcb: the collateral has no TCB info";
            if (which == 3) c.tcb_signing_chain_pem.clear(), name = "qe-report: the collateral has no tcb_signing_chain.pem";
            INFO(name);
            CHECK(failed_check(verify_quote(q, &c, f.policy(), now())).rfind(name, 0) == 0);
        }
        CHECK(failed_check(verify_quote(q, nullptr, f.policy(), now())).rfind("pck-chain: no collateral given", 0) == 0);
    }
    SECTION("a CRL of another CA is an error, not a skip") {
        Collateral c = f.col;
        c.pck_crl_der = f.col.root_crl_der;  // the root's CRL where the PCK CA's belongs
        std::string fail = failed_check(verify_quote(q, &c, f.policy(), now()));
        CHECK(fail.find("not issued by 'Intel SGX PCK Platform CA'") != std::string::npos);
        c = f.col;
        c.root_crl_der = f.col.pck_crl_der;
        CHECK(failed_check(verify_quote(q, &c, f.policy(), now())).find("not issued by 'Kettle Test SGX Root CA'") != std::string::npos);
    }
    SECTION("a revoked PCK, an expired CRL") {
        Collateral c = f.col;
        c.pck_crl_der = test::make_crl(f.rng, f.pck_ca, f.pck_ca_der, {7});
        CHECK(failed_check(verify_quote(q, &c, f.policy(), now())).find("is revoked") != std::string::npos);
        c.pck_crl_der = test::make_crl(f.rng, f.pck_ca, f.pck_ca_der, {}, "200101000000Z", "250101000000Z");
        CHECK(failed_check(verify_quote(q, &c, f.policy(), now())).find("CRL has expired") != std::string::npos);
        // The root CRL also covers the TCB signing certificate.
        c = f.col;
        c.root_crl_der = test::make_crl(f.rng, f.root, f.root_der, {9});
        CHECK(failed_check(verify_quote(q, &c, f.policy(), now())).find("'Intel SGX TCB Signing' is revoked") != std::string::npos);
    }
    SECTION("collateral signed by a certificate of another role") {
        // The PCK key signs the QE identity and TCB info; its chain is presented as the TCB signing chain.
        Collateral c = f.col;
        c.tcb_signing_chain_pem = bytes_of(x509::to_pem(f.pck_der, "CERTIFICATE"));
        c.qe_identity_json = signed_json(f.rng, f.pck, "enclaveIdentity", f.qe_identity());
        CHECK(failed_check(verify_quote(q, &c, f.policy(), now())).find("is not 'Intel SGX TCB Signing'") != std::string::npos);
        // Right CN, but no digitalSignature key usage.
        Key k(f.rng, MBEDTLS_ECP_DP_SECP256R1);
        CertSpec s;
        s.md = MBEDTLS_MD_SHA256;
        s.key_usage = MBEDTLS_X509_KU_KEY_ENCIPHERMENT;
        Bytes der = test::make_cert(f.rng, k, f.root, (std::string("CN=Intel SGX TCB Signing") + kIntelDn).c_str(), f.root_dn.c_str(), s);
        c.tcb_signing_chain_pem = bytes_of(x509::to_pem(der, "CERTIFICATE"));
        c.qe_identity_json = signed_json(f.rng, k, "enclaveIdentity", f.qe_identity());
        CHECK(failed_check(verify_quote(q, &c, f.policy(), now())).find("lacks digitalSignature") != std::string::npos);
    }
    SECTION("TD attributes: debug, migratable, no SEPT_VE_DISABLE, XFAM") {
        const std::uint64_t sept = std::uint64_t{1} << 28;
        auto fail_for = [&](std::uint64_t attrs, const TdxPolicy& p) {
            return failed_check(verify_quote(f.quote(Bytes(64, 1), Bytes(48, 0), attrs), &f.col, p, now()));
        };
        CHECK(fail_for(sept | 1, f.policy()).find("policy: TD_ATTRIBUTES has DEBUG set") == 0);
        CHECK(fail_for(sept | (std::uint64_t{1} << 29), f.policy()).find("policy: TD_ATTRIBUTES has MIGRATABLE set") == 0);
        CHECK(fail_for(0, f.policy()).find("policy: TD_ATTRIBUTES lacks SEPT_VE_DISABLE") == 0);
        TdxPolicy p = f.policy();
        p.allow_perfmon = false;
        CHECK(fail_for(sept | (std::uint64_t{1} << 63), p).find("PERFMON") != std::string::npos);
        p = f.policy();
        p.xfam = Bytes(8, 0);
        CHECK(fail_for(sept, p).find("policy: XFAM") == 0);
        p.xfam = unhex("e71a060000000000");  // the sample body's XFAM (tests/data/tdx/README.md)
        CHECK(fail_for(sept, p).empty());
    }
}

TEST_CASE("forged TDX quote in a bundle whose collateral/ lacks the QE identity fails at qe-report", "[tdx][forgery][bundle]") {
    Forgery f;
    test::TempDir t;
    const std::string d = t.path + "/bundle";
    Bytes mrcfg = forged_input_disk_sha256();
    mrcfg.resize(48, 0);
    Bytes q = write_forged_tdx_bundle(f, d, mrcfg);

    Quote parsed = Quote::parse(q);
    bundle::Options o;
    o.now = now();
    o.no_nonce = true;  // freshness is not what this test is about
    o.trust_roots = {f.root_der};
    o.policy.tdx.mr_td = {Bytes(parsed.body.mr_td.begin(), parsed.body.mr_td.end())};
    for (std::size_t i : {std::size_t{1}, std::size_t{2}}) o.policy.tdx.rtmr[i] = {Bytes(parsed.body.rtmr[i].begin(), parsed.body.rtmr[i].end())};
    bundle::Summary good = bundle::verify_bundle(d, o);
    for (auto& c : good.checks) UNSCOPED_INFO(c.name << ": " << (c.ok ? "ok " : "FAIL ") << c.detail);
    REQUIRE(good.ok);  // positive control: the bundle's own complete collateral makes the forgery pass
    std::vector<std::string> names;
    for (auto& c : good.checks) names.push_back(c.name);
    CHECK(names == std::vector<std::string>{"evidence", "quote-format", "pck-chain", "qe-report", "quote-signature", "tcb",
                                            "binding", "dsse-signature", "policy", "statement", "artifacts", "nonce"});
    Json j = bundle::summary_json(good);
    CHECK(j["collateral"]["source"] == "bundle collateral/");
    CHECK(j["collateral"]["qe_identity"]["next_update"] == "2026-02-01T00:00:00Z");

    // Item 2: without RTMR1/RTMR2 expectations a TDX bundle fails at policy.
    bundle::Options no_rtmr = o;
    no_rtmr.policy.tdx.rtmr[2].clear();
    bundle::Summary nr = bundle::verify_bundle(d, no_rtmr);
    CHECK(nr.failed() == "policy");
    CHECK(nr.checks.back().detail.find("RTMR1 and RTMR2") != std::string::npos);

    fs::remove(d + "/collateral/qe_identity.json");
    bundle::Summary bad = bundle::verify_bundle(d, o);
    CHECK(bad.failed() == "qe-report");
    CHECK(bad.checks.back().detail.find("qe_identity") != std::string::npos);

    // The same through the CLI, with the test root given as --trust-root.
    std::string bin = std::string(KETTLE_BIN_DIR) + "/kettle";
    if (!fs::exists(bin)) SKIP("kettle binary not built");
    write_file(t.path + "/root.pem", x509::to_pem(f.root_der, "CERTIFICATE"));
    std::string cmd = bin + " verify " + d + " --now " + kNow + " --trust-root " + t.path + "/root.pem --expected-measurement " +
                      hex(parsed.body.mr_td) + " --no-nonce --json > " + t.path + "/out.json 2>&1";
    int rc = std::system(cmd.c_str());
    CHECK(WIFEXITED(rc));
    CHECK(WEXITSTATUS(rc) == 1);
    Json out = parse_strict(to_string(read_file(t.path + "/out.json")));
    CHECK(out["result"] == "FAILED");
    CHECK(out["failed_check"] == "qe-report");
}

TEST_CASE("kettle verify-report on the go-tdx-guest quote names missing collateral", "[tdx][cli]") {
    std::string bin = std::string(KETTLE_BIN_DIR) + "/kettle";
    if (!fs::exists(bin)) SKIP("kettle binary not built");
    const std::string src = test::fixture("tdx/go-tdx-guest");
    test::TempDir t;
    auto run = [&](const std::string& dir) {
        std::string cmd = bin + " verify-report " + src + "/quote_v4_spr_e4.dat --now 2023-07-01T00:00:00Z --collateral " + dir +
                          " --json > " + t.path + "/out.json 2>&1";
        int rc = std::system(cmd.c_str());
        Json j = parse_strict(to_string(read_file(t.path + "/out.json")));
        std::string failed, detail;
        for (auto& c : j["checks"])
            if (!c["ok"].get<bool>()) failed = c["name"].get<std::string>(), detail = c["detail"].get<std::string>();
        return std::make_tuple(WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, failed, detail);
    };
    const char* files[] = {"tcbinfo_50806f000000.json", "qe_identity.json", "tcb_signing_chain.pem", "pckcrl.bin", "rootcrl.der"};
    auto copy_all_but = [&](const std::string& skip) {
        std::string dir = t.path + "/col-" + (skip.empty() ? std::string("all") : skip);
        fs::create_directories(dir);
        for (const char* n : files)
            if (skip != n) fs::copy_file(src + "/" + n, dir + "/" + n);
        return dir;
    };
    // Complete: every piece verifies; the sample's TCB level is not supported by this TCB info (README), so the
    // first FAIL is tcb, after pck-chain (both CRLs) and qe-report (QE identity) passed.
    auto [rc, failed, detail] = run(copy_all_but(""));
    CHECK(rc == 1);
    CHECK(failed == "tcb");
    std::tie(rc, failed, detail) = run(copy_all_but("qe_identity.json"));
    CHECK(rc == 1);
    CHECK(failed == "qe-report");
    CHECK(detail.find("qe_identity") != std::string::npos);
    std::tie(rc, failed, detail) = run(copy_all_but("rootcrl.der"));
    CHECK(rc == 1);
    CHECK(failed == "pck-chain");
    CHECK(detail.find("rootcrl") != std::string::npos);
    std::tie(rc, failed, detail) = run(copy_all_but("pckcrl.bin"));
    CHECK(rc == 1);
    CHECK(detail.find("pckcrl") != std::string::npos);
}

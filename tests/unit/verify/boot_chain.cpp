// `kettle verify --boot`: the measured-boot rows over whole bundles. TDX: a quote forged under a test Intel PKI
// (tests/unit/tdx/forged_tdx.hpp, given as a trust root; the bundle around it from tests/unit/forged_tdx_bundle.hpp)
// carries RTMRs of our choosing — the real COS-113 quote's RTMRs with the real COS-113 CCEL (outside known answer:
// that log replays to that quote), or the RTMRs of a hand-built log holding a prediction's events. vTPM: a sim-snp
// bundle with the public GCE SEV vTPM log and the PCRs google/go-eventlog expects for it.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "../boot/tcg_log_builder.hpp"
#include "kettle/boot/eventlog.hpp"
#include "kettle/boot/measured_boot.hpp"
#include "kettle/verify/bundle.hpp"
#include "forged_tdx_bundle.hpp"
#include "sim_bundle.hpp"

namespace {


Bytes sha384_of(const std::string& s) { return sha384(Bytes(s.begin(), s.end())); }

Bytes extend384(Bytes reg, const Bytes& d) {
    Hasher h(HashAlg::sha384);
    h.update(reg);
    h.update(d);
    return h.finish();
}

/// A TDX bundle in `d` whose forged quote binds its statement and carries `rtmrs`; `boot` is merged into
/// evidence.json (boot_event_logs, ccel_table); the quote's MRCONFIGID is `mrconfigid` (48 bytes) when given, else
/// all zero, as on GCP (which cannot set it). Returns options under which everything but the boot rows passes.
bundle::Options tdx_bundle(Forgery& f, const std::string& d, const std::array<Bytes, 4>& rtmrs, const Json& boot,
                           std::optional<Bytes> mrconfigid = std::nullopt) {
    f.rtmrs = rtmrs;
    Bytes q = write_forged_tdx_bundle(f, d, mrconfigid ? *mrconfigid : Bytes(48, 0), boot);
    const Quote parsed = Quote::parse(q);
    bundle::Options o;
    o.now = x509::parse_rfc3339(kNow);
    o.trust_roots = {f.root_der};
    o.nonce = "n";  // the statement above carries externalParameters.nonce "n"
    o.boot_path = bundle::BootPath::gcp_tdx;
    o.policy.tdx.mr_td = {Bytes(parsed.body.mr_td.begin(), parsed.body.mr_td.end())};
    o.policy.tdx.rtmr[0] = {rtmrs[0]};
    return o;
}

Json ccel_boot(const Bytes& log, bool truncated = false) {
    return {{"boot_event_logs", Json::array({{{"source", "ccel"}, {"format", "tcg2-crypto-agile"}, {"data", test::b64(log)},
                                              {"truncated", truncated}}})}};
}

std::string failed_detail(const bundle::Summary& s) { return s.checks.empty() ? "" : s.checks.back().detail; }

// The names of the rows that ran, in order (the order docs/verify.md gives, which --json consumers rely on).
std::vector<std::string> row_names(const bundle::Summary& s) {
    std::vector<std::string> names;
    for (const auto& c : s.checks) names.push_back(c.name);
    return names;
}

// The firmware's first two RTMR1 events as Google's TDVF logs them (event data; the digest is its SHA-384).
const std::string kCalling = "Calling EFI Application from Boot Option";
const std::string kSeparator(4, '\0');

/// A prediction whose CC events are: RTMR1 the boot attempt, the separator, "UKI Authenticode"; RTMR2 "initrd"
/// (digests: SHA-384 of those bytes).
boot::BootPrediction cc_prediction() {
    boot::BootPrediction p;
    auto add = [&](std::uint32_t mr, std::uint32_t type, const std::string& what) {
        boot::BootEvent e;
        e.cc_mr_index = mr;
        e.event_type = type;
        e.what = what;
        e.digests[boot::kTpmAlgSha384] = sha384_of(what);
        p.events.push_back(e);
    };
    add(boot::kCcMrRtmr1, boot::kEvEfiAction, kCalling);
    add(boot::kCcMrRtmr1, boot::kEvSeparator, kSeparator);
    add(boot::kCcMrRtmr1, boot::kEvEfiBootServicesApplication, "UKI Authenticode");
    add(boot::kCcMrRtmr2, boot::kEvEventTag, "initrd");
    p.rtmr1 = Bytes(48, 0);
    for (const std::string& w : {kCalling, kSeparator, std::string("UKI Authenticode")}) p.rtmr1 = extend384(p.rtmr1, sha384_of(w));
    p.rtmr2 = extend384(Bytes(48, 0), sha384_of("initrd"));
    p.uki_sha256 = Bytes(32, 0x11);
    return p;
}

/// A CCEL holding `events` {CC MR index, type, name}, and the RTMR0..3 it replays to (computed here, from zero).
std::pair<Bytes, std::array<Bytes, 4>> ccel(const std::vector<std::tuple<std::uint32_t, std::uint32_t, std::string>>& events) {
    Bytes log = test::spec_id({{boot::kTpmAlgSha384, 48}});
    std::array<Bytes, 4> r = {Bytes(48, 0), Bytes(48, 0), Bytes(48, 0), Bytes(48, 0)};
    for (const auto& [mr, type, what] : events) {
        test::event2(log, mr, type, {{boot::kTpmAlgSha384, sha384_of(what)}}, Bytes(what.begin(), what.end()));
        r[mr == 0 ? 0 : mr - 1] = extend384(r[mr == 0 ? 0 : mr - 1], sha384_of(what));
    }
    return {log, r};
}

const std::vector<std::tuple<std::uint32_t, std::uint32_t, std::string>> kImageLog = {
    {1, 0x80000008, "firmware volume"}, {0, 0x80000008, "an RTMR0 event logged 0-based"},
    {2, boot::kEvEfiAction, kCalling}, {2, boot::kEvSeparator, kSeparator},
    {2, boot::kEvEfiBootServicesApplication, "UKI Authenticode"}, {3, boot::kEvEventTag, "initrd"},
};

}  // namespace

TEST_CASE("gcp-tdx: the public COS-113 CCEL replays to its quote's RTMRs, but its RTMR1 is not our image",
          "[bundle][tdx][bootchain]") {
    Forgery f;
    test::TempDir t;
    const std::string dir = test::fixture("tdx/go-tdx-guest/ccel");
    const Bytes log = read_file(dir + "/ccel_data_trimmed.dat");
    const Quote cos = Quote::parse(read_file(dir + "/cos-113-tdx-quote.dat"));
    std::array<Bytes, 4> rtmrs;
    for (std::size_t i = 0; i < 4; ++i) rtmrs[i] = Bytes(cos.body.rtmr[i].begin(), cos.body.rtmr[i].end());
    Json boot = ccel_boot(log);
    boot["ccel_table"] = test::b64(read_file(dir + "/ccel_table.dat"));
    bundle::Options o = tdx_bundle(f, t.path, rtmrs, boot);
    o.disk_boot = cc_prediction();
    bundle::Summary s = bundle::verify_bundle(t.path, o);
    for (auto& c : s.checks) UNSCOPED_INFO(c.name << ": " << (c.ok ? "ok " : "FAIL ") << c.detail);
    REQUIRE(s.failed() == "boot-image");
    CHECK(s.checks[s.checks.size() - 2].name == "event-log");
    CHECK(s.checks[s.checks.size() - 2].detail == "CCEL: 43 events replay to RTMR0..3 of the quote");
    // The firmware's boot attempt and separator are the same; then COS-113 logs its GPT and shim, not our UKI.
    CHECK_THAT(failed_detail(s), Catch::Matchers::ContainsSubstring("RTMR1 event 3 of 3 predicted: logged EV_EFI_GPT_EVENT"));
    CHECK(s.image_vouched_by == "hardware");

    SECTION("a flipped byte of a record's digest, of a digested event's data, or of the padding fails at event-log") {
        const boot::EventLog parsed = boot::parse_tcg2_log(log);
        std::vector<std::size_t> offsets;
        for (std::size_t i : {std::size_t{0}, std::size_t{21}, parsed.events.size() - 1}) {
            const Bytes& dg = *parsed.events[i].digest(boot::kTpmAlgSha384);
            offsets.push_back(static_cast<std::size_t>(std::search(log.begin(), log.end(), dg.begin(), dg.end()) - log.begin()) + 7);
        }
        const std::string exit_ebs = "Exit Boot Services Invocation";  // EV_EFI_ACTION data, digested
        offsets.push_back(static_cast<std::size_t>(std::search(log.begin(), log.end(), exit_ebs.begin(), exit_ebs.end()) - log.begin()) + 3);
        offsets.push_back(parsed.used + 100);
        for (std::size_t off : offsets) {
            REQUIRE(off < log.size());
            Bytes bad = log;
            bad[off] ^= 0x01;
            Json ev = parse_strict(to_string(read_file(t.path + "/evidence.json")));
            ev["boot_event_logs"][0]["data"] = test::b64(bad);
            write_file(t.path + "/evidence.json", ev.dump());
            CHECK(bundle::verify_bundle(t.path, o).failed() == "event-log");
        }
    }
    SECTION("a log the guest marked truncated, or none, fails at event-log") {
        Json ev = parse_strict(to_string(read_file(t.path + "/evidence.json")));
        ev["boot_event_logs"][0]["truncated"] = true;
        write_file(t.path + "/evidence.json", ev.dump());
        CHECK(bundle::verify_bundle(t.path, o).failed() == "event-log");
        ev["boot_event_logs"] = Json::array();
        write_file(t.path + "/evidence.json", ev.dump());
        bundle::Summary none = bundle::verify_bundle(t.path, o);
        CHECK(none.failed() == "event-log");
        CHECK_THAT(failed_detail(none), Catch::Matchers::ContainsSubstring("no \"ccel\""));
    }
    SECTION("bytes hidden after the padding fail at event-log") {
        Bytes bad = log;
        bad[bad.size() - 3] = 0x00;
        Json ev = parse_strict(to_string(read_file(t.path + "/evidence.json")));
        ev["boot_event_logs"][0]["data"] = test::b64(bad);
        write_file(t.path + "/evidence.json", ev.dump());
        CHECK_THAT(failed_detail(bundle::verify_bundle(t.path, o)), Catch::Matchers::ContainsSubstring("padding"));
    }
}

TEST_CASE("gcp-tdx: a CCEL holding exactly the image's events verifies, hardware vouches", "[bundle][tdx][bootchain]") {
    Forgery f;
    test::TempDir t;
    auto [log, rtmrs] = ccel(kImageLog);
    bundle::Options o = tdx_bundle(f, t.path, rtmrs, ccel_boot(log));
    o.disk_boot = cc_prediction();
    bundle::Summary s = bundle::verify_bundle(t.path, o);
    for (auto& c : s.checks) UNSCOPED_INFO(c.name << ": " << (c.ok ? "ok " : "FAIL ") << c.detail);
    REQUIRE(s.ok);
    CHECK(row_names(s) == std::vector<std::string>{"evidence", "quote-format", "pck-chain", "qe-report", "quote-signature", "tcb",
                                                   "firmware", "event-log", "boot-image", "binding", "dsse-signature", "policy",
                                                   "statement", "artifacts", "nonce"});
    CHECK(s.checks[7].detail == "CCEL: 6 events replay to RTMR0..3 of the quote (1 with CC MR index 0 counted as RTMR0)");
    Json j = bundle::summary_json(s);
    CHECK(j["boot_path"] == "gcp-tdx");
    CHECK(j["image_vouched_by"] == "hardware");
    CHECK(bundle::vsa_statement(s, "", {}, 0)["predicate"]["verifiedLevels"][0] == "SLSA_BUILD_LEVEL_3");

    SECTION("no prediction of the image") {
        o.disk_boot.reset();
        CHECK(bundle::verify_bundle(t.path, o).failed() == "boot-image");
    }
    SECTION("no RTMR0 allow-list, or RTMR0 not in it") {
        o.policy.tdx.rtmr[0].clear();
        CHECK_THAT(failed_detail(bundle::verify_bundle(t.path, o)), Catch::Matchers::ContainsSubstring("RTMR0 allow-list"));
        o.policy.tdx.rtmr[0] = {Bytes(48, 1)};
        CHECK(bundle::verify_bundle(t.path, o).failed() == "boot-image");
    }
    SECTION("a boot path that does not fit TDX evidence") {
        o.boot_path = bundle::BootPath::azure;
        bundle::Summary m = bundle::verify_bundle(t.path, o);
        CHECK(m.failed() == "boot-path");
        CHECK(m.image_vouched_by == "paravisor");
    }
}

TEST_CASE("gcp-tdx: logs that replay to their quote but are not exactly the image fail at boot-image",
          "[bundle][tdx][bootchain]") {
    auto run = [](std::vector<std::tuple<std::uint32_t, std::uint32_t, std::string>> events) {
        Forgery f;
        test::TempDir t;
        auto [log, rtmrs] = ccel(events);
        bundle::Options o = tdx_bundle(f, t.path, rtmrs, ccel_boot(log));
        o.disk_boot = cc_prediction();
        bundle::Summary s = bundle::verify_bundle(t.path, o);
        return s.failed() + ": " + failed_detail(s);
    };
    auto ev = kImageLog;
    ev.insert(ev.begin() + 5, {2, boot::kEvEfiBootServicesApplication, "a forged second application"});
    CHECK_THAT(run(ev), Catch::Matchers::StartsWith("boot-image: ") && Catch::Matchers::ContainsSubstring("does not account"));
    ev = kImageLog;
    std::swap(ev[2], ev[3]);
    CHECK_THAT(run(ev), Catch::Matchers::StartsWith("boot-image: ") && Catch::Matchers::ContainsSubstring("RTMR1 event 1 of 3"));
    ev = kImageLog;
    ev.erase(ev.begin() + 4);  // replays, but lacks our UKI event
    CHECK_THAT(run(ev), Catch::Matchers::ContainsSubstring("missing from the log"));
}

TEST_CASE("vTPM paths: the GCE SEV log replays to its PCRs, the hypervisor vouches, nothing verifies without a TPM quote",
          "[bundle][bootchain]") {
    test::TempDir t;
    bundle::Options o = test::make_sim_bundle(t.path);
    const Bytes log = read_file(test::fixture("tpm/go-eventlog") + "/cos-101-amd-sev.bin");
    // google/go-eventlog tpmeventlog/extract_test.go, COS101AmdSev, SHA-256 (PCRs 11, 12, 13 never extended: zero).
    Json pcrs = {{"0", "0f35c214608d93c7a6e68ae7359b4a8be5a0e99eea9107ece427c4dea4e439cf"},
                 {"4", "6d9f1a1d461cf77517e8d4c488c53f338a71c5a8e2b81ab7011c14f72cbc9a80"},
                 {"5", "d1a1ab23a5c3d98fbacff3891bad42d8e9257d61e1f683f42c6c9fa949bf96c5"},
                 {"7", "2bc6edaa921f953cec0ffb28dad4f87114886603d6a782036502d28e69d97a48"},
                 {"9", "b5ad662e5eb9165825ee39ad66e851a67a193e0b87b27858f25ac58afa72ac57"},
                 {"11", std::string(64, '0')}, {"12", std::string(64, '0')}, {"13", std::string(64, '0')}};
    Json ev = parse_strict(to_string(read_file(t.path + "/evidence.json")));
    ev["boot_event_logs"] = Json::array({{{"source", "tpm"}, {"format", "tcg2-crypto-agile"}, {"data", test::b64(log)}, {"truncated", false}}});
    ev["guest_registers"] = {{"rtmrs", Json::array()}, {"tpm_pcrs", {{"sha256", pcrs}}}};
    write_file(t.path + "/evidence.json", ev.dump());
    o.boot_path = bundle::BootPath::gcp_snp;
    o.disk_boot = cc_prediction();  // its PCR events are not COS's: boot-image fails
    bundle::Summary s = bundle::verify_bundle(t.path, o);
    for (auto& c : s.checks) UNSCOPED_INFO(c.name << ": " << (c.ok ? "ok " : "FAIL ") << c.detail);
    REQUIRE(s.failed() == "boot-image");
    CHECK_THAT(s.checks[s.checks.size() - 2].detail, Catch::Matchers::StartsWith("TPM log: 8 PCRs (sha256) equal"));
    CHECK(s.image_vouched_by == "hypervisor");
    CHECK(bundle::summary_json(s)["image_vouched_by"] == "hypervisor");

    SECTION("a PCR the guest reports that the log does not replay to") {
        ev["guest_registers"]["tpm_pcrs"]["sha256"]["4"] = std::string(64, 'a');
        write_file(t.path + "/evidence.json", ev.dump());
        CHECK(bundle::verify_bundle(t.path, o).failed() == "event-log");
    }
    SECTION("a log matching the image still fails at tpm-quote, and is never SLSA Build L3") {
        boot::BootPrediction p;
        boot::BootEvent e;
        e.pcr = 4;
        e.event_type = boot::kEvEfiBootServicesApplication;
        e.what = "UKI";
        e.digests[boot::kTpmAlgSha256] = sha256(std::string_view("UKI"));
        e.cc = false;
        p.events.push_back(e);
        Bytes tlog = test::spec_id({{boot::kTpmAlgSha256, 32}});
        test::event2(tlog, 4, boot::kEvEfiBootServicesApplication, {{boot::kTpmAlgSha256, sha256(std::string_view("UKI"))}}, {});
        Hasher h(HashAlg::sha256);
        h.update(Bytes(32, 0));
        h.update(sha256(std::string_view("UKI")));
        Json z = std::string(64, '0');
        ev["boot_event_logs"][0]["data"] = test::b64(tlog);
        ev["guest_registers"]["tpm_pcrs"]["sha256"] = {{"4", hex(h.finish())}, {"5", z}, {"9", z}, {"11", z}, {"12", z}, {"13", z}};
        write_file(t.path + "/evidence.json", ev.dump());
        o.disk_boot = p;
        o.boot_path = bundle::BootPath::azure;
        bundle::Summary a = bundle::verify_bundle(t.path, o);
        CHECK(a.failed() == "tpm-quote");
        CHECK(row_names(a) == std::vector<std::string>{"evidence", "report-format", "product", "chain", "vek-extensions",
                                                       "report-signature", "event-log", "boot-image", "tpm-quote"});
        CHECK(a.image_vouched_by == "paravisor");
        CHECK(bundle::vsa_statement(a, "", {}, 0)["predicate"]["verifiedLevels"][0] == "FAILED");
        bundle::Summary pretend = a;  // even a passing vTPM verdict would claim Build L1 only
        pretend.ok = true;
        CHECK(bundle::vsa_statement(pretend, "", {}, 0)["predicate"]["verifiedLevels"][0] == "SLSA_BUILD_LEVEL_1");
    }
    SECTION("gcp-tdx does not fit SNP evidence") {
        o.boot_path = bundle::BootPath::gcp_tdx;
        bundle::Summary m = bundle::verify_bundle(t.path, o);
        CHECK(m.failed() == "boot-path");
        CHECK(row_names(m) == std::vector<std::string>{"evidence", "boot-path"});
    }
}

TEST_CASE("MRCONFIGID: all zero on gcp-tdx (GCP cannot set it), the input-disk digest on every other TDX path",
          "[bundle][tdx][bootchain][mrconfigid]") {
    const Bytes disk = forged_input_disk_sha256();  // the statement's input-disk digest
    Bytes matching = disk;
    matching.resize(48, 0);
    Bytes other = sha256(std::string_view("another disk"));
    other.resize(48, 0);
    Bytes tail = matching;
    tail[47] = 1;
    const auto image_log = ccel(kImageLog);  // not a structured binding: clang 14 (make host) cannot capture one
    const Bytes& log = image_log.first;
    const std::array<Bytes, 4>& rtmrs = image_log.second;
    auto verify = [&](const Bytes& mrconfigid, bundle::BootPath path) {
        Forgery f;
        test::TempDir t;
        bundle::Options o = tdx_bundle(f, t.path, rtmrs, ccel_boot(log), mrconfigid);
        o.boot_path = path;
        if (path == bundle::BootPath::gcp_tdx) {
            o.disk_boot = cc_prediction();
        } else {  // a QEMU-launched TD: RTMR1/RTMR2 expected from the policy, as --image gives them
            o.policy.tdx.rtmr[1] = {rtmrs[1]};
            o.policy.tdx.rtmr[2] = {rtmrs[2]};
        }
        bundle::Summary s = bundle::verify_bundle(t.path, o);
        for (auto& c : s.checks) UNSCOPED_INFO(c.name << ": " << (c.ok ? "ok " : "FAIL ") << c.detail);
        return s;
    };
    auto policy_row = [](const bundle::Summary& s) {
        for (auto& c : s.checks)
            if (c.name == "policy") return c;
        FAIL("no policy row");
        return s.checks.front();
    };
    SECTION("gcp-tdx: all zero passes, and the row says how the input disk is bound") {
        bundle::Summary s = verify(Bytes(48, 0), bundle::BootPath::gcp_tdx);
        REQUIRE(s.ok);
        CHECK_THAT(policy_row(s).detail,
                   Catch::Matchers::ContainsSubstring("input disk bound by the attested guest's digest in the statement; "
                                                      "MRCONFIGID unavailable on GCP"));
    }
    SECTION("gcp-tdx: any non-zero value is unexplained, even the input-disk digest itself") {
        for (const Bytes& m : {matching, other, tail}) {
            bundle::Summary s = verify(m, bundle::BootPath::gcp_tdx);
            CHECK(s.failed() == "policy");
            CHECK_THAT(policy_row(s).detail, Catch::Matchers::ContainsSubstring("is not all zero"));
        }
    }
    SECTION("direct: MRCONFIGID must be the input-disk digest and 16 zero bytes") {
        bundle::Summary s = verify(matching, bundle::BootPath::direct);
        REQUIRE(s.ok);
        CHECK_THAT(policy_row(s).detail, Catch::Matchers::ContainsSubstring("MRCONFIGID = input-disk"));
        CHECK_THAT(policy_row(verify(Bytes(48, 0), bundle::BootPath::direct)).detail,
                   Catch::Matchers::ContainsSubstring("!= input-disk"));
        CHECK(verify(Bytes(48, 0), bundle::BootPath::direct).failed() == "policy");
        CHECK(verify(other, bundle::BootPath::direct).failed() == "policy");
        CHECK_THAT(policy_row(verify(tail, bundle::BootPath::direct)).detail,
                   Catch::Matchers::ContainsSubstring("MRCONFIGID[32:48] is not zero"));
    }
}

TEST_CASE("gcp-tdx: MRTD from Google's launch endorsement (fixtures of tests/data/gcp/endorsement)", "[bundle][tdx][endorsement]") {
    Forgery f;
    test::TempDir t;
    auto [log, rtmrs] = ccel(kImageLog);
    bundle::Options o = tdx_bundle(f, t.path, rtmrs, ccel_boot(log));
    o.disk_boot = cc_prediction();
    o.policy.tdx.mr_td.clear();
    auto fx = [](const std::string& n) { return read_file(test::fixture("gcp/endorsement/" + n)); };
    const Bytes root = fx("devkeys-root.der");
    const Bytes facts_bytes = fx("facts.json");
    const Json facts = parse_strict(std::string(facts_bytes.begin(), facts_bytes.end()));

    SECTION("neither an endorsement nor an mrtd list: firmware fails closed") {
        bundle::Summary s = bundle::verify_bundle(t.path, o);
        CHECK(s.failed() == "firmware");
        CHECK_THAT(failed_detail(s), Catch::Matchers::ContainsSubstring("neither endorsed"));
    }
    SECTION("the policy's mrtd list alone still works") {
        o.policy.tdx.mr_td = {unhex(facts["quote_mrtd"].get<std::string>())};
        bundle::Summary s = bundle::verify_bundle(t.path, o);
        REQUIRE(s.ok);
        CHECK(bundle::summary_json(s)["firmware"]["mrtd_source"] == "policy");
        o.policy.gcp_tcb_root_sha256 = unhex(facts["devkeys_root_sha256"].get<std::string>());
        CHECK_THAT(failed_detail(bundle::verify_bundle(t.path, o)), Catch::Matchers::ContainsSubstring("no --endorsement"));
    }
    SECTION("a valid endorsement listing the quote's MRTD verifies under a test root the policy pins, not without") {
        o.gcp_endorsement = fx("valid.binarypb");
        o.gcp_tcb_root = root;
        const std::string root_fp = facts["devkeys_root_sha256"].get<std::string>();
        bundle::Summary unpinned = bundle::verify_bundle(t.path, o);
        CHECK(unpinned.failed() == "firmware");  // the built-in pin is Google's root, not gce-tcb-verifier's test root
        CHECK_THAT(failed_detail(unpinned), Catch::Matchers::ContainsSubstring("is not Google's GCE-cc-tcb-root_1"));
        o.policy.gcp_tcb_root_sha256 = unhex(root_fp);
        bundle::Summary s = bundle::verify_bundle(t.path, o);
        for (auto& c : s.checks) UNSCOPED_INFO(c.name << ": " << (c.ok ? "ok " : "FAIL ") << c.detail);
        REQUIRE(s.ok);
        REQUIRE(s.checks[6].name == "firmware");
        CHECK_THAT(s.checks[6].detail, Catch::Matchers::ContainsSubstring(root_fp + " = the policy's gcp_tcb_root_sha256"));
        CHECK_THAT(s.checks[6].detail, Catch::Matchers::ContainsSubstring("2025-01-01T00:00:00Z, SVN 2"));
        CHECK_THAT(s.checks[6].detail, Catch::Matchers::ContainsSubstring(std::string("certificates valid at ") + kNow));
        const Json j = bundle::summary_json(s);
        CHECK(j["firmware"]["mrtd_source"] == "endorsement");
        CHECK(j["firmware"]["uefi_sha384"] == facts["uefi_digest"]);
        CHECK(j["firmware"]["root_pinned_by_policy"] == true);
        CHECK(j["firmware"]["checked_at"] == kNow);
        o.policy.gcp_tcb_root_sha256 = unhex(facts["other_root_sha256"].get<std::string>());
        bundle::Summary pinned = bundle::verify_bundle(t.path, o);
        CHECK(pinned.failed() == "firmware");
        CHECK_THAT(failed_detail(pinned), Catch::Matchers::ContainsSubstring("gcp_tcb_root_sha256"));
    }
    SECTION("without a root file the endorsement's ca_bundle is the root, which the pin checks; defects fail naming them") {
        o.gcp_endorsement = fx("valid.binarypb");  // its ca_bundle holds gce-tcb-verifier's test root
        CHECK_THAT(failed_detail(bundle::verify_bundle(t.path, o)), Catch::Matchers::ContainsSubstring("is not Google's GCE-cc-tcb-root_1"));
        o.policy.gcp_tcb_root_sha256 = unhex(facts["devkeys_root_sha256"].get<std::string>());
        bundle::Summary b = bundle::verify_bundle(t.path, o);
        REQUIRE(b.ok);
        CHECK_THAT(b.checks[6].detail, Catch::Matchers::ContainsSubstring("(the endorsement's ca_bundle)"));
        CHECK(bundle::summary_json(b)["firmware"]["root_source"] == "ca_bundle");
        o.gcp_tcb_root = root;
        const std::pair<const char*, const char*> cases[] = {
            {"mrtd_not_listed.binarypb", "is not among"},
            {"other_root.binarypb", "issuer"},
            {"forged_cert.binarypb", "does not verify under"},
            {"wrong_wire_type.binarypb", "wire type VARINT, expected LEN"},
            {"overlong.binarypb", "remain"},
        };
        for (const auto& [file, why] : cases) {
            o.gcp_endorsement = fx(file);
            bundle::Summary s = bundle::verify_bundle(t.path, o);
            CHECK(s.failed() == "firmware");
            CHECK_THAT(failed_detail(s), Catch::Matchers::ContainsSubstring(why));
        }
        Bytes flipped = fx("valid.binarypb");
        flipped.back() ^= 0x80;
        o.gcp_endorsement = flipped;
        CHECK_THAT(failed_detail(bundle::verify_bundle(t.path, o)), Catch::Matchers::ContainsSubstring("signature over the golden"));
        o.gcp_endorsement = fx("valid.binarypb");
        o.gcp_tcb_root = fx("other-root.der");
        CHECK(bundle::verify_bundle(t.path, o).failed() == "firmware");
    }
}

TEST_CASE("gcp-tdx: Google's real endorsement of MRTD c1ee9c16 under Google's root, pinned by Kettle without a policy line",
          "[bundle][tdx][endorsement][gcp]") {
    // A forged quote (our test Intel PKI) whose MRTD is the one Google's real endorsement lists (tests/data/gcp/google),
    // verified at the instant the archiving verifier recorded (2026-10-01T16:54:33Z, inside the signing certificate's
    // validity 2026-05-05..2031-05-05); the forged collateral is made current for that instant.
    const char* at = "2026-10-01T16:54:33Z";
    const Bytes mrtd = unhex("c1ee9c16e3afc506cfe042c5b846a368528f3b37618eafb27469bc114cf914e9222c91618470e7f2b28ac360968270a5");
    Forgery f("2026-09-01T00:00:00Z", "2026-11-01T00:00:00Z");
    f.mrtd = mrtd;
    test::TempDir t;
    auto [log, rtmrs] = ccel(kImageLog);
    bundle::Options o = tdx_bundle(f, t.path, rtmrs, ccel_boot(log));
    o.disk_boot = cc_prediction();
    o.policy.tdx.mr_td.clear();
    o.now = x509::parse_rfc3339(at);
    auto google = [](const std::string& n) { return read_file(test::fixture("gcp/google/" + n)); };
    o.gcp_endorsement = google("endorsement-c1ee9c16.binarypb");
    o.gcp_tcb_root = google("GCE-cc-tcb-root_1.der");

    bundle::Summary s = bundle::verify_bundle(t.path, o);
    for (auto& c : s.checks) UNSCOPED_INFO(c.name << ": " << (c.ok ? "ok " : "FAIL ") << c.detail);
    REQUIRE(s.ok);
    REQUIRE(s.checks[6].name == "firmware");
    CHECK_THAT(s.checks[6].detail, Catch::Matchers::ContainsSubstring("MRTD c1ee9c16e3afc506... endorsed for UEFI 53c558fe06714203..."));
    CHECK_THAT(s.checks[6].detail, Catch::Matchers::ContainsSubstring("(2026-05-21T23:52:45Z, SVN 2) by 'GCE-uefi-signer'"));
    CHECK_THAT(s.checks[6].detail, Catch::Matchers::ContainsSubstring(
                                       "e876bc6978bf4f3da445f98a0a82363c8c0bae5a1fc033c6df65846a6cb0f18c = Google's GCE-cc-tcb-root_1 (built-in pin)"));
    const Json j = bundle::summary_json(s);
    CHECK(j["firmware"]["root_pinned_by_policy"] == false);
    CHECK(j["firmware"]["checked_at"] == at);
    CHECK(j["firmware"]["uefi_sha384"] == "53c558fe06714203d7428484c46ee7c0b9df748a9789e173421c28d097115b30efb8476304617532488ab40c3122db88");

    SECTION("without a root file, Google's own ca_bundle gives the same root") {
        o.gcp_tcb_root.reset();
        bundle::Summary b = bundle::verify_bundle(t.path, o);
        REQUIRE(b.ok);
        CHECK_THAT(b.checks[6].detail, Catch::Matchers::ContainsSubstring(
                                           "(the endorsement's ca_bundle) sha256 e876bc6978bf4f3da445f98a0a82363c8c0bae5a1fc033c6df65846a6cb0f18c"));
    }
    SECTION("a policy naming another root refuses Google's") {
        o.policy.gcp_tcb_root_sha256 = sha256(read_file(test::fixture("gcp/endorsement/devkeys-root.der")));
        bundle::Summary p = bundle::verify_bundle(t.path, o);
        CHECK(p.failed() == "firmware");
        CHECK_THAT(failed_detail(p), Catch::Matchers::ContainsSubstring("is not the policy's gcp_tcb_root_sha256"));
    }
    SECTION("a quote whose MRTD is not the endorsed one fails at firmware") {
        Forgery g("2026-09-01T00:00:00Z", "2026-11-01T00:00:00Z");
        Bytes other = mrtd;
        other[0] ^= 1;
        g.mrtd = other;
        test::TempDir u;
        bundle::Options q = tdx_bundle(g, u.path, rtmrs, ccel_boot(log));
        q.disk_boot = cc_prediction();
        q.policy.tdx.mr_td.clear();
        q.now = o.now;
        q.gcp_endorsement = o.gcp_endorsement;
        q.gcp_tcb_root = o.gcp_tcb_root;
        bundle::Summary m = bundle::verify_bundle(u.path, q);
        CHECK(m.failed() == "firmware");
        CHECK_THAT(failed_detail(m), Catch::Matchers::ContainsSubstring("is not among the 1 TDX measurements"));
    }
}

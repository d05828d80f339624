// A TPM event log held to PCR values and to the prediction of our image. Known answer from outside: the PCRs of
// the GCE SEV (hypervisor vTPM) COS-101 log that google/go-eventlog's own test expects (tests/data/README.md).
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "kettle/boot/boot_chain.hpp"
#include "kettle/boot/eventlog.hpp"
#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "tcg_log_builder.hpp"
#include "test_support.hpp"

using namespace kettle;
using namespace kettle::boot;

namespace {

EventLog cos101() { return parse_tcg2_log(read_file(test::fixture("tpm/go-eventlog") + "/cos-101-amd-sev.bin")); }

// google/go-eventlog tpmeventlog/extract_test.go, COS101AmdSev, SHA-256 bank.
const std::map<std::uint32_t, std::string> kCos101Sha256 = {
    {0, "0f35c214608d93c7a6e68ae7359b4a8be5a0e99eea9107ece427c4dea4e439cf"},
    {1, "6eb40f5b6bfafcb9914d486ce59404acd24bc13a6a3c45cda3b44c9d7053d638"},
    {2, "3d458cfe55cc03ea1f443f1562beec8df51c75e14a9fcf9a7234a13f198e7969"},
    {3, "3d458cfe55cc03ea1f443f1562beec8df51c75e14a9fcf9a7234a13f198e7969"},
    {4, "6d9f1a1d461cf77517e8d4c488c53f338a71c5a8e2b81ab7011c14f72cbc9a80"},
    {5, "d1a1ab23a5c3d98fbacff3891bad42d8e9257d61e1f683f42c6c9fa949bf96c5"},
    {6, "3d458cfe55cc03ea1f443f1562beec8df51c75e14a9fcf9a7234a13f198e7969"},
    {7, "2bc6edaa921f953cec0ffb28dad4f87114886603d6a782036502d28e69d97a48"},
    {8, "ebb7c847c4ade99849bcffca236d32331224a530087a7ae4cb9f7db4c2e571b5"},
    {9, "b5ad662e5eb9165825ee39ad66e851a67a193e0b87b27858f25ac58afa72ac57"},
    {14, "d0d95459205afae879514db7b85630f5d6b8272ed8c731bf92933dbc9fe99969"},
};

std::map<std::uint32_t, Bytes> cos101_pcrs() {
    std::map<std::uint32_t, Bytes> out;
    for (const auto& [i, h] : kCos101Sha256) out[i] = unhex(h);
    return out;
}

}  // namespace

TEST_CASE("the public GCE SEV vTPM log replays to the PCRs go-eventlog expects", "[boot][bootchain]") {
    const EventLog log = cos101();
    CHECK(tpm_check_bank(log) == kTpmAlgSha256);
    const auto r = replay(log, kTpmAlgSha256);
    for (const auto& [i, h] : kCos101Sha256) CHECK(hex(r.at(i)) == h);
    CHECK(check_tpm_replay(log, kTpmAlgSha256, cos101_pcrs(), {4, 5, 9}) == "11 PCRs (sha256) equal the log's replay");
}

TEST_CASE("a TPM log against PCR values: any difference, gap or wrong size fails", "[boot][bootchain]") {
    const EventLog log = cos101();
    auto pcrs = cos101_pcrs();
    SECTION("a PCR value differs") {
        pcrs[4][0] ^= 1;
        CHECK_THROWS_WITH(check_tpm_replay(log, kTpmAlgSha256, pcrs, {}), Catch::Matchers::ContainsSubstring("PCR4"));
    }
    SECTION("a required PCR is not given") {
        CHECK_THROWS_WITH(check_tpm_replay(log, kTpmAlgSha256, pcrs, {11}), Catch::Matchers::ContainsSubstring("PCR11"));
    }
    SECTION("a PCR the log never extends must be zero") {
        pcrs[12] = Bytes(32, 0xff);
        CHECK_THROWS_AS(check_tpm_replay(log, kTpmAlgSha256, pcrs, {}), Error);
        pcrs[12] = Bytes(32, 0);
        CHECK_NOTHROW(check_tpm_replay(log, kTpmAlgSha256, pcrs, {}));
    }
    SECTION("a value of another bank's size") {
        pcrs[0] = Bytes(48, 0);
        CHECK_THROWS_AS(check_tpm_replay(log, kTpmAlgSha256, pcrs, {}), Error);
    }
    SECTION("a record removed") {
        EventLog cut = log;
        cut.events.erase(cut.events.begin() + 10);
        CHECK_THROWS_AS(check_tpm_replay(cut, kTpmAlgSha256, pcrs, {}), Error);
    }
}

TEST_CASE("the image's PCRs of a TPM log must hold exactly the predicted events", "[boot][bootchain]") {
    BootPrediction p;
    auto add = [&](std::uint32_t pcr, std::uint32_t type, const std::string& what, bool tpm) {
        BootEvent e;
        e.pcr = pcr;
        e.event_type = type;
        e.what = what;
        e.digests[kTpmAlgSha256] = sha256(Bytes(what.begin(), what.end()));
        e.tpm = tpm;
        p.events.push_back(e);
    };
    add(4, kEvEfiBootServicesApplication, "UKI", true);
    add(11, kEvIpl, ".linux", true);
    add(9, kEvEventTag, "cc only", false);
    const auto regs = tpm_image_registers(p);
    REQUIRE(regs.size() == 6);
    CHECK(regs[0].name == "PCR4");
    CHECK(regs[0].events.size() == 1);
    CHECK(regs[2].events.empty());  // PCR9: the cc-only event is not a TPM event
    Bytes log = test::spec_id({{kTpmAlgSha256, 32}});
    auto ev = [&](std::uint32_t pcr, std::uint32_t type, const std::string& what) {
        test::event2(log, pcr, type, {{kTpmAlgSha256, sha256(Bytes(what.begin(), what.end()))}}, {});
    };
    ev(0, 0x8, "firmware");
    ev(4, kEvEfiBootServicesApplication, "UKI");
    ev(11, kEvIpl, ".linux");
    auto same = [](std::uint32_t i) { return std::optional<std::uint32_t>(i); };
    CHECK(match_predicted_events(parse_tcg2_log(log), kTpmAlgSha256, same, regs) ==
          "PCR4 1 events, PCR5 0 events, PCR9 0 events, PCR11 1 events, PCR12 0 events, PCR13 0 events as predicted");
    ev(12, kEvIpl, "a credential the image did not ask for");
    CHECK_THROWS_WITH(match_predicted_events(parse_tcg2_log(log), kTpmAlgSha256, same, regs),
                      Catch::Matchers::ContainsSubstring("PCR12"));
}

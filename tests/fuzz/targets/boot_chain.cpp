// Fuzz target: the boot event log as `kettle verify --boot` checks it (lib/verify/boot_chain.cpp over
// lib/boot/boot_chain.cpp and lib/tdx/boot_chain.cpp; docs/verify.md "Measured boot"): the TCG2 log parsed, the
// event data of every record whose digest covers it checked, the TPM bank chosen, the replay held to PCR values,
// the CCEL replay held to RTMR values, and the image registers matched against a prediction. The log comes from
// evidence.json in a bundle: hostile bytes (the evidence target covers the JSON around it).
// Invariants (the log checked against itself must pass): a TPM log's replay equals itself through check_tpm_replay;
// a CCEL log's replay_ccel equals itself through check_ccel_replay; a prediction made of the log's own counted
// records (each record as both a TPM and a CC event of its index) matches through match_predicted_events and
// check_ccel_image_events.
#include <array>
#include <cstring>

#include "fuzz.hpp"
#include "kettle/boot/boot_chain.hpp"
#include "kettle/tdx/boot_chain.hpp"

using namespace kettle;

namespace {
boot::BootPrediction prediction_of(const boot::EventLog& log) {
    boot::BootPrediction p;
    for (const auto& e : log.events) {
        if (e.event_type == boot::kEvNoAction) continue;
        boot::BootEvent b;
        b.pcr = e.index;
        b.cc_mr_index = e.index;
        b.event_type = e.event_type;
        b.what = "logged";
        for (const auto& [alg, d] : e.digests) b.digests[alg] = d;
        p.events.push_back(std::move(b));
    }
    return p;
}

void tpm_checks(const boot::EventLog& log, const boot::BootPrediction& p) {
    std::uint16_t bank = 0;
    if (!fuzz::accepts([&] { bank = boot::tpm_check_bank(log); })) return;
    std::map<std::uint32_t, Bytes> regs;
    if (!fuzz::accepts([&] { regs = boot::replay(log, bank); })) return;
    KETTLE_FUZZ_CHECK(fuzz::accepts([&] { boot::check_tpm_replay(log, bank, regs, {}); }),
                      "a TPM log's replay does not equal itself");
    auto same = [](std::uint32_t i) { return std::optional<std::uint32_t>(i); };
    KETTLE_FUZZ_CHECK(fuzz::accepts([&] { boot::match_predicted_events(log, bank, same, boot::tpm_image_registers(p)); }),
                      "a TPM log does not match the prediction made of its own records");
}

void ccel_checks(const boot::EventLog& log, const boot::BootPrediction& p) {
    tdx::CcelReplay r;
    if (!fuzz::accepts([&] { r = tdx::replay_ccel(log); })) return;
    std::array<std::array<std::uint8_t, 48>, 4> rtmr{};
    for (std::size_t i = 0; i < 4; ++i) {
        KETTLE_FUZZ_CHECK(r.rtmr[i].size() == 48, "RTMR size");
        std::memcpy(rtmr[i].data(), r.rtmr[i].data(), 48);
    }
    KETTLE_FUZZ_CHECK(fuzz::accepts([&] { tdx::check_ccel_replay(log, rtmr); }), "a CCEL log's replay does not equal itself");
    KETTLE_FUZZ_CHECK(fuzz::accepts([&] { tdx::check_ccel_image_events(log, p); }),
                      "a CCEL log does not match the prediction made of its own records");
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    boot::EventLog log;
    if (!fuzz::accepts([&] { log = boot::parse_tcg2_log(ByteView(data, size)); })) return 0;
    fuzz::accepts([&] { boot::check_event_data(log); });
    const boot::BootPrediction p = prediction_of(log);
    tpm_checks(log, p);
    ccel_checks(log, p);
    return 0;
}

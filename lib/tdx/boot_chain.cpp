// CCEL replay against a TDX quote, and the image's RTMR1/RTMR2 events. See kettle/tdx/boot_chain.hpp.
#include "kettle/tdx/boot_chain.hpp"

#include <algorithm>

#include "kettle/boot/boot_chain.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"

namespace kettle::tdx {

std::optional<std::uint32_t> rtmr_of_cc_index(std::uint32_t index) {
    if (index == 0) return 0;
    if (index <= 4) return index - 1;
    return std::nullopt;
}

CcelReplay replay_ccel(const boot::EventLog& log) {
    if (std::none_of(log.algorithms.begin(), log.algorithms.end(),
                     [](const boot::LogAlgorithm& a) { return a.id == boot::kTpmAlgSha384 && a.digest_size == 48; }))
        throw Error("CCEL: the log lists no SHA-384 bank");
    CcelReplay r;
    for (auto& v : r.rtmr) v.assign(48, 0);
    for (std::size_t i = 0; i < log.events.size(); ++i) {
        const boot::TcgEvent& e = log.events[i];
        if (e.event_type == boot::kEvNoAction) continue;
        const auto n = rtmr_of_cc_index(e.index);
        if (!n) throw Error("CCEL: record " + std::to_string(i) + " has CC MR index " + std::to_string(e.index) + " (not 1..4)");
        const Bytes* d = e.digest(boot::kTpmAlgSha384);
        if (!d) throw Error("CCEL: record " + std::to_string(i) + " has no SHA-384 digest");
        Hasher h(HashAlg::sha384);
        h.update(r.rtmr[*n]);
        h.update(*d);
        r.rtmr[*n] = h.finish();
        ++r.counted;
        if (e.index == 0) ++r.index0;
    }
    return r;
}

std::string check_ccel_replay(const boot::EventLog& log, const std::array<std::array<std::uint8_t, 48>, 4>& quote_rtmr) {
    const CcelReplay r = replay_ccel(log);
    std::string bad;
    for (std::size_t i = 0; i < 4; ++i) {
        const ByteView q(quote_rtmr[i].data(), 48);
        if (!equal_ct(r.rtmr[i], q))
            bad += (bad.empty() ? "" : "; ") + std::string("RTMR") + std::to_string(i) + " of the quote " + hex(q) +
                   " != the log's replay " + hex(r.rtmr[i]);
    }
    if (!bad.empty()) throw Error("CCEL replay: " + bad);
    std::string d = std::to_string(r.counted) + " events replay to RTMR0..3 of the quote";
    if (r.index0) d += " (" + std::to_string(r.index0) + " with CC MR index 0 counted as RTMR0)";
    return d;
}

std::string check_ccel_image_events(const boot::EventLog& log, const boot::BootPrediction& p) {
    std::vector<boot::ExpectedRegister> regs = {{1, "RTMR1", {}}, {2, "RTMR2", {}}};
    for (const boot::BootEvent& e : p.events) {
        if (!e.cc) continue;
        if (e.cc_mr_index == boot::kCcMrRtmr1) regs[0].events.push_back(&e);
        else if (e.cc_mr_index == boot::kCcMrRtmr2) regs[1].events.push_back(&e);
    }
    return boot::match_predicted_events(log, boot::kTpmAlgSha384, rtmr_of_cc_index, regs);
}

}  // namespace kettle::tdx

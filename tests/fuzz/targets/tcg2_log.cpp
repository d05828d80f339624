// Fuzz target: the TCG2 crypto-agile event log as `kettle measure boot --event-log` and the verifier read it
// (boot::parse_tcg2_log, TCG PC Client Platform Firmware Profile §10.2: the Spec ID Event03 header, then
// TCG_PCR_EVENT2 records), and the replay of every bank it lists (boot::replay, with the StartupLocality rule for
// PCR 0), in lib/boot/eventlog.cpp. The eventlog target covers the CCEL form (SHA-384 required).
// Invariants: the records lie within the log; every record's digests are of listed banks with their sizes; a bank
// with an implementation replays to registers of its digest size.
#include "fuzz.hpp"
#include "kettle/boot/eventlog.hpp"
#include "kettle/core/hash.hpp"

using namespace kettle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    boot::EventLog l;
    if (!fuzz::accepts([&] { l = boot::parse_tcg2_log(ByteView(data, size)); })) return 0;
    KETTLE_FUZZ_CHECK(l.used <= size, "records beyond the log");
    KETTLE_FUZZ_CHECK(!l.algorithms.empty() && l.algorithms.size() <= 32, "bank count");
    for (const auto& e : l.events) {
        KETTLE_FUZZ_CHECK(e.digests.size() <= l.algorithms.size(), "more digests than banks");
        for (const auto& [alg, d] : e.digests) {
            bool listed = false;
            for (const auto& a : l.algorithms) listed = listed || (a.id == alg && a.digest_size == d.size());
            KETTLE_FUZZ_CHECK(listed, "a digest of an unlisted bank or of the wrong size");
        }
        boot::event_type_name(e.event_type);
    }
    for (const auto& a : l.algorithms) {
        std::map<std::uint32_t, Bytes> regs;
        if (!fuzz::accepts([&] { regs = boot::replay(l, a.id); })) continue;
        for (const auto& [index, value] : regs) KETTLE_FUZZ_CHECK(value.size() == a.digest_size, "register size");
    }
    return 0;
}

// Fuzz target: the measured-boot event-log parsers of lib/boot/eventlog (the ACPI CCEL table, ACPI 6.5 §5.2.34,
// and the TCG2 crypto-agile event log, TCG PC Client Platform Firmware Profile §10.2) and the RTMR replay over
// the parsed events (lib/tdx/measure).
#include "fuzz.hpp"
#include "kettle/boot/eventlog.hpp"
#include "kettle/tdx/measure.hpp"

using namespace kettle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    ByteView in(data, size);
    fuzz::accepts([&] { boot::parse_ccel_table(in); });
    std::vector<boot::CcelEvent> events;
    if (!fuzz::accepts([&] { events = boot::parse_ccel_log(in); })) return 0;
    std::size_t bytes = 0;
    for (const auto& e : events) {
        KETTLE_FUZZ_CHECK(e.digest.size() == 48, "an event without a SHA-384 digest");
        boot::event_type_name(e.event_type);
        bytes += e.data.size();
    }
    KETTLE_FUZZ_CHECK(bytes <= size, "event data larger than the log");
    fuzz::accepts([&] { tdx::replay_rtmrs(events); });
    return 0;
}

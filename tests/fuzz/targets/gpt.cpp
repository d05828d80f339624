// Fuzz target: the primary GPT reader (boot::read_gpt, lib/boot/gpt.cpp; UEFI 2.10 §5.3) that `kettle measure boot`
// runs on a boot disk image, and the EV_EFI_GPT_EVENT data built from it (boot::uefi_gpt_event_data; TCG PC Client
// Platform Firmware Profile §10.4.4). The input is the start of the disk (LBA 0 onwards, 512-byte blocks).
// Invariants: the event data is 100 + n × SizeOfPartitionEntry bytes for the n used entries, starts with the 92
// header bytes as on disk, and every used entry was decoded.
#include "fuzz.hpp"
#include "kettle/boot/gpt.hpp"

#include <cstring>

using namespace kettle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    boot::Gpt g;
    if (!fuzz::accepts([&] { g = boot::read_gpt(ByteView(data, size)); })) return 0;
    KETTLE_FUZZ_CHECK(g.header.size() == boot::kGptHeaderSize, "header size");
    KETTLE_FUZZ_CHECK(size >= 1024 && std::memcmp(g.header.data(), data + 512, boot::kGptHeaderSize) == 0,
                      "the header is not the bytes at LBA 1");
    KETTLE_FUZZ_CHECK(g.partitions.size() == g.used_entries.size(), "a used entry was not decoded");
    KETTLE_FUZZ_CHECK(g.used_entries.size() <= g.entry_count, "more used entries than entries");
    for (const auto& e : g.used_entries) KETTLE_FUZZ_CHECK(e.size() == g.entry_size, "entry size");
    Bytes ev = boot::uefi_gpt_event_data(g);
    KETTLE_FUZZ_CHECK(ev.size() == 100 + g.used_entries.size() * g.entry_size, "UEFI_GPT_DATA size");
    KETTLE_FUZZ_CHECK(std::memcmp(ev.data(), g.header.data(), boot::kGptHeaderSize) == 0, "UEFI_GPT_DATA header");
    return 0;
}

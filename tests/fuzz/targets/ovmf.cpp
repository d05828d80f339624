// Fuzz target: OVMF firmware layout as `kettle measure` reads it: the footer GUID table (lib/boot/ovmf), the
// SEV "ASEV" metadata and SEV-ES reset block (snp::describe_firmware) and the TDVF metadata
// (tdx::parse_tdvf_metadata). The input is the end of a firmware file: zero bytes are put in front of it up to a
// multiple of 4096, as the footer table is found from the end.
// Invariant: the firmware description written as JSON reads back the same (firmware_description_from_json).
#include "fuzz.hpp"
#include "kettle/boot/ovmf.hpp"
#include "kettle/snp/measure.hpp"
#include "kettle/tdx/measure.hpp"

using namespace kettle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > (256u << 10)) return 0;
    Bytes fw((4096 - size % 4096) % 4096, 0);
    fw.insert(fw.end(), data, data + size);
    std::vector<boot::FooterEntry> table;
    if (!fuzz::accepts([&] { table = boot::parse_footer_table(fw); })) return 0;
    for (const auto& e : table) boot::guid_text(e.guid);
    for (const char* g : {boot::kSevHashTableRvGuid, boot::kSevEsResetBlockGuid, boot::kSevMetadataGuid,
                          boot::kTdxMetadataGuid})
        boot::footer_entry(table, g);
    fuzz::accepts([&] { tdx::parse_tdvf_metadata(fw); });
    snp::FirmwareDescription d;
    // With the file's SHA-256, as `kettle measure` describes it: to_json refuses a description without it.
    if (fw.empty() || !fuzz::accepts([&] { d = snp::describe_firmware(fw, true); })) return 0;
    Json j = snp::to_json(d);
    snp::FirmwareDescription back;
    KETTLE_FUZZ_CHECK(fuzz::accepts([&] { back = snp::firmware_description_from_json(j); }), j.dump());
    KETTLE_FUZZ_CHECK(snp::to_json(back) == j, j.dump());
    return 0;
}

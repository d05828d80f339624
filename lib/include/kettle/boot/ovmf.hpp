// OVMF firmware layout shared by the SNP and TDX measurements: EFI GUIDs in mixed-endian byte order and the
// footer GUID table at the end of the firmware volume. Source: edk2 OvmfPkg/ResetVector/Ia16/ResetVectorVtf0.asm
// (footer table), UEFI 2.10 Appendix A (GUID byte order). All integers are little-endian.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kettle/core/bytes.hpp"

namespace kettle::boot {

/// 16-byte GUID in the EFI "mixed-endian" byte order (first three groups little-endian), parsed from
/// the text form "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx". Throws Error on malformed text.
std::array<std::uint8_t, 16> guid_le(std::string_view text);
/// Text form (lower case) of a 16-byte EFI GUID stored in mixed-endian order.
std::string guid_text(ByteView guid16);

/// Well-known GUIDs of the OVMF footer table (OvmfPkg/ResetVector/Ia16/ResetVectorVtf0.asm).
inline constexpr const char* kFooterTableGuid = "96b582de-1fb2-45f7-baea-a366c55a082d";
inline constexpr const char* kSevHashTableRvGuid = "7255371f-3a3b-4b04-927b-1da6efa8d454";
inline constexpr const char* kSevEsResetBlockGuid = "00f771de-1a7e-4fcb-890e-68c77e2fb44e";
inline constexpr const char* kSevMetadataGuid = "dc886566-984a-4798-a75e-5585a7bf67cc";
inline constexpr const char* kTdxMetadataGuid = "e47a6535-984a-4798-865e-4685a7bf8ec2";

/// One entry of the OVMF footer GUID table: the GUID and the entry's data bytes (header excluded).
struct FooterEntry {
    std::array<std::uint8_t, 16> guid{};
    Bytes data;
};

/// Parse the footer GUID table that ends 32 bytes before the end of the firmware file: walking
/// backwards, each entry is [data][u16 size][GUID], size including the 18 header bytes; the outermost
/// entry (footer GUID 96b582de-…) covers the whole table. Returns an empty list when the footer GUID is
/// absent. Throws Error when an entry size is inconsistent (smaller than 18 or beyond the table).
std::vector<FooterEntry> parse_footer_table(ByteView firmware);
/// Data of the entry with `guid` (text form), or nullopt.
std::optional<Bytes> footer_entry(const std::vector<FooterEntry>& table, std::string_view guid);

}  // namespace kettle::boot

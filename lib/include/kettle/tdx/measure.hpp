// Intel TDX measurements of a QEMU guest booted from TDVF (OVMF built with TDX support): MRTD from the
// TDVF metadata, and replay of a CCEL event log (RTMR1/RTMR2 of a direct boot: kettle/boot/measured_boot.hpp).
// Sources: Intel TDX Virtual Firmware Design Guide (TDVF metadata, section
// 11), Intel TDX module ABI (TDH.MEM.PAGE.ADD / TDH.MR.EXTEND), Microsoft PE/COFF spec ("Calculating the
// PE Image Hash"), TCG PC Client Platform Firmware Profile (crypto-agile event log), ACPI 6.5 CCEL table.
// Notes: docs/measurement.md.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kettle/core/bytes.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/boot/eventlog.hpp"

namespace kettle::tdx {

/// TDVF section types (TDVF design guide Table 11-3).
enum class TdvfSectionType : std::uint32_t {
    bfv = 0, cfv = 1, td_hob = 2, temp_mem = 3, perm_mem = 4, payload = 5, payload_param = 6,
};
const char* tdvf_section_type_name(std::uint32_t type);

inline constexpr std::uint32_t kAttrMrExtend = 1;  ///< bit 0: the section's bytes are TDH.MR.EXTENDed
inline constexpr std::uint32_t kAttrPageAug = 2;   ///< bit 1: added later with TDH.MEM.PAGE.AUG (not in MRTD)

/// One 32-byte TDVF section descriptor: u32 data_offset (in the file), u32 raw_size, u64 gpa, u64 mem_size,
/// u32 type, u32 attributes.
struct TdvfSection {
    std::uint32_t data_offset = 0;
    std::uint32_t raw_size = 0;
    std::uint64_t gpa = 0;
    std::uint64_t mem_size = 0;
    std::uint32_t type = 0;
    std::uint32_t attributes = 0;
};

/// Parse the "TDVF" descriptor located through the OVMF footer-table entry e47a6535-… (first u32 = offset
/// from the end of the file). Throws Error when the entry is missing, the signature is not "TDVF", the
/// version is not 1, a section is unaligned, or an MR_EXTEND section's bytes lie outside the file.
std::vector<TdvfSection> parse_tdvf_metadata(ByteView firmware);

/// Order of TDH.MEM.PAGE.ADD and TDH.MR.EXTEND records within a section: single pass (per page: ADD then
/// its 16 EXTENDs; upstream KVM_TDX_INIT_MEM_REGION) or two pass (all ADDs of the section, then all
/// EXTENDs; older TDX QEMU/KVM stacks, dstack-mr's default for QEMU 8).
enum class MrtdOrder { single_pass, two_pass };

/// MRTD (48 bytes) = SHA-384 over 128-byte records "MEM.PAGE.ADD"(padded to 16) ‖ u64 gpa ‖ zeros per
/// page (unless PAGE_AUG), and for MR_EXTEND sections "MR.EXTEND" ‖ u64 gpa ‖ zeros plus the 256 file bytes
/// of each chunk. Depends on the firmware only.
Bytes mrtd(ByteView firmware, MrtdOrder order);

// RTMR1 and RTMR2 of a direct boot of our UKI: kettle/boot/measured_boot.hpp predict_direct_boot (one event
// model for disk and direct boot, TPM and TDX).

/// RTMR extend: SHA-384(rtmr ‖ digest), both 48 bytes.
void rtmr_extend(Bytes& rtmr, ByteView digest);

/// Replay: RTMR[i] = extend of the digests of events with mr_index i+1 (EV_NO_ACTION events excluded).
std::array<Bytes, 4> replay_rtmrs(const std::vector<boot::CcelEvent>& events);

}  // namespace kettle::tdx

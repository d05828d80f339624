// Measured-boot event logs: the ACPI CCEL table (ACPI 6.5 §5.2.34) and the TCG2 crypto-agile event log
// (TCG PC Client Platform Firmware Profile, §10.2: TCG_PCR_EVENT, TCG_EfiSpecIDEvent, TCG_PCR_EVENT2).
// All integers little-endian; every length is bounded by the buffer.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kettle/core/bytes.hpp"

namespace kettle::boot {

/// The 56-byte ACPI "CCEL" table: 36-byte header, u8 cc_type (2 = TDX), u8 cc_subtype, u16 reserved,
/// u64 LAML (log area minimum length), u64 LASA (log area start address).
struct CcelTable {
    std::uint8_t cc_type = 0;
    std::uint8_t cc_subtype = 0;
    std::uint64_t laml = 0;
    std::uint64_t lasa = 0;
};
/// Throws Error when the signature is not "CCEL", the length field is not ≥ 56 and ≤ the buffer, or the
/// checksum (bytes summing to 0 mod 256) fails.
CcelTable parse_ccel_table(ByteView table);

/// One TCG_PCR_EVENT2 record of a crypto-agile log; `digest` is its SHA-384 digest (alg 0x000C).
struct CcelEvent {
    std::uint32_t mr_index = 0;  ///< CC MR index: 0 MRTD, 1..4 = RTMR0..3
    std::uint32_t event_type = 0;
    Bytes digest;
    Bytes data;
};

/// Parse a TCG2 crypto-agile event log (first record: SHA-1 format with "Spec ID Event03" listing the
/// algorithms and digest sizes; then TCG_PCR_EVENT2 records). Stops at the end of `log`, at a record
/// starting with 0xFFFFFFFF or with zero digests. Every length is bounded by the buffer; Error on
/// truncation, an unknown algorithm, or a log without SHA-384.
std::vector<CcelEvent> parse_ccel_log(ByteView log);

/// Event type name ("EV_SEPARATOR", "EV_EFI_BOOT_SERVICES_APPLICATION", …) or "0x…".
std::string event_type_name(std::uint32_t type);

}  // namespace kettle::boot

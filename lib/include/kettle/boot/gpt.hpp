// The GUID Partition Table as UEFI firmware measures it: UEFI 2.10 §5.3 (GPT header at LBA 1, partition entry
// array) and the EV_EFI_GPT_EVENT data UEFI_GPT_DATA of the TCG PC Client Platform Firmware Profile 1.05
// §10.4.4, as edk2 SecurityPkg DxeTpm2MeasureBootLib (Tcg2MeasureGptTable) builds it. All integers little-endian.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "kettle/core/bytes.hpp"

namespace kettle::boot {

inline constexpr std::size_t kGptHeaderSize = 92;  ///< sizeof(EFI_PARTITION_TABLE_HEADER)

/// One partition entry (UEFI 2.10 Table 5-6): type and unique GUIDs in EFI byte order, LBAs, attributes,
/// and the UTF-16LE name (36 code units, NUL-padded) decoded as far as its first NUL (ASCII only; other code
/// units become '?').
struct GptPartition {
    std::array<std::uint8_t, 16> type_guid{}, unique_guid{};
    std::uint64_t first_lba = 0, last_lba = 0, attributes = 0;
    std::string name;
};

/// The primary GPT of a disk image, checked as a firmware would before measuring it.
struct Gpt {
    Bytes header;                      ///< the 92 header bytes at LBA 1, exactly as on disk
    std::array<std::uint8_t, 16> disk_guid{};
    std::uint64_t my_lba = 0, alternate_lba = 0, first_usable_lba = 0, last_usable_lba = 0, entries_lba = 0;
    std::uint32_t entry_count = 0, entry_size = 0;
    std::vector<Bytes> used_entries;   ///< raw entries whose type GUID is not zero, in table order
    std::vector<GptPartition> partitions;  ///< the same entries, decoded
};

/// Read the primary GPT from the start of a disk image (`disk` needs to hold only LBA 0..the end of the
/// entry array; 512-byte logical blocks). Checks: signature "EFI PART", revision 1.0, HeaderSize 92..512,
/// header CRC32, MyLBA 1, 1 ≤ entry count ≤ 1024, entry size 128 × 2^n up to 1024 bytes, the entry array
/// inside `disk` and its CRC32. Throws Error naming the first failed check.
Gpt read_gpt(ByteView disk);

/// UEFI_GPT_DATA, the event data (and, hashed, the digest) of EV_EFI_GPT_EVENT: the 92-byte header as on disk,
/// u64 NumberOfPartitions (the used entries), then each used entry (SizeOfPartitionEntry bytes) in table order.
/// Size: 100 + n × SizeOfPartitionEntry bytes.
Bytes uefi_gpt_event_data(const Gpt& gpt);

}  // namespace kettle::boot

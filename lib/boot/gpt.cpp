// The primary GPT of a disk image and its EV_EFI_GPT_EVENT data. See kettle/boot/gpt.hpp.
#include "kettle/boot/gpt.hpp"

#include <algorithm>
#include <cstring>
#include <zlib.h>

#include "kettle/core/error.hpp"

namespace kettle::boot {

namespace {

constexpr std::size_t kBlock = 512;
constexpr std::uint32_t kMaxEntries = 1024;

std::uint32_t crc32_of(ByteView b) {
    return static_cast<std::uint32_t>(::crc32(0L, b.data(), static_cast<uInt>(b.size())));
}

bool all_zero(ByteView b) {
    return std::all_of(b.begin(), b.end(), [](std::uint8_t x) { return x == 0; });
}

std::string utf16_name(ByteView raw) {
    std::string out;
    for (std::size_t i = 0; i + 1 < raw.size(); i += 2) {
        const std::uint16_t c = le16(raw, i);
        if (c == 0) break;
        out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
    }
    return out;
}

GptPartition decode_entry(ByteView e) {
    GptPartition p;
    std::memcpy(p.type_guid.data(), e.data(), 16);
    std::memcpy(p.unique_guid.data(), e.data() + 16, 16);
    p.first_lba = le64(e, 32);
    p.last_lba = le64(e, 40);
    p.attributes = le64(e, 48);
    p.name = utf16_name(e.subspan(56, 72));
    return p;
}

}  // namespace

Gpt read_gpt(ByteView disk) {
    auto lba1 = slice(disk, kBlock, kBlock, "GPT: LBA 1");
    if (std::memcmp(lba1.data(), "EFI PART", 8) != 0) throw Error("GPT: no \"EFI PART\" signature at LBA 1");
    if (le32(lba1, 8) != 0x00010000) throw Error("GPT: revision is not 1.0");
    const std::uint32_t hsize = le32(lba1, 12);
    if (hsize < kGptHeaderSize || hsize > kBlock) throw Error("GPT: HeaderSize " + std::to_string(hsize) + " is invalid");
    Bytes h(lba1.begin(), lba1.begin() + hsize);
    const std::uint32_t want_crc = le32(h, 16);
    std::memset(h.data() + 16, 0, 4);
    if (crc32_of(h) != want_crc) throw Error("GPT: header CRC32 does not match");
    Gpt g;
    g.header.assign(lba1.begin(), lba1.begin() + kGptHeaderSize);
    g.my_lba = le64(lba1, 24);
    g.alternate_lba = le64(lba1, 32);
    g.first_usable_lba = le64(lba1, 40);
    g.last_usable_lba = le64(lba1, 48);
    std::memcpy(g.disk_guid.data(), lba1.data() + 56, 16);
    g.entries_lba = le64(lba1, 72);
    g.entry_count = le32(lba1, 80);
    g.entry_size = le32(lba1, 84);
    if (g.my_lba != 1) throw Error("GPT: MyLBA is not 1");
    if (g.entry_count == 0 || g.entry_count > kMaxEntries)
        throw Error("GPT: NumberOfPartitionEntries " + std::to_string(g.entry_count) + " is not 1..1024");
    if (g.entry_size < 128 || g.entry_size > 1024 || (g.entry_size & (g.entry_size - 1)) != 0)
        throw Error("GPT: SizeOfPartitionEntry " + std::to_string(g.entry_size) + " is not 128 x 2^n (at most 1024)");
    if (g.entries_lba < 2 || g.entries_lba > disk.size() / kBlock)
        throw Error("GPT: PartitionEntryLBA lies outside the image");
    const std::size_t array_size = std::size_t{g.entry_count} * g.entry_size;
    auto array = slice(disk, g.entries_lba * kBlock, array_size, "GPT: partition entry array");
    if (crc32_of(array) != le32(lba1, 88)) throw Error("GPT: partition entry array CRC32 does not match");
    for (std::size_t i = 0; i < g.entry_count; ++i) {
        auto e = array.subspan(i * g.entry_size, g.entry_size);
        if (all_zero(e.first(16))) continue;  // unused entry: zero PartitionTypeGUID
        g.used_entries.emplace_back(e.begin(), e.end());
        g.partitions.push_back(decode_entry(e));
    }
    return g;
}

Bytes uefi_gpt_event_data(const Gpt& g) {
    if (g.header.size() != kGptHeaderSize) throw Error("GPT: header must be 92 bytes");
    Bytes out = g.header;
    put_le64(out, g.used_entries.size());
    for (const auto& e : g.used_entries) out.insert(out.end(), e.begin(), e.end());
    return out;
}

}  // namespace kettle::boot

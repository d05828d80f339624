// PE/COFF image hashing. Source: Microsoft PE Format specification, "Calculating the PE Image Hash"
// (Authenticode); all header fields little-endian.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kettle/core/bytes.hpp"
#include "kettle/core/hash.hpp"

namespace kettle::boot {

/// Authenticode image hash of a PE/COFF file (PE32 or PE32+): headers without CheckSum and the
/// certificate-table directory entry, sections in file-offset order, then trailing bytes up to the
/// certificate table. `pad_to_8`: also hash zero bytes up to a multiple of 8 when the file length is not
/// 8-aligned (what dstack-mr does; unverified against hardware). Throws Error for a malformed PE.
Bytes authenticode_digest(ByteView pe, HashAlg alg = HashAlg::sha384, bool pad_to_8 = false);

/// The contents of the section named `name` (at most 8 bytes, e.g. ".initrd") as a loader maps it: VirtualSize
/// bytes (section header offset 8), the first min(VirtualSize, SizeOfRawData) from the file at PointerToRawData,
/// the rest zero. std::nullopt when no section has that name. Throws Error for a malformed PE, a section outside
/// the file, or a VirtualSize above `max_size`.
std::optional<Bytes> pe_section(ByteView pe, std::string_view name, std::size_t max_size = 1u << 30);

}  // namespace kettle::boot

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

/// One PE/COFF section header (40 bytes each after the optional header): Name[8] (NUL-padded; shown up to
/// the first NUL), VirtualSize, VirtualAddress (RVA), SizeOfRawData, PointerToRawData.
struct PeSection {
    std::string name;
    std::uint32_t virtual_size = 0;
    std::uint32_t virtual_address = 0;
    std::uint32_t raw_size = 0;
    std::uint32_t raw_offset = 0;
};

/// The section table of a PE32/PE32+ file, in header order. Throws Error for a malformed PE, a section table
/// outside the file, more than 96 sections (the PE/COFF limit), or raw data outside the file.
std::vector<PeSection> pe_sections(ByteView pe);

/// The section systemd-stub 252 uses for `prefix` (src/boot/efi/pe.c locate_sections): the LAST section in
/// header order whose 8-byte name field starts with `prefix` (so ".linux" also matches ".linuxX"), or nullopt.
std::optional<PeSection> find_section(const std::vector<PeSection>& sections, std::string_view prefix);

/// The bytes of `s` as a UEFI PE loader maps them (edk2 PeCoffLoaderLoadImage): VirtualSize bytes, of which
/// the first min(VirtualSize, SizeOfRawData) come from the file and the rest are zero. Throws Error when
/// VirtualSize exceeds `max_size` (default 1 GiB).
Bytes section_in_memory(ByteView pe, const PeSection& s, std::size_t max_size = std::size_t{1} << 30);

/// The contents of the section systemd-stub 252 would use for `name` (find_section: the last whose name starts
/// with it, e.g. ".initrd") as a loader maps it (section_in_memory). std::nullopt when there is none. Throws Error
/// for a name outside 1..8 bytes, a malformed PE, a section outside the file, or a VirtualSize above `max_size`.
std::optional<Bytes> pe_section(ByteView pe, std::string_view name, std::size_t max_size = std::size_t{1} << 30);

}  // namespace kettle::boot

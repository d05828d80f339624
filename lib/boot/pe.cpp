// Authenticode image hash of a PE/COFF file. See kettle/boot/pe.hpp.
#include "kettle/boot/pe.hpp"

#include <algorithm>
#include <cstring>

#include "kettle/core/error.hpp"

namespace kettle::boot {

// ---------------------------------------------------------------------------------- Authenticode

Bytes authenticode_digest(ByteView pe, HashAlg alg, bool pad_to_8) {
    if (pe.size() < 0x40 || pe[0] != 'M' || pe[1] != 'Z') throw Error("PE: no MZ header");
    const std::uint32_t lfanew = le32(pe, 0x3c);
    auto sig = slice(pe, lfanew, 24, "PE header");
    if (std::memcmp(sig.data(), "PE\0\0", 4) != 0) throw Error("PE: no PE signature at e_lfanew");
    const std::uint16_t nsect = le16(sig, 4 + 2);
    const std::uint16_t opt_size = le16(sig, 4 + 16);
    const std::size_t opt = std::size_t{lfanew} + 24;
    auto ohdr = slice(pe, opt, opt_size, "PE optional header");
    if (opt_size < 2) throw Error("PE: optional header too short");
    const std::uint16_t magic = le16(ohdr, 0);
    std::size_t nrva_off, dd_off;
    if (magic == 0x10b) { nrva_off = 92; dd_off = 96; }
    else if (magic == 0x20b) { nrva_off = 108; dd_off = 112; }
    else throw Error("PE: optional header magic " + hex_int(magic) + " is neither PE32 nor PE32+");
    if (opt_size < dd_off) throw Error("PE: optional header too short for its data directories");
    const std::size_t checksum_off = opt + 64;
    const std::uint32_t size_of_headers = le32(ohdr, 60);
    const std::uint32_t nrva = le32(ohdr, nrva_off);
    if (nrva > (opt_size - dd_off) / 8) throw Error("PE: NumberOfRvaAndSizes exceeds the optional header");
    const bool has_sec = nrva > 4;
    const std::size_t secdir_off = opt + dd_off + 4 * 8;
    std::uint32_t cert_off = 0, cert_size = 0;
    if (has_sec) {
        cert_off = le32(pe, secdir_off);
        cert_size = le32(pe, secdir_off + 4);
        if (cert_size && (cert_off > pe.size() || cert_size > pe.size() - cert_off))
            throw Error("PE: certificate table outside the file");
    }
    if (size_of_headers > pe.size() || size_of_headers < opt + opt_size)
        throw Error("PE: SizeOfHeaders is inconsistent with the file");

    Hasher h(alg);
    h.update(pe.subspan(0, checksum_off));
    if (has_sec) {
        h.update(pe.subspan(checksum_off + 4, secdir_off - (checksum_off + 4)));
        h.update(pe.subspan(secdir_off + 8, size_of_headers - (secdir_off + 8)));
    } else {
        h.update(pe.subspan(checksum_off + 4, size_of_headers - (checksum_off + 4)));
    }
    struct Sec { std::uint32_t ptr, size; };
    std::vector<Sec> secs;
    const std::size_t sh = opt + opt_size;
    for (std::size_t i = 0; i < nsect; ++i) {
        auto s = slice(pe, sh + 40 * i, 40, "PE section header");
        Sec x{le32(s, 20), le32(s, 16)};
        if (x.size == 0) continue;
        if (x.ptr > pe.size() || x.size > pe.size() - x.ptr) throw Error("PE: section " + std::to_string(i) + " outside the file");
        secs.push_back(x);
    }
    std::stable_sort(secs.begin(), secs.end(), [](const Sec& a, const Sec& b) { return a.ptr < b.ptr; });
    std::uint64_t hashed = size_of_headers;
    std::uint64_t end = size_of_headers;
    for (const auto& s : secs) {
        h.update(pe.subspan(s.ptr, s.size));
        hashed += s.size;
        end = std::max<std::uint64_t>(end, std::uint64_t{s.ptr} + s.size);
    }
    // Trailing data (PE/COFF spec; edk2 DxeTpm2MeasureBootLib HashPeImage): from SUM_OF_BYTES_HASHED to
    // FILE_SIZE - certificate table size.
    std::uint64_t tail_end = pe.size();
    if (pe.size() > hashed) {
        if (pe.size() < hashed + cert_size) throw Error("PE: certificate table overlaps the hashed image");
        tail_end = pe.size() - cert_size;
        if (tail_end > hashed) h.update(pe.subspan(hashed, tail_end - hashed));
    }
    (void)end;
    if (pad_to_8 && tail_end % 8 != 0) {
        static const std::uint8_t z[8] = {};
        h.update(ByteView(z, 8 - tail_end % 8));
    }
    return h.finish();
}

// --------------------------------------------------------------------------------------- sections

std::vector<PeSection> pe_sections(ByteView pe) {
    if (pe.size() < 0x40 || pe[0] != 'M' || pe[1] != 'Z') throw Error("PE: no MZ header");
    const std::uint32_t lfanew = le32(pe, 0x3c);
    auto hdr = slice(pe, lfanew, 24, "PE header");
    if (std::memcmp(hdr.data(), "PE\0\0", 4) != 0) throw Error("PE: no PE signature at e_lfanew");
    const std::uint16_t nsect = le16(hdr, 4 + 2);
    const std::uint16_t opt_size = le16(hdr, 4 + 16);
    if (nsect > 96) throw Error("PE: " + std::to_string(nsect) + " sections (more than 96)");
    const std::size_t table = std::size_t{lfanew} + 24 + opt_size;
    std::vector<PeSection> out;
    for (std::size_t i = 0; i < nsect; ++i) {
        auto h = slice(pe, table + 40 * i, 40, "PE section header");
        PeSection s;
        const char* n = reinterpret_cast<const char*>(h.data());
        s.name.assign(n, strnlen(n, 8));
        s.virtual_size = le32(h, 8);
        s.virtual_address = le32(h, 12);
        s.raw_size = le32(h, 16);
        s.raw_offset = le32(h, 20);
        if (s.raw_size && (s.raw_offset > pe.size() || s.raw_size > pe.size() - s.raw_offset))
            throw Error("PE: raw data of section " + std::to_string(i) + " lies outside the file");
        out.push_back(std::move(s));
    }
    return out;
}

std::optional<PeSection> find_section(const std::vector<PeSection>& sections, std::string_view prefix) {
    std::optional<PeSection> found;
    for (const auto& s : sections)
        if (s.name.size() >= prefix.size() && s.name.compare(0, prefix.size(), prefix) == 0) found = s;
    return found;
}

Bytes section_in_memory(ByteView pe, const PeSection& s, std::size_t max_size) {
    if (s.virtual_size > max_size)
        throw Error("PE: section " + s.name + " has VirtualSize " + std::to_string(s.virtual_size) + " (over the limit)");
    Bytes out(s.virtual_size, 0);
    const std::size_t n = std::min<std::size_t>(s.virtual_size, s.raw_size);
    if (n) {
        auto src = slice(pe, s.raw_offset, n, "PE section data");
        std::copy(src.begin(), src.end(), out.begin());
    }
    return out;
}

std::optional<Bytes> pe_section(ByteView pe, std::string_view name, std::size_t max_size) {
    if (name.empty() || name.size() > 8) throw Error("PE: a section name has 1..8 bytes");
    const auto s = find_section(pe_sections(pe), name);
    if (!s) return std::nullopt;
    return section_in_memory(pe, *s, max_size);
}

}  // namespace kettle::boot

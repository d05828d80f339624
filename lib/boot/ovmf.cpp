// OVMF footer GUID table and EFI GUID text form. See kettle/boot/ovmf.hpp.
#include "kettle/boot/ovmf.hpp"

#include <algorithm>
#include <cstring>

#include "kettle/core/error.hpp"

namespace kettle::boot {

namespace {
constexpr std::size_t kFooterEntryHeader = 18;  // u16 size + 16-byte GUID

int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
}  // namespace

// ---------------------------------------------------------------------------------------------- GUIDs

std::array<std::uint8_t, 16> guid_le(std::string_view t) {
    if (t.size() != 36 || t[8] != '-' || t[13] != '-' || t[18] != '-' || t[23] != '-')
        throw Error("guid: '" + std::string(t) + "' is not of the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx");
    std::array<std::uint8_t, 16> be{};
    std::size_t k = 0;
    for (std::size_t i = 0; i < t.size();) {
        if (t[i] == '-') { ++i; continue; }
        int hi = hexval(t[i]), lo = i + 1 < t.size() ? hexval(t[i + 1]) : -1;
        if (hi < 0 || lo < 0 || k >= 16) throw Error("guid: '" + std::string(t) + "' has a non-hex digit");
        be[k++] = static_cast<std::uint8_t>(hi << 4 | lo);
        i += 2;
    }
    std::array<std::uint8_t, 16> le = be;
    std::reverse(le.begin(), le.begin() + 4);
    std::reverse(le.begin() + 4, le.begin() + 6);
    std::reverse(le.begin() + 6, le.begin() + 8);
    return le;
}

std::string guid_text(ByteView g) {
    if (g.size() != 16) throw Error("guid: need 16 bytes");
    Bytes be(g.begin(), g.end());
    std::reverse(be.begin(), be.begin() + 4);
    std::reverse(be.begin() + 4, be.begin() + 6);
    std::reverse(be.begin() + 6, be.begin() + 8);
    std::string h = hex(be);
    return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

// ------------------------------------------------------------------------------------- footer table

std::vector<FooterEntry> parse_footer_table(ByteView fw) {
    std::vector<FooterEntry> out;
    if (fw.size() < 32 + kFooterEntryHeader) return out;
    const std::size_t footer_off = fw.size() - 32 - kFooterEntryHeader;
    const auto footer_guid = guid_le(kFooterTableGuid);
    if (std::memcmp(fw.data() + footer_off + 2, footer_guid.data(), 16) != 0) return out;
    const std::size_t footer_size = le16(fw, footer_off);
    if (footer_size < kFooterEntryHeader) throw Error("OVMF footer table: size field smaller than its header");
    const std::size_t table_size = footer_size - kFooterEntryHeader;
    if (table_size > footer_off) throw Error("OVMF footer table: size extends before the start of the firmware");
    ByteView table = fw.subspan(footer_off - table_size, table_size);
    while (table.size() >= kFooterEntryHeader) {
        const std::size_t hdr = table.size() - kFooterEntryHeader;
        const std::size_t esize = le16(table, hdr);
        if (esize < kFooterEntryHeader) throw Error("OVMF footer table: entry size smaller than its 18-byte header");
        if (esize > table.size()) throw Error("OVMF footer table: entry size runs past the table start");
        FooterEntry e;
        std::memcpy(e.guid.data(), table.data() + hdr + 2, 16);
        auto data = table.subspan(table.size() - esize, esize - kFooterEntryHeader);
        e.data.assign(data.begin(), data.end());
        out.push_back(std::move(e));
        table = table.first(table.size() - esize);
    }
    return out;
}

std::optional<Bytes> footer_entry(const std::vector<FooterEntry>& table, std::string_view guid) {
    const auto g = guid_le(guid);
    for (const auto& e : table)
        if (e.guid == g) return e.data;
    return std::nullopt;
}

}  // namespace kettle::boot

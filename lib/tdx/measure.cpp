// Intel TDX MRTD / RTMR computation and CCEL replay. See kettle/tdx/measure.hpp.
#include "kettle/tdx/measure.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "kettle/core/error.hpp"
#include "kettle/boot/ovmf.hpp"

namespace kettle::tdx {

namespace {
constexpr std::uint64_t kPage = 4096;
constexpr std::size_t kChunk = 256;
constexpr std::uint32_t kEvNoAction = 0x3;
}  // namespace

const char* tdvf_section_type_name(std::uint32_t t) {
    switch (t) {
        case 0: return "BFV";
        case 1: return "CFV";
        case 2: return "TD_HOB";
        case 3: return "TempMem";
        case 4: return "PermMem";
        case 5: return "Payload";
        case 6: return "PayloadParam";
        default: return "unknown";
    }
}

std::vector<TdvfSection> parse_tdvf_metadata(ByteView fw) {
    const auto table = boot::parse_footer_table(fw);
    auto e = boot::footer_entry(table, boot::kTdxMetadataGuid);
    if (!e) throw Error("firmware: no TDX metadata entry (e47a6535-…) in the OVMF footer table (not a TDVF build)");
    if (e->size() < 4) throw Error("firmware: TDX metadata entry shorter than 4 bytes");
    const std::uint32_t off_from_end = le32(*e, 0);
    if (off_from_end > fw.size() || off_from_end < 16)
        throw Error("TDVF metadata: offset from end " + std::to_string(off_from_end) + " outside the firmware");
    const std::size_t start = fw.size() - off_from_end;
    auto hdr = slice(fw, start, 16, "TDVF descriptor");
    if (std::memcmp(hdr.data(), "TDVF", 4) != 0) throw Error("TDVF metadata: signature is not \"TDVF\"");
    const std::uint32_t len = le32(hdr, 4), version = le32(hdr, 8), n = le32(hdr, 12);
    if (version != 1) throw Error("TDVF metadata: version " + std::to_string(version) + " is not 1");
    if (len < 16 || len > off_from_end) throw Error("TDVF metadata: length field runs past the firmware end");
    if (n > (len - 16) / 32) throw Error("TDVF metadata: " + std::to_string(n) + " sections exceed its length");
    std::vector<TdvfSection> out;
    for (std::uint32_t i = 0; i < n; ++i) {
        auto d = slice(fw, start + 16 + 32 * std::size_t{i}, 32, "TDVF section");
        TdvfSection s;
        s.data_offset = le32(d, 0);
        s.raw_size = le32(d, 4);
        s.gpa = le64(d, 8);
        s.mem_size = le64(d, 16);
        s.type = le32(d, 24);
        s.attributes = le32(d, 28);
        const std::string which = "TDVF section " + std::to_string(i);
        if (s.gpa % kPage != 0 || s.mem_size % kPage != 0) throw Error(which + ": not page aligned");
        if (s.mem_size < s.raw_size) throw Error(which + ": memory size smaller than raw size");
        if (s.mem_size > (std::uint64_t{1} << 32)) throw Error(which + ": memory size above 4 GiB");
        if (s.raw_size > 0 && (s.data_offset > fw.size() || s.raw_size > fw.size() - s.data_offset))
            throw Error(which + ": raw data outside the firmware file");
        if ((s.attributes & kAttrMrExtend) &&
            (s.data_offset > fw.size() || s.mem_size > fw.size() - s.data_offset))
            throw Error(which + ": MR_EXTEND range outside the firmware file");
        out.push_back(s);
    }
    return out;
}

Bytes mrtd(ByteView fw, MrtdOrder order) {
    const auto sections = parse_tdvf_metadata(fw);
    Hasher h(HashAlg::sha384);
    std::uint8_t rec[128];
    const auto page_add = [&](const TdvfSection& s, std::uint64_t page) {
        if (s.attributes & kAttrPageAug) return;
        std::memset(rec, 0, sizeof rec);
        std::memcpy(rec, "MEM.PAGE.ADD", 12);
        const std::uint64_t gpa = s.gpa + page * kPage;
        for (int i = 0; i < 8; ++i) rec[16 + i] = static_cast<std::uint8_t>(gpa >> (8 * i));
        h.update(ByteView(rec, sizeof rec));
    };
    const auto extend = [&](const TdvfSection& s, std::uint64_t page) {
        if (!(s.attributes & kAttrMrExtend)) return;
        for (std::size_t c = 0; c < kPage / kChunk; ++c) {
            std::memset(rec, 0, sizeof rec);
            std::memcpy(rec, "MR.EXTEND", 9);
            const std::uint64_t gpa = s.gpa + page * kPage + c * kChunk;
            for (int i = 0; i < 8; ++i) rec[16 + i] = static_cast<std::uint8_t>(gpa >> (8 * i));
            h.update(ByteView(rec, sizeof rec));
            h.update(fw.subspan(s.data_offset + page * kPage + c * kChunk, kChunk));
        }
    };
    for (const auto& s : sections) {
        const std::uint64_t pages = s.mem_size / kPage;
        if (order == MrtdOrder::two_pass) {
            for (std::uint64_t p = 0; p < pages; ++p) page_add(s, p);
            for (std::uint64_t p = 0; p < pages; ++p) extend(s, p);
        } else {
            for (std::uint64_t p = 0; p < pages; ++p) {
                page_add(s, p);
                extend(s, p);
            }
        }
    }
    return h.finish();
}

void rtmr_extend(Bytes& rtmr, ByteView digest) {
    if (rtmr.size() != 48 || digest.size() != 48) throw Error("RTMR extend: register and digest must be 48 bytes");
    Hasher h(HashAlg::sha384);
    h.update(rtmr);
    h.update(digest);
    rtmr = h.finish();
}

std::array<Bytes, 4> replay_rtmrs(const std::vector<boot::CcelEvent>& events) {
    std::array<Bytes, 4> r;
    for (auto& x : r) x.assign(48, 0);
    for (const auto& e : events) {
        if (e.event_type == kEvNoAction) continue;
        if (e.mr_index < 1 || e.mr_index > 4) continue;  // 0 = MRTD, not an RTMR
        rtmr_extend(r[e.mr_index - 1], e.digest);
    }
    return r;
}

}  // namespace kettle::tdx

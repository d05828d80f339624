// Intel TDX MRTD / RTMR computation and CCEL replay. See kettle/tdx_measure.hpp.
#include "kettle/tdx_measure.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "kettle/error.hpp"
#include "kettle/snp_measure.hpp"  // OVMF footer GUID table

namespace kettle::tdx {

namespace {
constexpr std::uint64_t kPage = 4096;
constexpr std::size_t kChunk = 256;
constexpr std::uint32_t kEvNoAction = 0x3;
constexpr std::uint16_t kAlgSha384 = 0x000C;
constexpr std::size_t kMaxEvents = 1u << 16;
constexpr std::uint32_t kMaxEventData = 16u << 20;

std::string hex32(std::uint32_t v) {
    char b[16];
    std::snprintf(b, sizeof b, "0x%x", v);
    return b;
}

struct Reader {
    ByteView b;
    std::size_t off = 0;
    const char* what;
    ByteView take(std::size_t n) {
        if (n > b.size() - off) throw Error(std::string(what) + ": truncated at byte " + std::to_string(off));
        auto r = b.subspan(off, n);
        off += n;
        return r;
    }
    std::uint16_t u16() { return le16(take(2), 0); }
    std::uint32_t u32() { return le32(take(4), 0); }
    std::size_t left() const { return b.size() - off; }
};

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
    const auto table = snp::parse_footer_table(fw);
    auto e = snp::footer_entry(table, snp::kTdxMetadataGuid);
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
    else throw Error("PE: optional header magic " + hex32(magic) + " is neither PE32 nor PE32+");
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

void rtmr_extend(Bytes& rtmr, ByteView digest) {
    if (rtmr.size() != 48 || digest.size() != 48) throw Error("RTMR extend: register and digest must be 48 bytes");
    Hasher h(HashAlg::sha384);
    h.update(rtmr);
    h.update(digest);
    rtmr = h.finish();
}

Bytes rtmr1_direct_boot(ByteView pe, bool pad_to_8) {
    Bytes r(48, 0);
    rtmr_extend(r, authenticode_digest(pe, HashAlg::sha384, pad_to_8));
    rtmr_extend(r, sha384("Calling EFI Application from Boot Option"));
    const std::uint8_t sep[4] = {0, 0, 0, 0};
    rtmr_extend(r, sha384(ByteView(sep, 4)));
    rtmr_extend(r, sha384("Exit Boot Services Invocation"));
    rtmr_extend(r, sha384("Exit Boot Services Returned with Success"));
    return r;
}

// ------------------------------------------------------------------------------------------ CCEL

CcelTable parse_ccel_table(ByteView t) {
    if (t.size() < 56) throw Error("CCEL table: shorter than 56 bytes");
    if (std::memcmp(t.data(), "CCEL", 4) != 0) throw Error("CCEL table: signature is not \"CCEL\"");
    const std::uint32_t len = le32(t, 4);
    if (len < 56 || len > t.size()) throw Error("CCEL table: length field " + std::to_string(len) + " is invalid");
    std::uint8_t sum = 0;
    for (std::size_t i = 0; i < len; ++i) sum = static_cast<std::uint8_t>(sum + t[i]);
    if (sum != 0) throw Error("CCEL table: checksum does not sum to zero");
    CcelTable c;
    c.cc_type = t[36];
    c.cc_subtype = t[37];
    c.laml = le64(t, 40);
    c.lasa = le64(t, 48);
    return c;
}

std::vector<CcelEvent> parse_ccel_log(ByteView log) {
    Reader r{log, 0, "CCEL log"};
    // First record: TCG_PCClientPCREvent (SHA-1 format) carrying TCG_EfiSpecIDEvent.
    r.u32();  // pcrIndex
    const std::uint32_t first_type = r.u32();
    r.take(20);
    const std::uint32_t spec_size = r.u32();
    if (first_type != kEvNoAction) throw Error("CCEL log: first event is not EV_NO_ACTION (Spec ID Event03)");
    if (spec_size > 65536) throw Error("CCEL log: Spec ID event too large");
    Reader s{r.take(spec_size), 0, "CCEL Spec ID event"};
    if (std::memcmp(s.take(16).data(), "Spec ID Event03\0", 16) != 0)
        throw Error("CCEL log: first event is not \"Spec ID Event03\" (not a crypto-agile log)");
    s.take(4 + 4);  // platformClass, version minor/major/errata, uintnSize
    const std::uint32_t nalg = s.u32();
    if (nalg == 0 || nalg > 32) throw Error("CCEL log: Spec ID event lists " + std::to_string(nalg) + " algorithms");
    std::vector<std::pair<std::uint16_t, std::uint16_t>> algs;
    for (std::uint32_t i = 0; i < nalg; ++i) {
        const std::uint16_t id = s.u16(), size = s.u16();
        if (size == 0 || size > 64) throw Error("CCEL log: algorithm " + hex32(id) + " has digest size " + std::to_string(size));
        algs.emplace_back(id, size);
    }
    if (std::none_of(algs.begin(), algs.end(), [](auto& a) { return a.first == kAlgSha384 && a.second == 48; }))
        throw Error("CCEL log: SHA-384 (0x000C, 48 bytes) is not among the log's algorithms");

    std::vector<CcelEvent> out;
    while (r.left() >= 12) {
        const std::size_t at = r.off;
        const std::uint32_t idx = r.u32();
        const std::uint32_t type = r.u32();
        const std::uint32_t count = r.u32();
        if (idx == 0xffffffffu || type == 0xffffffffu || count == 0) {
            r.off = at;
            break;
        }
        if (count > algs.size()) throw Error("CCEL log: event at byte " + std::to_string(at) + " has too many digests");
        if (out.size() >= kMaxEvents) throw Error("CCEL log: more than 65536 events");
        CcelEvent e;
        e.mr_index = idx;
        e.event_type = type;
        for (std::uint32_t i = 0; i < count; ++i) {
            const std::uint16_t id = r.u16();
            auto a = std::find_if(algs.begin(), algs.end(), [id](auto& p) { return p.first == id; });
            if (a == algs.end())
                throw Error("CCEL log: event at byte " + std::to_string(at) + " uses unlisted algorithm " + hex32(id));
            auto d = r.take(a->second);
            if (id == kAlgSha384) e.digest.assign(d.begin(), d.end());
        }
        const std::uint32_t dsize = r.u32();
        if (dsize > kMaxEventData) throw Error("CCEL log: event data larger than 16 MiB");
        auto data = r.take(dsize);
        e.data.assign(data.begin(), data.end());
        if (e.digest.empty()) throw Error("CCEL log: event at byte " + std::to_string(at) + " has no SHA-384 digest");
        out.push_back(std::move(e));
    }
    return out;
}

std::array<Bytes, 4> replay_rtmrs(const std::vector<CcelEvent>& events) {
    std::array<Bytes, 4> r;
    for (auto& x : r) x.assign(48, 0);
    for (const auto& e : events) {
        if (e.event_type == kEvNoAction) continue;
        if (e.mr_index < 1 || e.mr_index > 4) continue;  // 0 = MRTD, not an RTMR
        rtmr_extend(r[e.mr_index - 1], e.digest);
    }
    return r;
}

std::string event_type_name(std::uint32_t t) {
    switch (t) {
        case 0x3: return "EV_NO_ACTION";
        case 0x4: return "EV_SEPARATOR";
        case 0x6: return "EV_EVENT_TAG";
        case 0xA: return "EV_PLATFORM_CONFIG_FLAGS";
        case 0xD: return "EV_IPL";
        case 0x80000001: return "EV_EFI_VARIABLE_DRIVER_CONFIG";
        case 0x80000002: return "EV_EFI_VARIABLE_BOOT";
        case 0x80000003: return "EV_EFI_BOOT_SERVICES_APPLICATION";
        case 0x80000006: return "EV_EFI_GPT_EVENT";
        case 0x80000007: return "EV_EFI_ACTION";
        case 0x8000000A: return "EV_EFI_PLATFORM_FIRMWARE_BLOB2";
        case 0x8000000B: return "EV_EFI_HANDOFF_TABLES2";
        case 0x800000E0: return "EV_EFI_VARIABLE_AUTHORITY";
        default: return hex32(t);
    }
}

}  // namespace kettle::tdx

// CCEL table and TCG2 crypto-agile event log parsing. See kettle/boot/eventlog.hpp.
#include "kettle/boot/eventlog.hpp"

#include <algorithm>
#include <cstring>

#include "kettle/core/error.hpp"

namespace kettle::boot {

namespace {
constexpr std::uint32_t kEvNoAction = 0x3;
constexpr std::uint16_t kAlgSha384 = 0x000C;
constexpr std::size_t kMaxEvents = 1u << 16;
constexpr std::uint32_t kMaxEventData = 16u << 20;

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
        if (size == 0 || size > 64) throw Error("CCEL log: algorithm " + hex_int(id) + " has digest size " + std::to_string(size));
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
                throw Error("CCEL log: event at byte " + std::to_string(at) + " uses unlisted algorithm " + hex_int(id));
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
        default: return hex_int(t);
    }
}

}  // namespace kettle::boot

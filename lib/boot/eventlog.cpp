// CCEL table, TCG2 crypto-agile event log parsing and replay. See kettle/boot/eventlog.hpp.
#include "kettle/boot/eventlog.hpp"

#include <algorithm>
#include <cstring>
#include <optional>

#include "kettle/core/error.hpp"

namespace kettle::boot {

namespace {
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

namespace {

// Standard digest sizes of the algorithms we know (TCG Algorithm Registry); 0 = unknown.
std::uint16_t standard_size(std::uint16_t id) {
    switch (id) {
        case kTpmAlgSha1: return 20;
        case kTpmAlgSha256: return 32;
        case kTpmAlgSha384: return 48;
        case kTpmAlgSha512: return 64;
        case kTpmAlgSm3: return 32;
        default: return 0;
    }
}

// The Spec ID Event03 of the first record (TCG PC Client PFP §10.4.5.1): signature, platformClass,
// version, uintnSize, then numberOfAlgorithms and {algorithmId, digestSize} pairs.
std::vector<LogAlgorithm> parse_spec_id(Reader& r) {
    const std::uint32_t first_index = r.u32();
    const std::uint32_t first_type = r.u32();
    const ByteView first_digest = r.take(20);
    const std::uint32_t spec_size = r.u32();
    // Index 0 in a TPM log (PCR 0); 1 in a CCEL (edk2 TdTcg2Dxe logs it at CC MR index 1, RTMR0, as Google's TDVF does).
    if (first_type != kEvNoAction || first_index > 1 ||
        std::any_of(first_digest.begin(), first_digest.end(), [](std::uint8_t b) { return b != 0; }))
        throw Error("event log: first event is not EV_NO_ACTION at index 0 or 1 with a zero digest (Spec ID Event03)");
    if (spec_size > 65536) throw Error("event log: Spec ID event larger than 64 KiB");
    Reader s{r.take(spec_size), 0, "event log Spec ID event"};
    if (std::memcmp(s.take(16).data(), "Spec ID Event03\0", 16) != 0)
        throw Error("event log: first event is not \"Spec ID Event03\" (not a crypto-agile log)");
    s.take(4);  // platformClass (0 client, 1 server)
    const ByteView version = s.take(4);  // specVersionMinor, specVersionMajor, specErrata, uintnSize
    if (version[0] != 0 || version[1] != 2 || (version[3] != 1 && version[3] != 2))
        throw Error("event log: Spec ID event is not version 2.0 with uintnSize 1 or 2");
    const std::uint32_t nalg = s.u32();
    if (nalg == 0 || nalg > 32) throw Error("event log: Spec ID event lists " + std::to_string(nalg) + " algorithms");
    std::vector<LogAlgorithm> algs;
    for (std::uint32_t i = 0; i < nalg; ++i) {
        const std::uint16_t id = s.u16(), size = s.u16();
        if (size == 0 || size > 64) throw Error("event log: algorithm " + hex_int(id) + " has digest size " + std::to_string(size));
        if (standard_size(id) != 0 && standard_size(id) != size)
            throw Error("event log: algorithm " + tpm_alg_name(id) + " listed with digest size " + std::to_string(size));
        for (const auto& a : algs)
            if (a.id == id) throw Error("event log: algorithm " + tpm_alg_name(id) + " listed twice");
        algs.push_back({id, size});
    }
    const std::uint8_t vendor_size = s.take(1)[0];
    s.take(vendor_size);
    if (s.left() != 0) throw Error("event log: Spec ID event has bytes after its vendorInfo");
    return algs;
}

// One TCG_PCR_EVENT2 record at r.off, or nullopt at the end marker (0xFFFFFFFF or no digests).
std::optional<TcgEvent> parse_event2(Reader& r, const std::vector<LogAlgorithm>& algs) {
    const std::size_t at = r.off;
    const std::uint32_t idx = r.u32();
    const std::uint32_t type = r.u32();
    const std::uint32_t count = r.u32();
    if (idx == 0xffffffffu || type == 0xffffffffu || count == 0) {
        r.off = at;
        return std::nullopt;
    }
    const std::string where = "event log: event at byte " + std::to_string(at);
    if (count > algs.size()) throw Error(where + " has more digests than the log has banks");
    TcgEvent e;
    e.index = idx;
    e.event_type = type;
    for (std::uint32_t i = 0; i < count; ++i) {
        const std::uint16_t id = r.u16();
        auto a = std::find_if(algs.begin(), algs.end(), [id](const LogAlgorithm& x) { return x.id == id; });
        if (a == algs.end()) throw Error(where + " uses unlisted algorithm " + hex_int(id));
        if (e.digest(id)) throw Error(where + " has two " + tpm_alg_name(id) + " digests");
        auto d = r.take(a->digest_size);
        e.digests.emplace_back(id, Bytes(d.begin(), d.end()));
    }
    const std::uint32_t dsize = r.u32();
    if (dsize > kMaxEventData) throw Error(where + ": event data larger than 16 MiB");
    auto data = r.take(dsize);
    e.data.assign(data.begin(), data.end());
    return e;
}

}  // namespace

const Bytes* TcgEvent::digest(std::uint16_t alg) const {
    for (const auto& [id, d] : digests)
        if (id == alg) return &d;
    return nullptr;
}

std::string tpm_alg_name(std::uint16_t alg) {
    switch (alg) {
        case kTpmAlgSha1: return "sha1";
        case kTpmAlgSha256: return "sha256";
        case kTpmAlgSha384: return "sha384";
        case kTpmAlgSha512: return "sha512";
        case kTpmAlgSm3: return "sm3_256";
        default: return hex_int(alg);
    }
}

HashAlg hash_alg_of(std::uint16_t alg) {
    switch (alg) {
        case kTpmAlgSha256: return HashAlg::sha256;
        case kTpmAlgSha384: return HashAlg::sha384;
        case kTpmAlgSha512: return HashAlg::sha512;
        default: throw Error("event log: no hash implementation for algorithm " + tpm_alg_name(alg));
    }
}

std::uint16_t tpm_alg_of(HashAlg alg) {
    switch (alg) {
        case HashAlg::sha256: return kTpmAlgSha256;
        case HashAlg::sha384: return kTpmAlgSha384;
        case HashAlg::sha512: return kTpmAlgSha512;
    }
    return 0;
}

EventLog parse_tcg2_log(ByteView log) {
    Reader r{log, 0, "event log"};
    EventLog out;
    out.algorithms = parse_spec_id(r);
    while (r.left() >= 12) {
        if (out.events.size() >= kMaxEvents) throw Error("event log: more than 65536 events");
        auto e = parse_event2(r, out.algorithms);
        if (!e) break;
        out.events.push_back(std::move(*e));
    }
    out.used = r.off;
    return out;
}

std::map<std::uint32_t, Bytes> replay(const EventLog& log, std::uint16_t alg) {
    const HashAlg h = hash_alg_of(alg);
    std::map<std::uint32_t, Bytes> regs;
    auto reg = [&](std::uint32_t i) -> Bytes& {
        auto it = regs.find(i);
        if (it == regs.end()) it = regs.emplace(i, Bytes(digest_size(h), 0)).first;
        return it->second;
    };
    static const char kLocality[] = "StartupLocality";  // TCG_EfiStartupLocalityEvent, PFP §10.4.5.3
    for (std::size_t i = 0; i < log.events.size(); ++i) {
        const TcgEvent& e = log.events[i];
        if (e.event_type == kEvNoAction) {
            if (e.index == 0 && e.data.size() == 17 && std::memcmp(e.data.data(), kLocality, 16) == 0 &&
                (e.data[16] == 3 || e.data[16] == 4))
                reg(0).back() = e.data[16];
            continue;
        }
        const Bytes* d = e.digest(alg);
        if (!d) throw Error("event log: event " + std::to_string(i) + " has no " + tpm_alg_name(alg) + " digest");
        Bytes& r = reg(e.index);
        Hasher x(h);
        x.update(r);
        x.update(*d);
        r = x.finish();
    }
    return regs;
}

std::vector<CcelEvent> parse_ccel_log(ByteView log) {
    const EventLog l = parse_tcg2_log(log);
    if (std::none_of(l.algorithms.begin(), l.algorithms.end(),
                     [](const LogAlgorithm& a) { return a.id == kTpmAlgSha384; }))
        throw Error("CCEL log: SHA-384 (0x000C, 48 bytes) is not among the log's algorithms");
    std::vector<CcelEvent> out;
    out.reserve(l.events.size());
    for (std::size_t i = 0; i < l.events.size(); ++i) {
        const TcgEvent& e = l.events[i];
        const Bytes* d = e.digest(kTpmAlgSha384);
        if (!d) throw Error("CCEL log: event " + std::to_string(i) + " has no SHA-384 digest");
        out.push_back({e.index, e.event_type, *d, e.data});
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

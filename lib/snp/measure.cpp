// AMD SEV-SNP / SEV-ES / SEV launch digests. See kettle/snp/measure.hpp and
// docs/measurement.md.
#include "kettle/snp/measure.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>

#include <mbedtls/sha512.h>

#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/boot/ovmf.hpp"

namespace kettle::snp {

namespace {

constexpr std::size_t kPage = 4096;
constexpr std::uint64_t kFourGiB = 0x100000000ull;
constexpr std::uint64_t kVmsaGpa = 0xFFFFFFFFF000ull;
constexpr std::uint32_t kBspEip = 0xfffffff0u;
constexpr std::size_t kMaxFirmware = std::size_t{64} << 20;
constexpr std::uint32_t kMaxSection = 64u << 20;  // bounds the pages a (hostile) description can make us hash

void sha384_raw(const std::uint8_t* p, std::size_t n, std::uint8_t out[48]) {
    std::uint8_t full[64];
    if (mbedtls_sha512(p, n, full, /*is384=*/1) != 0) throw Error("sha384: mbedTLS failure");
    std::memcpy(out, full, 48);
}

int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}


std::uint64_t parse_hex_int(const Json& j, const char* field) {
    if (!j.is_string()) throw Error(std::string("firmware description: ") + field + " must be a \"0x…\" string");
    std::string s = j.get<std::string>();
    if (s.size() < 3 || s.size() > 18 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
        throw Error(std::string("firmware description: ") + field + " is not a 0x-prefixed hex number");
    std::uint64_t v = 0;
    for (std::size_t i = 2; i < s.size(); ++i) {
        int h = hexval(s[i]);
        if (h < 0) throw Error(std::string("firmware description: ") + field + " is not a 0x-prefixed hex number");
        v = (v << 4) | static_cast<std::uint64_t>(h);
    }
    return v;
}

std::uint32_t parse_hex_u32(const Json& j, const char* field) {
    std::uint64_t v = parse_hex_int(j, field);
    if (v > 0xffffffffu) throw Error(std::string("firmware description: ") + field + " exceeds 32 bits");
    return static_cast<std::uint32_t>(v);
}

Bytes parse_digest(const Json& j, const char* field, std::size_t len) {
    if (!j.is_string()) throw Error(std::string("firmware description: ") + field + " must be a hex string");
    Bytes b = unhex(j.get<std::string>());
    if (b.size() != len)
        throw Error(std::string("firmware description: ") + field + " must be " + std::to_string(len) + " bytes");
    return b;
}

void put_le_at(Bytes& b, std::size_t off, std::uint64_t v, int width) {
    for (int i = 0; i < width; ++i) b[off + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

void vmcb_seg(Bytes& b, std::size_t off, std::uint16_t sel, std::uint16_t attrib, std::uint32_t limit,
              std::uint64_t base) {
    put_le_at(b, off, sel, 2);
    put_le_at(b, off + 2, attrib, 2);
    put_le_at(b, off + 4, limit, 4);
    put_le_at(b, off + 8, base, 8);
}

}  // namespace

// ---------------------------------------------------------------------------------- section types

const char* section_type_name(SectionType t) {
    switch (t) {
        case SectionType::snp_sec_mem: return "SNP_SEC_MEM";
        case SectionType::snp_secrets: return "SNP_SECRETS";
        case SectionType::cpuid: return "CPUID";
        case SectionType::svsm_caa: return "SVSM_CAA";
        case SectionType::snp_kernel_hashes: return "SNP_KERNEL_HASHES";
    }
    return "?";
}

SectionType section_type_from_name(std::string_view n) {
    for (auto t : {SectionType::snp_sec_mem, SectionType::snp_secrets, SectionType::cpuid, SectionType::svsm_caa,
                   SectionType::snp_kernel_hashes})
        if (n == section_type_name(t)) return t;
    throw Error("SEV metadata: unknown section type '" + std::string(n) + "'");
}

bool FirmwareDescription::has_section(SectionType t) const {
    return std::any_of(sections.begin(), sections.end(), [t](const MetadataSection& s) { return s.type == t; });
}

// ------------------------------------------------------------------------------ firmware description

FirmwareDescription describe_firmware(ByteView fw, bool with_sha256) {
    if (fw.empty() || fw.size() % kPage != 0)
        throw Error("firmware: size " + std::to_string(fw.size()) + " is not a non-zero multiple of 4096");
    if (fw.size() > kMaxFirmware) throw Error("firmware: larger than 64 MiB");
    FirmwareDescription d;
    d.size = fw.size();
    d.gpa = kFourGiB - fw.size();
    if (with_sha256) d.sha256 = sha256(fw);
    LaunchDigest ld;
    ld.update_normal_pages(d.gpa, fw);
    d.firmware_digest = ld.bytes();

    const auto table = boot::parse_footer_table(fw);
    if (auto e = boot::footer_entry(table, boot::kSevEsResetBlockGuid)) {
        if (e->size() < 4) throw Error("OVMF footer table: SEV-ES reset block entry shorter than 4 bytes");
        d.sev_es_reset_eip = le32(*e, 0);
    }
    if (auto e = boot::footer_entry(table, boot::kSevHashTableRvGuid)) {
        if (e->size() < 4) throw Error("OVMF footer table: SEV hashes table entry shorter than 4 bytes");
        d.sev_hashes_table_gpa = le32(*e, 0);
        if (e->size() >= 8) d.sev_hashes_table_size = le32(*e, 4);
    }
    if (auto e = boot::footer_entry(table, boot::kSevMetadataGuid)) {
        if (e->size() < 4) throw Error("OVMF footer table: SEV metadata entry shorter than 4 bytes");
        const std::uint32_t off_from_end = le32(*e, 0);
        if (off_from_end > fw.size() || off_from_end < 16)
            throw Error("SEV metadata: offset from end " + std::to_string(off_from_end) + " outside the firmware");
        const std::size_t start = fw.size() - off_from_end;
        auto hdr = slice(fw, start, 16, "SEV metadata header");
        if (std::memcmp(hdr.data(), "ASEV", 4) != 0) throw Error("SEV metadata: signature is not \"ASEV\"");
        const std::uint32_t len = le32(hdr, 4), version = le32(hdr, 8), n = le32(hdr, 12);
        if (version != 1) throw Error("SEV metadata: version " + std::to_string(version) + " is not 1");
        if (len < 16 || len > off_from_end) throw Error("SEV metadata: length field runs past the firmware end");
        if (n > (len - 16) / 12) throw Error("SEV metadata: " + std::to_string(n) + " descriptors exceed its length");
        for (std::uint32_t i = 0; i < n; ++i) {
            auto item = slice(fw, start + 16 + 12 * std::size_t{i}, 12, "SEV metadata descriptor");
            MetadataSection s;
            s.gpa = le32(item, 0);
            s.size = le32(item, 4);
            const std::uint32_t t = le32(item, 8);
            if (t != 1 && t != 2 && t != 3 && t != 4 && t != 0x10)
                throw Error("SEV metadata: descriptor " + std::to_string(i) + " has unknown type " + std::to_string(t));
            s.type = static_cast<SectionType>(t);
            if (s.gpa % kPage != 0 || s.size % kPage != 0 || s.size == 0)
                throw Error("SEV metadata: descriptor " + std::to_string(i) + " is not page aligned");
            if (s.size > kMaxSection)
                throw Error("SEV metadata: descriptor " + std::to_string(i) + " is larger than 64 MiB");
            d.sections.push_back(s);
        }
    }
    return d;
}

Json to_json(const FirmwareDescription& d) {
    Json j;
    j["schema"] = "kettle-snp-firmware/v1";
    j["size"] = hex_int(d.size);
    j["gpa"] = hex_int(d.gpa);
    if (d.sha256.size() != 32) throw Error("firmware description: SHA-256 of the firmware was not computed");
    j["sha256"] = hex(d.sha256);
    j["firmware_digest"] = hex(d.firmware_digest);
    j["sev_es_reset_eip"] = d.sev_es_reset_eip ? Json(hex_int(*d.sev_es_reset_eip)) : Json(nullptr);
    j["sev_hashes_table_gpa"] = d.sev_hashes_table_gpa ? Json(hex_int(*d.sev_hashes_table_gpa)) : Json(nullptr);
    j["sev_hashes_table_size"] = d.sev_hashes_table_size ? Json(hex_int(*d.sev_hashes_table_size)) : Json(nullptr);
    Json secs = Json::array();
    for (const auto& s : d.sections)
        secs.push_back({{"gpa", hex_int(s.gpa)}, {"size", hex_int(s.size)}, {"type", section_type_name(s.type)}});
    j["sections"] = secs;
    return j;
}

FirmwareDescription firmware_description_from_json(const Json& j) {
    if (!j.is_object()) throw Error("firmware description: not a JSON object");
    static const char* kKeys[] = {"schema", "size", "gpa", "sha256", "firmware_digest", "sev_es_reset_eip",
                                  "sev_hashes_table_gpa", "sev_hashes_table_size", "sections"};
    for (auto it = j.begin(); it != j.end(); ++it)
        if (std::find_if(std::begin(kKeys), std::end(kKeys), [&](const char* k) { return it.key() == k; }) ==
            std::end(kKeys))
            throw Error("firmware description: unknown field '" + it.key() + "'");
    auto need = [&](const char* k) -> const Json& {
        if (!j.contains(k)) throw Error(std::string("firmware description: missing field '") + k + "'");
        return j.at(k);
    };
    if (need("schema") != "kettle-snp-firmware/v1")
        throw Error("firmware description: schema is not \"kettle-snp-firmware/v1\"");
    FirmwareDescription d;
    d.size = parse_hex_int(need("size"), "size");
    d.gpa = parse_hex_int(need("gpa"), "gpa");
    if (d.size == 0 || d.size % kPage != 0 || d.size > kMaxFirmware || d.gpa != kFourGiB - d.size)
        throw Error("firmware description: size/gpa are inconsistent (the firmware must end at 4 GiB)");
    d.sha256 = parse_digest(need("sha256"), "sha256", 32);
    d.firmware_digest = parse_digest(need("firmware_digest"), "firmware_digest", 48);
    auto opt32 = [&](const char* k) -> std::optional<std::uint32_t> {
        if (!j.contains(k) || j.at(k).is_null()) return std::nullopt;
        return parse_hex_u32(j.at(k), k);
    };
    d.sev_es_reset_eip = opt32("sev_es_reset_eip");
    d.sev_hashes_table_gpa = opt32("sev_hashes_table_gpa");
    d.sev_hashes_table_size = opt32("sev_hashes_table_size");
    const Json& secs = need("sections");
    if (!secs.is_array() || secs.size() > 256) throw Error("firmware description: sections must be an array (≤ 256)");
    for (const auto& s : secs) {
        if (!s.is_object() || s.size() != 3 || !s.contains("gpa") || !s.contains("size") || !s.contains("type") ||
            !s.at("type").is_string())
            throw Error("firmware description: each section needs exactly gpa, size and type");
        MetadataSection m;
        m.gpa = parse_hex_u32(s.at("gpa"), "sections[].gpa");
        m.size = parse_hex_u32(s.at("size"), "sections[].size");
        m.type = section_type_from_name(s.at("type").get<std::string>());
        if (m.gpa % kPage != 0 || m.size % kPage != 0 || m.size == 0 || m.size > kMaxSection)
            throw Error("firmware description: a section is not page aligned or larger than 64 MiB");
        d.sections.push_back(m);
    }
    return d;
}

// ---------------------------------------------------------------------------------- launch digest

LaunchDigest::LaunchDigest() = default;

LaunchDigest::LaunchDigest(ByteView seed) {
    if (seed.size() != 48) throw Error("launch digest seed must be 48 bytes");
    std::memcpy(ld_.data(), seed.data(), 48);
}

void LaunchDigest::update(PageType type, std::uint64_t gpa, const std::uint8_t contents[48]) {
    std::uint8_t info[0x70] = {};
    std::memcpy(info, ld_.data(), 48);
    std::memcpy(info + 0x30, contents, 48);
    info[0x60] = 0x70;
    info[0x61] = 0x00;
    info[0x62] = static_cast<std::uint8_t>(type);
    for (int i = 0; i < 8; ++i) info[0x68 + i] = static_cast<std::uint8_t>(gpa >> (8 * i));
    sha384_raw(info, sizeof info, ld_.data());
}

void LaunchDigest::update_normal_pages(std::uint64_t gpa, ByteView data) {
    if (data.size() % kPage != 0) throw Error("normal pages: length is not a multiple of 4096");
    const std::size_t pages = data.size() / kPage;
    // The page-content digests are independent; only the PAGE_INFO chain is sequential. Hash the
    // contents on a few threads for large inputs (firmware), then chain.
    std::vector<std::uint8_t> digests(pages * 48);
    const auto work = [&](std::size_t from, std::size_t to) {
        for (std::size_t i = from; i < to; ++i) sha384_raw(data.data() + i * kPage, kPage, digests.data() + i * 48);
    };
    unsigned threads = std::thread::hardware_concurrency();
    threads = std::clamp(threads, 1u, 8u);
    if (pages < 128) threads = 1;
    if (threads == 1) {
        work(0, pages);
    } else {
        std::vector<std::thread> pool;
        std::exception_ptr err;
        std::mutex mu;
        const std::size_t per = (pages + threads - 1) / threads;
        for (unsigned t = 1; t < threads; ++t) {
            const std::size_t from = std::min(pages, t * per), to = std::min(pages, (t + 1) * per);
            pool.emplace_back([&, from, to] {
                try {
                    work(from, to);
                } catch (...) {
                    std::lock_guard<std::mutex> l(mu);
                    err = std::current_exception();
                }
            });
        }
        try {
            work(0, std::min(pages, per));
        } catch (...) {
            std::lock_guard<std::mutex> l(mu);
            err = std::current_exception();
        }
        for (auto& th : pool) th.join();
        if (err) std::rethrow_exception(err);
    }
    for (std::size_t i = 0; i < pages; ++i) update(PageType::normal, gpa + i * kPage, digests.data() + i * 48);
}

void LaunchDigest::update_zero_pages(std::uint64_t gpa, std::uint64_t len) {
    if (len % kPage != 0) throw Error("zero pages: length is not a multiple of 4096");
    static const std::uint8_t z[48] = {};
    for (std::uint64_t off = 0; off < len; off += kPage) update(PageType::zero, gpa + off, z);
}

void LaunchDigest::update_unmeasured_pages(std::uint64_t gpa, std::uint64_t len) {
    if (len % kPage != 0) throw Error("unmeasured pages: length is not a multiple of 4096");
    static const std::uint8_t z[48] = {};
    for (std::uint64_t off = 0; off < len; off += kPage) update(PageType::unmeasured, gpa + off, z);
}

void LaunchDigest::update_secrets_page(std::uint64_t gpa) {
    static const std::uint8_t z[48] = {};
    update(PageType::secrets, gpa, z);
}

void LaunchDigest::update_cpuid_page(std::uint64_t gpa) {
    static const std::uint8_t z[48] = {};
    update(PageType::cpuid, gpa, z);
}

void LaunchDigest::update_vmsa_page(ByteView page) {
    if (page.size() != kPage) throw Error("VMSA page must be 4096 bytes");
    std::uint8_t h[48];
    sha384_raw(page.data(), kPage, h);
    update(PageType::vmsa, kVmsaGpa, h);
}

// ------------------------------------------------------------------------------------- vCPU / VMM

VmmType vmm_type_from_name(std::string_view n) {
    if (n == "qemu") return VmmType::qemu;
    if (n == "ec2") return VmmType::ec2;
    if (n == "gce") return VmmType::gce;
    throw Error("vmm: '" + std::string(n) + "' is not one of qemu, ec2, gce");
}

const char* vmm_type_name(VmmType t) {
    switch (t) {
        case VmmType::qemu: return "qemu";
        case VmmType::ec2: return "ec2";
        case VmmType::gce: return "gce";
    }
    return "?";
}

std::uint32_t cpu_signature(unsigned family, unsigned model, unsigned stepping) {
    unsigned fam_lo = family, fam_hi = 0;
    if (family > 0xf) {
        fam_lo = 0xf;
        fam_hi = (family - 0xf) & 0xff;
    }
    return (fam_hi << 20) | (((model >> 4) & 0xf) << 16) | (fam_lo << 8) | ((model & 0xf) << 4) | (stepping & 0xf);
}

std::uint32_t vcpu_signature(std::string_view type) {
    std::string t(type);
    for (auto& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    struct Model { const char* names[6]; unsigned fam, model, step; };
    // QEMU target/i386/cpu.c builtin_x86_defs and their versioned aliases.
    static const Model kModels[] = {
        {{"epyc", "epyc-v1", "epyc-v2", "epyc-v3", "epyc-v4", "epyc-ibpb"}, 23, 1, 2},
        {{"epyc-rome", "epyc-rome-v1", "epyc-rome-v2", "epyc-rome-v3", "epyc-rome-v4", nullptr}, 23, 49, 0},
        {{"epyc-milan", "epyc-milan-v1", "epyc-milan-v2", "epyc-milan-v3", nullptr, nullptr}, 25, 1, 1},
        {{"epyc-genoa", "epyc-genoa-v1", "epyc-genoa-v2", nullptr, nullptr, nullptr}, 25, 17, 0},
        {{"epyc-turin", "epyc-turin-v1", nullptr, nullptr, nullptr, nullptr}, 26, 0, 0},
    };
    for (const auto& m : kModels)
        for (const char* n : m.names)
            if (n && t == n) return cpu_signature(m.fam, m.model, m.step);
    throw Error("vcpu type: '" + std::string(type) +
                "' is unknown (use EPYC, EPYC-v1..v4, EPYC-Rome, EPYC-Milan, EPYC-Genoa, EPYC-Turin or --vcpu-sig)");
}

Bytes vmsa_page(std::uint32_t eip, std::uint64_t sev_features, std::uint32_t vcpu_sig, VmmType vmm) {
    std::uint16_t cs_attr = 0x9b, ss_attr = 0x93, tr_attr = 0x8b;
    std::uint64_t g_pat = 0x0007040600070406ull, rdx = vcpu_sig;
    std::uint32_t mxcsr = 0x1f80;
    std::uint16_t fcw = 0x37f;
    switch (vmm) {
        case VmmType::qemu: break;
        case VmmType::ec2:
            if (eip == kBspEip) cs_attr = 0x9a;
            ss_attr = 0x92;
            tr_attr = 0x83;
            rdx = 0x600;
            mxcsr = 0;
            fcw = 0;
            break;
        case VmmType::gce:
            g_pat = 0x00070106;
            rdx = 0x600;
            mxcsr = 0;
            fcw = 0;
            break;
    }
    Bytes b(kPage, 0);
    vmcb_seg(b, 0x00, 0, 0x93, 0xffff, 0);                     // ES
    vmcb_seg(b, 0x10, 0xf000, cs_attr, 0xffff, eip & 0xffff0000u);  // CS
    vmcb_seg(b, 0x20, 0, ss_attr, 0xffff, 0);                  // SS
    vmcb_seg(b, 0x30, 0, 0x93, 0xffff, 0);                     // DS
    vmcb_seg(b, 0x40, 0, 0x93, 0xffff, 0);                     // FS
    vmcb_seg(b, 0x50, 0, 0x93, 0xffff, 0);                     // GS
    vmcb_seg(b, 0x60, 0, 0, 0xffff, 0);                        // GDTR
    vmcb_seg(b, 0x70, 0, 0x82, 0xffff, 0);                     // LDTR
    vmcb_seg(b, 0x80, 0, 0, 0xffff, 0);                        // IDTR
    vmcb_seg(b, 0x90, 0, tr_attr, 0xffff, 0);                  // TR
    put_le_at(b, 0xd0, 0x1000, 8);                             // EFER.SVME
    put_le_at(b, 0x148, 0x40, 8);                              // CR4.MCE
    put_le_at(b, 0x158, 0x10, 8);                              // CR0.ET
    put_le_at(b, 0x160, 0x400, 8);                             // DR7
    put_le_at(b, 0x168, 0xffff0ff0, 8);                        // DR6
    put_le_at(b, 0x170, 0x2, 8);                               // RFLAGS
    put_le_at(b, 0x178, eip & 0xffffu, 8);                     // RIP
    put_le_at(b, 0x268, g_pat, 8);                             // G_PAT
    put_le_at(b, 0x310, rdx, 8);                               // RDX
    put_le_at(b, 0x3b0, sev_features, 8);                      // SEV_FEATURES
    put_le_at(b, 0x3e8, 0x1, 8);                               // XCR0
    put_le_at(b, 0x408, mxcsr, 4);                             // MXCSR
    put_le_at(b, 0x410, fcw, 2);                               // X87 FCW
    return b;
}

// ------------------------------------------------------------------------------------ hashes table

KernelHashes kernel_hashes(ByteView kernel, std::optional<ByteView> initrd, std::optional<std::string_view> cmdline) {
    KernelHashes h;
    h.kernel = sha256(kernel);
    h.initrd = initrd ? sha256(*initrd) : sha256(ByteView{});
    std::string c = cmdline ? std::string(*cmdline) : std::string();
    if (c.find('\0') != std::string::npos) throw Error("cmdline: contains a NUL byte");
    c.push_back('\0');
    h.cmdline = sha256(c);
    return h;
}

Bytes sev_hashes_table(const KernelHashes& h) {
    if (h.kernel.size() != 32 || h.initrd.size() != 32 || h.cmdline.size() != 32)
        throw Error("SEV hashes table: every digest must be 32 bytes (SHA-256)");
    Bytes t;
    t.reserve(176);
    auto guid = [&](const char* g) {
        auto b = boot::guid_le(g);
        t.insert(t.end(), b.begin(), b.end());
    };
    auto entry = [&](const char* g, const Bytes& d) {
        guid(g);
        put_le16(t, 50);
        t.insert(t.end(), d.begin(), d.end());
    };
    guid("9438d606-4f22-4cc9-b479-a793d411fd21");
    put_le16(t, 168);
    entry("97d02dd8-bd20-4c94-aa78-e7714d36ab2a", h.cmdline);
    entry("44baf731-3a2f-4bd7-9af1-41e29169781d", h.initrd);
    entry("4de79437-abd2-427f-b835-d5b172d2045b", h.kernel);
    t.resize(176, 0);
    return t;
}

// ----------------------------------------------------------------------------------------- digests

Bytes snp_launch_digest(const FirmwareDescription& fw, const LaunchParams& p) {
    if (p.vcpus < 1 || p.vcpus > 512) throw Error("vcpus: " + std::to_string(p.vcpus) + " is not in 1..512");
    if (p.hashes && !fw.has_section(SectionType::snp_kernel_hashes))
        throw Error("kernel given but the firmware's SEV metadata has no SNP_KERNEL_HASHES section "
                    "(use an OvmfPkg/AmdSev build for measured direct boot)");
    if (p.vcpus > 1 && !fw.sev_es_reset_eip)
        throw Error("firmware has no SEV-ES reset block in its footer table: cannot start application processors");
    LaunchDigest ld(fw.firmware_digest);
    const auto measure = [&](const MetadataSection& s) {
        switch (s.type) {
            case SectionType::snp_sec_mem:
                if (p.vmm == VmmType::gce) ld.update_unmeasured_pages(s.gpa, s.size);
                else ld.update_zero_pages(s.gpa, s.size);
                break;
            case SectionType::snp_secrets: ld.update_secrets_page(s.gpa); break;
            case SectionType::cpuid:
                if (p.vmm != VmmType::ec2) ld.update_cpuid_page(s.gpa);
                break;
            case SectionType::svsm_caa: ld.update_zero_pages(s.gpa, s.size); break;
            case SectionType::snp_kernel_hashes:
                if (p.hashes) {
                    if (s.size != kPage) throw Error("SNP_KERNEL_HASHES section must be exactly one page");
                    if (!fw.sev_hashes_table_gpa || *fw.sev_hashes_table_gpa == 0)
                        throw Error("firmware has SNP_KERNEL_HASHES but no SEV hashes table GPA in its footer");
                    const std::size_t off = *fw.sev_hashes_table_gpa & 0xfff;
                    Bytes table = sev_hashes_table(*p.hashes);
                    if (off + table.size() > kPage) throw Error("SEV hashes table crosses its page boundary");
                    Bytes page(kPage, 0);
                    std::copy(table.begin(), table.end(), page.begin() + off);
                    ld.update_normal_pages(s.gpa, page);
                } else {
                    ld.update_zero_pages(s.gpa, s.size);
                }
                break;
        }
    };
    for (const auto& s : fw.sections) measure(s);
    if (p.vmm == VmmType::ec2)  // EC2 measures the CPUID page after every other section
        for (const auto& s : fw.sections)
            if (s.type == SectionType::cpuid) ld.update_cpuid_page(s.gpa);

    const Bytes bsp = vmsa_page(kBspEip, p.guest_features, p.vcpu_sig, p.vmm);
    ld.update_vmsa_page(bsp);
    if (p.vcpus > 1) {
        const Bytes ap = vmsa_page(*fw.sev_es_reset_eip, p.guest_features, p.vcpu_sig, p.vmm);
        std::uint8_t h[48];
        sha384_raw(ap.data(), ap.size(), h);
        for (unsigned i = 1; i < p.vcpus; ++i) ld.update(PageType::vmsa, kVmsaGpa, h);
    }
    return ld.bytes();
}

Bytes snp_launch_digest(ByteView firmware, std::optional<ByteView> kernel, std::optional<ByteView> initrd,
                        std::optional<std::string_view> cmdline, unsigned vcpus, std::string_view vcpu_type,
                        std::uint64_t guest_features, VmmType vmm) {
    LaunchParams p;
    p.vcpus = vcpus;
    p.vcpu_sig = vcpu_signature(vcpu_type);
    p.guest_features = guest_features;
    p.vmm = vmm;
    if (kernel) p.hashes = kernel_hashes(*kernel, initrd, cmdline);
    return snp_launch_digest(describe_firmware(firmware), p);
}

namespace {
void check_sev_hashes_support(ByteView fw) {
    const auto table = boot::parse_footer_table(fw);
    auto e = boot::footer_entry(table, boot::kSevHashTableRvGuid);
    if (!e || e->size() < 4 || le32(*e, 0) == 0)
        throw Error("kernel given but the firmware does not support kernel/initrd/cmdline measurement "
                    "(no SEV hashes table GPA in its footer)");
}
}  // namespace

Bytes sev_launch_digest(ByteView firmware, const std::optional<KernelHashes>& hashes) {
    Hasher h(HashAlg::sha256);
    h.update(firmware);
    if (hashes) {
        check_sev_hashes_support(firmware);
        h.update(sev_hashes_table(*hashes));
    }
    return h.finish();
}

Bytes seves_launch_digest(ByteView firmware, const std::optional<KernelHashes>& hashes, unsigned vcpus,
                          std::uint32_t vcpu_sig, VmmType vmm) {
    if (vcpus < 1 || vcpus > 512) throw Error("vcpus: " + std::to_string(vcpus) + " is not in 1..512");
    Hasher h(HashAlg::sha256);
    h.update(firmware);
    if (hashes) {
        check_sev_hashes_support(firmware);
        h.update(sev_hashes_table(*hashes));
    }
    h.update(vmsa_page(kBspEip, 0, vcpu_sig, vmm));
    if (vcpus > 1) {
        auto eip = boot::footer_entry(boot::parse_footer_table(firmware), boot::kSevEsResetBlockGuid);
        if (!eip || eip->size() < 4)
            throw Error("firmware has no SEV-ES reset block in its footer table: cannot start application processors");
        const Bytes ap = vmsa_page(le32(*eip, 0), 0, vcpu_sig, vmm);
        for (unsigned i = 1; i < vcpus; ++i) h.update(ap);
    }
    return h.finish();
}

}  // namespace kettle::snp

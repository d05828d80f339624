// AMD SEV-SNP ATTESTATION_REPORT (ABI 56860 Table 23): parse / serialize / decode.
#include "kettle/snp/report.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "kettle/core/error.hpp"

namespace kettle::snp {

const char* product_name(Product p) {
    switch (p) {
        case Product::milan: return "Milan";
        case Product::genoa: return "Genoa";
        case Product::turin: return "Turin";
        default: return "unknown";
    }
}

Product product_from_name(std::string_view name) {
    std::string s;
    for (char c : name) s.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    auto starts = [&](const char* p) {
        std::size_t n = std::strlen(p);
        return s.size() >= n && s.compare(0, n, p) == 0 && (s.size() == n || s[n] == '-');
    };
    if (starts("milan")) return Product::milan;
    if (starts("genoa")) return Product::genoa;
    if (starts("turin")) return Product::turin;
    return Product::unknown;
}

Product product_from_cpuid(std::uint8_t family, std::uint8_t model) {
    if (family == 0x19) {
        if (model <= 0x0F) return Product::milan;
        if ((model >= 0x10 && model <= 0x1F) || (model >= 0xA0 && model <= 0xAF)) return Product::genoa;
    }
    if (family == 0x1A && model <= 0x11) return Product::turin;
    return Product::unknown;
}

static std::uint8_t byte_of(std::uint64_t v, int i) { return static_cast<std::uint8_t>(v >> (8 * i)); }

TcbVersion decode_tcb(std::uint64_t raw, Product p) {
    TcbVersion t;
    if (p == Product::turin) {
        t.fmc = byte_of(raw, 0);
        t.bootloader = byte_of(raw, 1);
        t.tee = byte_of(raw, 2);
        t.snp = byte_of(raw, 3);
        t.microcode = byte_of(raw, 7);
        t.reserved_nonzero = byte_of(raw, 4) || byte_of(raw, 5) || byte_of(raw, 6);
    } else {
        t.bootloader = byte_of(raw, 0);
        t.tee = byte_of(raw, 1);
        t.snp = byte_of(raw, 6);
        t.microcode = byte_of(raw, 7);
        t.reserved_nonzero = byte_of(raw, 2) || byte_of(raw, 3) || byte_of(raw, 4) || byte_of(raw, 5);
    }
    return t;
}

std::uint64_t encode_tcb(const TcbVersion& t, Product p) {
    auto b = [](std::uint8_t v, int i) { return static_cast<std::uint64_t>(v) << (8 * i); };
    if (p == Product::turin) return b(t.fmc, 0) | b(t.bootloader, 1) | b(t.tee, 2) | b(t.snp, 3) | b(t.microcode, 7);
    return b(t.bootloader, 0) | b(t.tee, 1) | b(t.snp, 6) | b(t.microcode, 7);
}

std::string tcb_string(const TcbVersion& t, Product p) {
    std::string s;
    if (p == Product::turin) s += "fmc=" + std::to_string(t.fmc) + " ";
    s += "bl=" + std::to_string(t.bootloader) + " tee=" + std::to_string(t.tee) + " snp=" + std::to_string(t.snp) +
         " ucode=" + std::to_string(t.microcode);
    return s;
}

bool tcb_at_least(const TcbVersion& have, const TcbVersion& min, Product p) {
    if (p == Product::turin && have.fmc < min.fmc) return false;
    return have.bootloader >= min.bootloader && have.tee >= min.tee && have.snp >= min.snp &&
           have.microcode >= min.microcode;
}

static std::vector<std::string> flags(std::uint64_t v, const std::vector<std::pair<int, const char*>>& names,
                                      int skip_below) {
    std::vector<std::string> out;
    for (int i = skip_below; i < 64; ++i) {
        if (!((v >> i) & 1)) continue;
        auto it = std::find_if(names.begin(), names.end(), [&](auto& n) { return n.first == i; });
        out.push_back(it != names.end() ? std::string(it->second) : "bit " + std::to_string(i));
    }
    return out;
}

std::vector<std::string> policy_flags(std::uint64_t policy) {
    static const std::vector<std::pair<int, const char*>> n = {
        {16, "SMT"}, {17, "RESERVED_1"}, {18, "MIGRATE_MA"}, {19, "DEBUG"}, {20, "SINGLE_SOCKET"},
        {21, "CXL_ALLOW"}, {22, "MEM_AES_256_XTS"}, {23, "RAPL_DIS"}, {24, "CIPHERTEXT_HIDING"},
        {25, "PAGE_SWAP_DISABLE"}};
    return flags(policy, n, 16);  // bits 15:0 are ABI_MAJOR/ABI_MINOR
}

std::vector<std::string> platform_info_flags(std::uint64_t info) {
    static const std::vector<std::pair<int, const char*>> n = {
        {0, "SMT_EN"}, {1, "TSME_EN"}, {2, "ECC_EN"}, {3, "RAPL_DIS"}, {4, "CIPHERTEXT_HIDING_EN"},
        {5, "ALIAS_CHECK_COMPLETE"}, {7, "TIO_EN"}};
    return flags(info, n, 0);
}

namespace {
template <std::size_t N>
void get(std::array<std::uint8_t, N>& a, ByteView b, std::size_t off) {
    auto s = slice(b, off, N, "snp report");
    std::copy(s.begin(), s.end(), a.begin());
}
template <std::size_t N>
void put(Bytes& out, std::size_t off, const std::array<std::uint8_t, N>& a) {
    std::copy(a.begin(), a.end(), out.begin() + static_cast<std::ptrdiff_t>(off));
}
void put32(Bytes& out, std::size_t off, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out[off + i] = static_cast<std::uint8_t>(v >> (8 * i));
}
void put64(Bytes& out, std::size_t off, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out[off + i] = static_cast<std::uint8_t>(v >> (8 * i));
}
template <std::size_t N>
bool all_zero(const std::array<std::uint8_t, N>& a, std::size_t from = 0) {
    return std::all_of(a.begin() + static_cast<std::ptrdiff_t>(from), a.end(), [](std::uint8_t x) { return x == 0; });
}
}  // namespace

Report Report::parse(ByteView b) {
    if (b.size() != kReportSize)
        throw Error("snp report: size " + std::to_string(b.size()) + " bytes, expected " +
                    std::to_string(kReportSize));
    Report r;
    r.version = le32(b, 0x000);
    r.guest_svn = le32(b, 0x004);
    r.policy = le64(b, 0x008);
    get(r.family_id, b, 0x010);
    get(r.image_id, b, 0x020);
    r.vmpl = le32(b, 0x030);
    r.signature_algo = le32(b, 0x034);
    r.current_tcb = le64(b, 0x038);
    r.platform_info = le64(b, 0x040);
    r.signer_info = le32(b, 0x048);
    r.reserved_04c = le32(b, 0x04C);
    get(r.report_data, b, 0x050);
    get(r.measurement, b, 0x090);
    get(r.host_data, b, 0x0C0);
    get(r.id_key_digest, b, 0x0E0);
    get(r.author_key_digest, b, 0x110);
    get(r.report_id, b, 0x140);
    get(r.report_id_ma, b, 0x160);
    r.reported_tcb = le64(b, 0x180);
    r.cpuid_fam_id = b[0x188];
    r.cpuid_mod_id = b[0x189];
    r.cpuid_step = b[0x18A];
    get(r.reserved_18b, b, 0x18B);
    get(r.chip_id, b, 0x1A0);
    r.committed_tcb = le64(b, 0x1E0);
    r.current_build = b[0x1E8];
    r.current_minor = b[0x1E9];
    r.current_major = b[0x1EA];
    r.reserved_1eb = b[0x1EB];
    r.committed_build = b[0x1EC];
    r.committed_minor = b[0x1ED];
    r.committed_major = b[0x1EE];
    r.reserved_1ef = b[0x1EF];
    r.launch_tcb = le64(b, 0x1F0);
    r.launch_mit_vector = le64(b, 0x1F8);
    r.current_mit_vector = le64(b, 0x200);
    get(r.reserved_208, b, 0x208);
    get(r.signature_r, b, 0x2A0);
    get(r.signature_s, b, 0x2E8);
    get(r.reserved_sig, b, 0x330);
    return r;
}

Bytes Report::serialize() const {
    Bytes o(kReportSize, 0);
    put32(o, 0x000, version);
    put32(o, 0x004, guest_svn);
    put64(o, 0x008, policy);
    put(o, 0x010, family_id);
    put(o, 0x020, image_id);
    put32(o, 0x030, vmpl);
    put32(o, 0x034, signature_algo);
    put64(o, 0x038, current_tcb);
    put64(o, 0x040, platform_info);
    put32(o, 0x048, signer_info);
    put32(o, 0x04C, reserved_04c);
    put(o, 0x050, report_data);
    put(o, 0x090, measurement);
    put(o, 0x0C0, host_data);
    put(o, 0x0E0, id_key_digest);
    put(o, 0x110, author_key_digest);
    put(o, 0x140, report_id);
    put(o, 0x160, report_id_ma);
    put64(o, 0x180, reported_tcb);
    o[0x188] = cpuid_fam_id;
    o[0x189] = cpuid_mod_id;
    o[0x18A] = cpuid_step;
    put(o, 0x18B, reserved_18b);
    put(o, 0x1A0, chip_id);
    put64(o, 0x1E0, committed_tcb);
    o[0x1E8] = current_build;
    o[0x1E9] = current_minor;
    o[0x1EA] = current_major;
    o[0x1EB] = reserved_1eb;
    o[0x1EC] = committed_build;
    o[0x1ED] = committed_minor;
    o[0x1EE] = committed_major;
    o[0x1EF] = reserved_1ef;
    put64(o, 0x1F0, launch_tcb);
    put64(o, 0x1F8, launch_mit_vector);
    put64(o, 0x200, current_mit_vector);
    put(o, 0x208, reserved_208);
    put(o, 0x2A0, signature_r);
    put(o, 0x2E8, signature_s);
    put(o, 0x330, reserved_sig);
    return o;
}

Product Report::product() const {
    if (version < 3) return Product::unknown;
    return product_from_cpuid(cpuid_fam_id, cpuid_mod_id);
}

std::vector<std::string> Report::must_be_zero_violations() const {
    std::vector<std::string> v;
    if (signer_info >> 5) v.push_back("signer info bits 31:5 (0x048)");
    if (reserved_04c) v.push_back("reserved 0x04C");
    if (version < 3 && (cpuid_fam_id || cpuid_mod_id || cpuid_step)) v.push_back("CPUID bytes 0x188..0x18A in a v2 report");
    if (!all_zero(reserved_18b)) v.push_back("reserved 0x18B..0x19F");
    if (reserved_1eb) v.push_back("reserved 0x1EB");
    if (reserved_1ef) v.push_back("reserved 0x1EF");
    if (version < 5 && (launch_mit_vector || current_mit_vector)) v.push_back("mitigation vectors 0x1F8..0x207 before v5");
    if (!all_zero(reserved_208)) v.push_back("reserved 0x208..0x29F");
    if (!all_zero(signature_r, 48) || !all_zero(signature_s, 48)) v.push_back("signature R/S bytes 48..71");
    if (!all_zero(reserved_sig)) v.push_back("signature reserved 0x330..0x49F");
    return v;
}

}  // namespace kettle::snp

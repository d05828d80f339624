// AMD SEV-SNP ATTESTATION_REPORT: parse, decode and serialize.
// Source: AMD SEV-SNP ABI specification 56860, Table 23 "ATTESTATION_REPORT Structure" (1184 = 0x4A0 bytes,
// all integers little-endian), TCB_VERSION (Table 3 / "TCB_VERSION" for Milan/Genoa, and the Turin layout),
// GUEST_POLICY and PLATFORM_INFO.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "kettle/core/bytes.hpp"

namespace kettle::snp {

/// Size of an ATTESTATION_REPORT in bytes.
inline constexpr std::size_t kReportSize = 0x4A0;
/// The report signature covers bytes [0, kSignedSize).
inline constexpr std::size_t kSignedSize = 0x2A0;

/// AMD EPYC generation; it decides the TCB_VERSION byte layout and the pinned ARK.
enum class Product { unknown, milan, genoa, turin };
/// "Milan", "Genoa", "Turin" or "unknown".
const char* product_name(Product p);
/// Case-insensitive "milan"/"genoa"/"turin" (a stepping suffix such as "Milan-B0" is accepted). unknown otherwise.
Product product_from_name(std::string_view name);
/// Product from the CPUID family/model bytes of a v3+ report (0x188/0x189): family 0x19 model 0x00..0x0F Milan,
/// 0x10..0x1F or 0xA0..0xAF Genoa; family 0x1A model 0x00..0x11 Turin. unknown otherwise.
Product product_from_cpuid(std::uint8_t family, std::uint8_t model);

/// Decoded TCB_VERSION (8 bytes, read as a little-endian u64).
///  Milan/Genoa: byte0 BOOT_LOADER, byte1 TEE, bytes2..5 reserved, byte6 SNP, byte7 MICROCODE.
///  Turin:       byte0 FMC, byte1 BOOT_LOADER, byte2 TEE, byte3 SNP, bytes4..6 reserved, byte7 MICROCODE.
struct TcbVersion {
    std::uint8_t fmc = 0;  ///< Turin only (always 0 for Milan/Genoa)
    std::uint8_t bootloader = 0;
    std::uint8_t tee = 0;
    std::uint8_t snp = 0;
    std::uint8_t microcode = 0;
    bool reserved_nonzero = false;  ///< a reserved byte of the raw value was not zero
};
/// Decode `raw` with the layout of `p`. `unknown` uses the Milan/Genoa layout.
TcbVersion decode_tcb(std::uint64_t raw, Product p);
/// Inverse of decode_tcb (reserved bytes zero).
std::uint64_t encode_tcb(const TcbVersion& t, Product p);
/// "fmc=.. bl=.. tee=.. snp=.. ucode=.." (fmc only for Turin).
std::string tcb_string(const TcbVersion& t, Product p);
/// true when every component of `have` is >= the one in `min` (fmc compared only for Turin).
bool tcb_at_least(const TcbVersion& have, const TcbVersion& min, Product p);

/// GUEST_POLICY bits (ABI 56860 Table 9).
namespace policy_bit {
inline constexpr std::uint64_t kSmt = 1ull << 16;
inline constexpr std::uint64_t kReserved1 = 1ull << 17;  ///< must be 1
inline constexpr std::uint64_t kMigrateMa = 1ull << 18;
inline constexpr std::uint64_t kDebug = 1ull << 19;
inline constexpr std::uint64_t kSingleSocket = 1ull << 20;
inline constexpr std::uint64_t kCxlAllow = 1ull << 21;
inline constexpr std::uint64_t kMemAes256Xts = 1ull << 22;
inline constexpr std::uint64_t kRaplDis = 1ull << 23;
inline constexpr std::uint64_t kCiphertextHiding = 1ull << 24;
inline constexpr std::uint64_t kPageSwapDisable = 1ull << 25;
}  // namespace policy_bit

/// PLATFORM_INFO bits.
namespace platform_bit {
inline constexpr std::uint64_t kSmtEn = 1ull << 0;
inline constexpr std::uint64_t kTsmeEn = 1ull << 1;
inline constexpr std::uint64_t kEccEn = 1ull << 2;
inline constexpr std::uint64_t kRaplDis = 1ull << 3;
inline constexpr std::uint64_t kCiphertextHidingEn = 1ull << 4;
inline constexpr std::uint64_t kAliasCheckComplete = 1ull << 5;
inline constexpr std::uint64_t kTioEn = 1ull << 7;
}  // namespace platform_bit

/// Named bits set in a policy / platform-info value, e.g. {"SMT", "RESERVED_1"}; unknown bits as "bit N".
std::vector<std::string> policy_flags(std::uint64_t policy);
std::vector<std::string> platform_info_flags(std::uint64_t info);

/// SIGNING_KEY values (bits 4:2 of the signer-info word at 0x048).
enum class SigningKey : std::uint32_t { vcek = 0, vlek = 1, none = 7 };

/// Every field of ATTESTATION_REPORT (ABI 56860 Table 23), in order. Reserved areas are kept so that
/// serialize(parse(b)) == b for any 1184-byte input.
struct Report {
    std::uint32_t version = 0;             // 0x000
    std::uint32_t guest_svn = 0;           // 0x004
    std::uint64_t policy = 0;              // 0x008
    std::array<std::uint8_t, 16> family_id{};   // 0x010
    std::array<std::uint8_t, 16> image_id{};    // 0x020
    std::uint32_t vmpl = 0;                // 0x030
    std::uint32_t signature_algo = 0;      // 0x034 (1 = ECDSA P-384 with SHA-384)
    std::uint64_t current_tcb = 0;         // 0x038
    std::uint64_t platform_info = 0;       // 0x040
    std::uint32_t signer_info = 0;         // 0x048: bit0 AUTHOR_KEY_EN, bit1 MASK_CHIP_KEY, bits 4:2 SIGNING_KEY
    std::uint32_t reserved_04c = 0;        // 0x04C
    std::array<std::uint8_t, 64> report_data{};  // 0x050
    std::array<std::uint8_t, 48> measurement{};  // 0x090
    std::array<std::uint8_t, 32> host_data{};    // 0x0C0
    std::array<std::uint8_t, 48> id_key_digest{};      // 0x0E0
    std::array<std::uint8_t, 48> author_key_digest{};  // 0x110
    std::array<std::uint8_t, 32> report_id{};          // 0x140
    std::array<std::uint8_t, 32> report_id_ma{};       // 0x160
    std::uint64_t reported_tcb = 0;        // 0x180
    std::uint8_t cpuid_fam_id = 0;         // 0x188 (v3+)
    std::uint8_t cpuid_mod_id = 0;         // 0x189 (v3+)
    std::uint8_t cpuid_step = 0;           // 0x18A (v3+)
    std::array<std::uint8_t, 21> reserved_18b{};  // 0x18B
    std::array<std::uint8_t, 64> chip_id{};       // 0x1A0
    std::uint64_t committed_tcb = 0;       // 0x1E0
    std::uint8_t current_build = 0, current_minor = 0, current_major = 0, reserved_1eb = 0;        // 0x1E8
    std::uint8_t committed_build = 0, committed_minor = 0, committed_major = 0, reserved_1ef = 0;  // 0x1EC
    std::uint64_t launch_tcb = 0;          // 0x1F0
    std::uint64_t launch_mit_vector = 0;   // 0x1F8 (v5)
    std::uint64_t current_mit_vector = 0;  // 0x200 (v5)
    std::array<std::uint8_t, 0x98> reserved_208{};  // 0x208
    std::array<std::uint8_t, 72> signature_r{};     // 0x2A0, little-endian
    std::array<std::uint8_t, 72> signature_s{};     // 0x2E8, little-endian
    std::array<std::uint8_t, 0x170> reserved_sig{}; // 0x330..0x49F

    /// Parse exactly kReportSize bytes (a longer buffer is rejected too: evidence must not carry trailing data).
    /// Throws Error("snp report: ...") on a wrong size. Does not validate field values (see must_be_zero_violations).
    static Report parse(ByteView b);
    /// The 1184-byte wire form.
    Bytes serialize() const;

    bool author_key_en() const { return signer_info & 1u; }
    bool mask_chip_key() const { return (signer_info >> 1) & 1u; }
    std::uint32_t signing_key() const { return (signer_info >> 2) & 7u; }
    bool debug() const { return policy & policy_bit::kDebug; }
    /// Product from the CPUID bytes (v3+); unknown for v2 or unrecognised values.
    Product product() const;

    /// Names of must-be-zero areas that are not zero for this version (empty when all fine): signer-info bits
    /// 31:5, 0x04C, 0x18B..0x19F (and 0x188..0x18A for v2), 0x1EB, 0x1EF, 0x1F8..0x207 for v<5, 0x208..0x29F,
    /// the signature's high bytes (r/s beyond 48 bytes) and 0x330..0x49F.
    std::vector<std::string> must_be_zero_violations() const;
};

}  // namespace kettle::snp

// AMD SEV-SNP launch digest (and the legacy SEV / SEV-ES SHA-256 digests) of a QEMU guest booted from
// OVMF with optional measured direct boot (kernel hashes). Algorithm: AMD SEV-SNP ABI spec 56860,
// section 8.17 SNP_LAUNCH_UPDATE and Table 67 PAGE_INFO; QEMU target/i386/sev.c; OVMF
// OvmfPkg/ResetVector (footer GUID table, "ASEV" metadata); docs/measurement.md. All integers in firmware structures are little-endian.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kettle/core/bytes.hpp"
#include "kettle/core/json.hpp"

namespace kettle::snp {

/// SEV metadata section types ("ASEV" descriptors, OvmfPkg/ResetVector/X64/OvmfSevMetadata.asm).
enum class SectionType : std::uint32_t {
    snp_sec_mem = 1,
    snp_secrets = 2,
    cpuid = 3,
    svsm_caa = 4,
    snp_kernel_hashes = 0x10,
};
/// "SNP_SEC_MEM", "SNP_SECRETS", "CPUID", "SVSM_CAA", "SNP_KERNEL_HASHES".
const char* section_type_name(SectionType t);
/// Inverse of section_type_name; throws Error for unknown names.
SectionType section_type_from_name(std::string_view name);

/// One 12-byte ASEV descriptor: u32 gpa, u32 size (bytes, multiple of 4096), u32 type.
struct MetadataSection {
    std::uint32_t gpa = 0;
    std::uint32_t size = 0;
    SectionType type = SectionType::snp_sec_mem;
};

/// Everything the SNP/SEV digests need from the firmware file. It can be serialized (`to_json`) so that
/// a verifier recomputes launch digests without the firmware file (like sev-snp-measure's
/// `--snp-ovmf-hash`).
struct FirmwareDescription {
    std::uint64_t size = 0;                 ///< firmware file size in bytes (multiple of 4096)
    std::uint64_t gpa = 0;                  ///< first GPA = 4 GiB - size (the file ends at 4 GiB)
    Bytes sha256;                           ///< SHA-256 of the file (32 bytes), identification only
    Bytes firmware_digest;                  ///< SNP launch digest after the firmware pages (48 bytes)
    std::optional<std::uint32_t> sev_es_reset_eip;  ///< AP reset EIP from the SEV-ES reset block
    std::optional<std::uint32_t> sev_hashes_table_gpa;   ///< GPA of the SEV hashes table (0 = unsupported)
    std::optional<std::uint32_t> sev_hashes_table_size;  ///< its reserved size (second u32 of the entry)
    std::vector<MetadataSection> sections;  ///< ASEV descriptors in table order
    bool has_section(SectionType t) const;
};

/// Parse `firmware` (OVMF image, size a non-zero multiple of 4096, at most 64 MiB) and hash its pages
/// (`sha256` is left empty when `with_sha256` is false: it only identifies the file and costs time).
/// Throws Error for a malformed footer table or ASEV header (bad signature, version != 1, descriptor
/// count exceeding the header length), sections with unaligned GPA/size.
FirmwareDescription describe_firmware(ByteView firmware, bool with_sha256 = true);
/// JSON form: {"schema":"kettle-snp-firmware/v1","size","gpa","sha256","firmware_digest",
/// "sev_es_reset_eip","sev_hashes_table_gpa","sev_hashes_table_size","sections":[{"gpa","size","type"}]}
/// (integers as "0x…" hex strings, digests as lower-case hex).
Json to_json(const FirmwareDescription& d);
/// Strict inverse of to_json; throws Error naming the bad field.
FirmwareDescription firmware_description_from_json(const Json& j);

/// SNP PAGE_INFO page types (SNP ABI 56860 Table 67).
enum class PageType : std::uint8_t { normal = 1, vmsa = 2, zero = 3, unmeasured = 4, secrets = 5, cpuid = 6 };

/// The running launch digest: LD' = SHA-384(PAGE_INFO) where PAGE_INFO (0x70 bytes) =
/// LD(48) ‖ CONTENTS(48) ‖ u16 0x70 ‖ u8 page_type ‖ u8 imi=0 ‖ 3×u8 vmpl perms=0 ‖ u8 0 ‖ u64 gpa.
class LaunchDigest {
public:
    LaunchDigest();                       ///< starts at 48 zero bytes
    explicit LaunchDigest(ByteView seed);  ///< starts at `seed` (48 bytes; Error otherwise)
    /// One PAGE_INFO update with the given 48-byte contents digest.
    void update(PageType type, std::uint64_t gpa, const std::uint8_t contents[48]);
    /// NORMAL pages: `data` (multiple of 4096) at ascending GPAs from `gpa`; contents = SHA-384(page).
    void update_normal_pages(std::uint64_t gpa, ByteView data);
    /// ZERO / UNMEASURED pages over [gpa, gpa+len) (len multiple of 4096); contents = 48 zero bytes.
    void update_zero_pages(std::uint64_t gpa, std::uint64_t len);
    void update_unmeasured_pages(std::uint64_t gpa, std::uint64_t len);
    void update_secrets_page(std::uint64_t gpa);
    void update_cpuid_page(std::uint64_t gpa);
    /// A VMSA page (4096 bytes) at the fixed GPA 0x0000FFFFFFFFF000.
    void update_vmsa_page(ByteView page);
    const std::array<std::uint8_t, 48>& value() const { return ld_; }
    Bytes bytes() const { return Bytes(ld_.begin(), ld_.end()); }

private:
    std::array<std::uint8_t, 48> ld_{};
};

/// The VMM whose initial vCPU state and page ordering is modelled.
enum class VmmType { qemu, ec2, gce };
/// "qemu" | "ec2" | "gce" (Error otherwise).
VmmType vmm_type_from_name(std::string_view name);
const char* vmm_type_name(VmmType t);

/// CPUID Fn0000_0001_EAX signature from family/model/stepping (AMD pub. 25481): family > 15 is stored as
/// 0xF plus extended family (family - 15).
std::uint32_t cpu_signature(unsigned family, unsigned model, unsigned stepping);
/// Signature of a QEMU `-cpu` model name: EPYC, EPYC-v1..v4, EPYC-IBPB, EPYC-Rome(-v1..v4),
/// EPYC-Milan(-v1..v3), EPYC-Genoa(-v1, -v2), EPYC-Turin(-v1). Case-insensitive. Error for unknown names.
std::uint32_t vcpu_signature(std::string_view vcpu_type);

/// The 4096-byte VMSA (SEV-ES save area, AMD APM vol. 2 Table B-4) that KVM/QEMU (or EC2/GCE) sets up
/// for a vCPU starting at `eip` (BSP 0xfffffff0, APs the OVMF SEV-ES reset EIP).
Bytes vmsa_page(std::uint32_t eip, std::uint64_t sev_features, std::uint32_t vcpu_sig, VmmType vmm);

/// SHA-256 digests of the measured direct-boot inputs, as QEMU puts them into the SEV hashes table.
struct KernelHashes {
    Bytes kernel;   ///< SHA-256 of the file given to -kernel (unmodified for SEV guests)
    Bytes initrd;   ///< SHA-256 of the -initrd file; SHA-256("") without -initrd
    Bytes cmdline;  ///< SHA-256 of the -append string plus its NUL; SHA-256("\0") without -append
};
/// Compute KernelHashes; `initrd`/`cmdline` nullopt mean "QEMU option not given".
KernelHashes kernel_hashes(ByteView kernel, std::optional<ByteView> initrd, std::optional<std::string_view> cmdline);
/// The 176-byte padded SEV hashes table (168-byte table + 8 zero bytes; layout of QEMU target/i386/sev.c
/// SevHashTable: GUID 9438d606-…, u16 length, then {GUID, u16 length, SHA-256} entries for cmdline, initrd, kernel).
Bytes sev_hashes_table(const KernelHashes& h);

/// Shape of the guest besides its firmware.
struct LaunchParams {
    unsigned vcpus = 1;                ///< 1..512
    std::uint32_t vcpu_sig = 0;        ///< CPUID 1 EAX (see vcpu_signature)
    std::uint64_t guest_features = 1;  ///< VMSA SEV_FEATURES (bit 0 SNPActive)
    VmmType vmm = VmmType::qemu;
    std::optional<KernelHashes> hashes;  ///< set when QEMU measures -kernel/-initrd/-append
};

/// SNP launch digest (48 bytes): firmware pages (or the description's firmware_digest), then metadata
/// sections in table order, then one VMSA page per vCPU. Throws Error "kernel given but the firmware has
/// no SNP_KERNEL_HASHES section …" when hashes are set and the firmware cannot carry them, and for a
/// missing SEV-ES reset block when vcpus > 1.
Bytes snp_launch_digest(const FirmwareDescription& fw, const LaunchParams& p);
/// Convenience for callers holding the bytes (e.g. the simulated AMD-SP): kernel nullopt = no -kernel;
/// initrd/cmdline nullopt = no -initrd / -append.
Bytes snp_launch_digest(ByteView firmware, std::optional<ByteView> kernel, std::optional<ByteView> initrd,
                        std::optional<std::string_view> cmdline, unsigned vcpus, std::string_view vcpu_type,
                        std::uint64_t guest_features, VmmType vmm = VmmType::qemu);

/// Legacy SEV launch digest (32 bytes): SHA-256(firmware ‖ padded hashes table if hashes).
Bytes sev_launch_digest(ByteView firmware, const std::optional<KernelHashes>& hashes);
/// SEV-ES launch digest (32 bytes): the SEV digest input continued with one VMSA page per vCPU
/// (SEV_FEATURES 0).
Bytes seves_launch_digest(ByteView firmware, const std::optional<KernelHashes>& hashes, unsigned vcpus,
                          std::uint32_t vcpu_sig, VmmType vmm = VmmType::qemu);

}  // namespace kettle::snp

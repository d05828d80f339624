// QEMU command lines for the four Kettle profiles (README "Profiles") and QEMU version detection.
//
// The argv built here is pure data: no file is opened and nothing is launched, so every profile
// (including snp and tdx, which cannot run on this machine) is unit-tested against the QEMU
// documentation (docs/system/i386/amd-memory-encryption.rst, docs/system/i386/tdx.rst,
// qapi/qom.json SevCommonProperties / SevSnpGuestProperties / TdxGuestProperties).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kettle/core/bytes.hpp"

namespace kettle::runner {

enum class Profile { tcg, kvm, snp, tdx };

/// "tcg" | "kvm" | "snp" | "tdx" -> Profile; throws Error for anything else.
Profile parse_profile(std::string_view s);
const char* profile_name(Profile p);

/// A QEMU version triple, ordered lexicographically.
struct QemuVersion {
    int major = 0, minor = 0, micro = 0;
    auto operator<=>(const QemuVersion&) const = default;
    std::string str() const;
};

/// Parse the first line of `qemu-system-x86_64 --version`
/// ("QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)"). Throws Error when no
/// "version X.Y[.Z]" is present.
QemuVersion parse_qemu_version(std::string_view version_output);

/// Minimum QEMU version per profile: snp 9.1 (sev-snp-guest upstream), tdx 10.1 (tdx-guest with
/// mrconfigid and quote-generation-socket), tcg/kvm 7.0.
QemuVersion min_qemu_version(Profile p);

/// Throws Error("QEMU X is too old for profile P: it needs QEMU >= Y ...") when `have` is below
/// min_qemu_version(p).
void require_qemu_version(Profile p, const QemuVersion& have);

/// Everything that varies between runs. Paths are used verbatim in the argv.
struct VmConfig {
    Profile profile = Profile::tcg;
    std::string qemu = "qemu-system-x86_64";
    unsigned vcpus = 2;
    std::uint64_t memory_mib = 2048;
    std::string firmware;      ///< ovmf.fd (tcg, kvm, tdx) or ovmf-amdsev.fd (snp)
    bool firmware_pflash = false;  ///< tcg/kvm only: map the firmware as a read-only pflash instead of -bios
    std::string kernel;        ///< kettle.efi (the UKI), passed with -kernel; never -append (direct boot)
    /// Disk boot (tcg/kvm only), as on a cloud: no -kernel; the firmware boots \EFI\BOOT\BOOTX64.EFI from this
    /// GPT disk image (kettle-disk.raw), attached first in the boot order with snapshot=on (the file is never
    /// written), and every disk is an NVMe controller of its own instead of virtio-blk.
    std::string boot_disk;
    std::string input_disk;    ///< raw, attached read-only (serial "kettle-input"; the guest finds it by content)
    std::string output_disk;   ///< raw, read-write (serial "kettle-output"; found by its blank-output label)
    /// tcg/kvm: a TPM 2.0 emulator's control socket (swtpm socket --ctrl type=unixio,path=…), attached as a
    /// TPM CRB device (-tpmdev emulator). The firmware must have TPM support (ovmf-tpm.fd) to measure the boot.
    std::string tpm_socket;
    /// Optional: a toolchain image (docs/formats.md §5), raw, read-only, a third disk on the same bus as the others
    /// (serial "kettle-toolchain"; the guest finds it by its EROFS superblock); empty: none.
    std::string toolchain_disk;
    std::string amdsp_socket;  ///< tcg/kvm: unix socket of the simulated AMD-SP (QEMU connects as client)
    Bytes input_digest;        ///< 32 bytes: SHA-256 of the whole input disk (snp HOST_DATA, tdx MRCONFIGID)
    std::string cpu;           ///< -cpu model; empty: "max" (tcg), "host" (kvm, tdx), "EPYC-v4" (snp)
    unsigned cbitpos = 51;     ///< snp: C-bit position (CPUID 0x8000001F EBX[5:0])
    unsigned reduced_phys_bits = 1;  ///< snp: CPUID 0x8000001F EBX[11:6]
    std::uint64_t snp_policy = 0x30000;  ///< snp: SMT allowed, reserved bit 17, DEBUG (bit 19) off
    std::string qgs_socket = "/var/run/tdx-qgs/qgs.socket";  ///< tdx: unix path or "vsock:CID:PORT"
};

/// The virtio-serial port name the guest opens to reach the simulated AMD-SP.
inline constexpr const char* kAmdSpPortName = "org.kettle.amdsp.0";

/// The full argv (argv[0] = cfg.qemu) for `cfg`. The serial console goes to QEMU's stdout
/// (`-serial stdio`), which the runner reads through a pipe. Throws Error when a required field is
/// missing or invalid for the profile (for example no input digest for snp/tdx).
std::vector<std::string> qemu_argv(const VmConfig& cfg);


/// tdx MRCONFIGID (48 bytes) for an input-disk SHA-256: the digest followed by 16 zero bytes.
Bytes tdx_mrconfigid(ByteView input_digest32);

/// The C-bit position and reduced physical address bits of this host from CPUID 0x8000001F, or
/// nullopt when the leaf is not there (not an AMD host with memory encryption).
std::optional<std::pair<unsigned, unsigned>> host_sev_cbit();

}  // namespace kettle::runner

// Prediction of the measured boot of a Kettle image, in its two layouts: a disk boot of
// build/image/kettle-disk.raw (the firmware boots \EFI\BOOT\BOOTX64.EFI, our UKI, from the disk's EFI System
// Partition) and a QEMU direct boot of the UKI (-kernel kettle.efi). Every event that UEFI firmware,
// systemd-stub 252 and the Linux EFI stub log, and the registers those events extend: TPM PCRs 4, 5, 9, 11, 12,
// 13 (per bank) and the TDX RTMR1 and RTMR2. The event list, its order and each digest are documented with
// their sources in docs/measurement.md ("Disk boot", "Direct boot"). Sources: TCG PC Client Platform Firmware Profile 1.05
// (§3.3.4 PCR usage, §10.4 event types and data), UEFI 2.10 §38.4.1 (PCR → CC MR mapping), edk2 2025.02
// (SecurityPkg Tcg2Dxe, OvmfPkg TdTcg2Dxe, DxeTpm2MeasureBootLib), systemd 252 src/boot/efi/stub.c,
// measure.c, linux.c, Linux 6.12 drivers/firmware/efi/libstub/efi-stub-helper.c.
//
// Assumptions (each changes the prediction when it does not hold): Secure Boot is off (systemd-stub then
// loads the kernel through the firmware's LoadImage, which measures it); the disk's boot option is the first
// one the firmware tries (a failed earlier attempt adds "Returning from EFI Application" events); nothing is
// passed to the UKI (no LoadOptions, no credentials or sysext files on the ESP: PCRs 12 and 13 stay zero);
// under TDX the firmware exposes the CC measurement protocol and no TCG2 protocol (as Google's TDVF does),
// so the Linux EFI stub measures into RTMR2 and systemd-stub 252, which only knows TCG, measures nothing.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kettle/core/bytes.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/json.hpp"

namespace kettle::boot {

/// One event of the boot chain, as it appears in a TPM event log (`tpm`) and/or a CCEL log (`cc`).
struct BootEvent {
    std::uint32_t pcr = 0;          ///< TCG PCR index
    std::uint32_t cc_mr_index = 0;  ///< CC MR index under TDX (2 = RTMR1, 3 = RTMR2); 0 when not a CC event
    std::uint32_t event_type = 0;   ///< EV_* (kettle/boot/eventlog.hpp)
    std::string what;               ///< what is measured, e.g. "UKI Authenticode"
    std::string measured_by;        ///< the component that extends it
    std::optional<Bytes> data;      ///< the event data as logged; nullopt when it holds load addresses
    std::map<std::uint16_t, Bytes> digests;  ///< TPM_ALG_ID → digest, for every bank asked for
    bool tpm = true;                ///< logged with a TPM (TCG2 protocol)
    bool cc = true;                 ///< logged under TDX (CC measurement protocol)
};

/// A register the prediction does not cover, and why.
struct ProviderRegister {
    std::string name;  ///< "PCR0", "RTMR0", …
    std::string why;
};

struct BootPrediction {
    std::string layout;             ///< "disk" (predict_disk_boot) or "direct" (predict_direct_boot)
    std::vector<BootEvent> events;  ///< in log order; filter with `tpm` / `cc`
    /// PCR index (4, 5, 9, 11, 12, 13) → TPM_ALG_ID → value (digest size of the bank), extended from zero.
    std::map<std::uint32_t, std::map<std::uint16_t, Bytes>> pcrs;
    Bytes rtmr1, rtmr2;             ///< 48 bytes each, from zero
    std::vector<ProviderRegister> provider_dependent;
    Bytes uki_sha256;               ///< SHA-256 of the UKI file the prediction is for
    Bytes gpt_event_data;           ///< UEFI_GPT_DATA of the disk; empty for a direct boot
    std::string cmdline;            ///< the command line systemd-stub passes to the kernel
};

/// The PCRs the prediction covers, and the CC MR indexes of RTMR1 and RTMR2.
inline constexpr std::uint32_t kPredictedPcrs[] = {4, 5, 9, 11, 12, 13};
inline constexpr std::uint32_t kCcMrRtmr1 = 2, kCcMrRtmr2 = 3;

/// Predict the disk boot of `uki` (the bytes of \EFI\BOOT\BOOTX64.EFI) from the disk whose first bytes are
/// `disk_head` (at least LBA 0 to the end of the GPT entry array, 512-byte blocks). `banks`: the TPM banks
/// to compute (SHA-256 and SHA-384 by default; RTMRs are always SHA-384). Throws Error when the UKI is not a
/// PE with a .linux section, a section overlaps another, the .cmdline is not ASCII, or the GPT is invalid
/// (kettle/boot/gpt.hpp).
BootPrediction predict_disk_boot(ByteView uki, ByteView disk_head,
                                 const std::vector<HashAlg>& banks = {HashAlg::sha256, HashAlg::sha384});

/// Predict the QEMU direct boot of `uki` (`-kernel kettle.efi`, no -append, no -initrd) by OVMF/TDVF built
/// from OvmfPkg/OvmfPkgX64.dsc: the same events as predict_disk_boot from ReadyToBoot on, except that there is
/// no GPT event and the UKI's Authenticode event comes first, before ReadyToBoot (PlatformBootManagerLib
/// TryRunningQemuKernel: QemuLoadKernelImage's LoadImage, then EfiSignalEventReadyToBoot, then StartImage).
/// Under TDX this gives RTMR1 (UKI, boot attempt, separator, .linux, ExitBootServices) and RTMR2 (command line,
/// initrd) of the TD; docs/measurement.md "Direct boot". Throws Error as predict_disk_boot does for the UKI.
BootPrediction predict_direct_boot(ByteView uki,
                                   const std::vector<HashAlg>& banks = {HashAlg::sha256, HashAlg::sha384});

/// The prediction as JSON (schema kettle-boot-prediction/v1; docs/measurement.md "kettle measure boot"):
/// layout ("disk" or "direct"), events (pcr, cc_mr_index or null, type, type_name, what, measured_by, tpm, cc, digests {bank: hex},
/// data hex or null), pcrs {"4": {bank: hex}}, rtmr1, rtmr2, rtmr3 (zero), cmdline, uki_sha256,
/// gpt_event_data (hex; null for a direct boot), provider_dependent [{register, why}], assumptions [text].
Json boot_prediction_json(const BootPrediction& p);

/// The command line systemd-stub 252 builds from a .cmdline section's in-memory bytes: UTF-8 up to the
/// first NUL (ASCII only here; Error otherwise), control characters (≤ 0x1F) turned into spaces, trailing
/// spaces removed (src/boot/efi/stub.c, util.c mangle_stub_cmdline).
std::string stub_cmdline(ByteView section);

/// The UKI sections systemd-stub 252 measures into PCR 11, in its fixed order (src/fundamental/tpm-pcr.c):
/// .linux .osrel .cmdline .initrd .splash .dtb .pcrpkey (.pcrsig is never measured).
const std::vector<std::string>& stub_measured_sections();

}  // namespace kettle::boot

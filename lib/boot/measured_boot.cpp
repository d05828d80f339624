// Measured-boot prediction of a Kettle disk image. See kettle/boot/measured_boot.hpp and docs/measurement.md.
#include "kettle/boot/measured_boot.hpp"

#include <algorithm>
#include <functional>

#include "kettle/boot/eventlog.hpp"
#include "kettle/boot/gpt.hpp"
#include "kettle/boot/pe.hpp"
#include "kettle/core/error.hpp"

namespace kettle::boot {

namespace {

// Who extends what (docs/measurement.md "Disk boot" cites the exact functions).
const char* const kFirmwareTcg = "firmware (edk2 Tcg2Dxe / TdTcg2Dxe)";
const char* const kFirmwareLoader = "firmware (edk2 DxeTpm2MeasureBootLib, on LoadImage)";
const char* const kFirmwareQemuLoader =
    "firmware (edk2 DxeTpm2MeasureBootLib, on OvmfPkg X86QemuLoadImageLib QemuLoadKernelImage's LoadImage)";
const char* const kStub = "systemd-stub 252";
const char* const kLinuxStub = "Linux EFI stub";

// Linux drivers/firmware/efi/libstub/efistub.h: TCG_PCClientTaggedEvent ids.
constexpr std::uint32_t kLoadOptionsTag = 0x8F3B22ED;
constexpr std::uint32_t kInitrdTag = 0x8F3B22EC;

Bytes ascii(std::string_view s) { return Bytes(s.begin(), s.end()); }

/// UTF-16LE of an ASCII string plus a NUL code unit (strsize16 in systemd's terms).
Bytes utf16z(std::string_view s) {
    Bytes out;
    for (char c : s) {
        out.push_back(static_cast<std::uint8_t>(c));
        out.push_back(0);
    }
    out.push_back(0);
    out.push_back(0);
    return out;
}

/// TCG_PCClientTaggedEvent {u32 taggedEventID, u32 taggedEventDataSize, data}; data is the text plus NUL.
Bytes tagged_event(std::uint32_t id, std::string_view text) {
    Bytes out;
    put_le32(out, id);
    put_le32(out, static_cast<std::uint32_t>(text.size() + 1));
    out.insert(out.end(), text.begin(), text.end());
    out.push_back(0);
    return out;
}

/// Collects events; the digest of each is computed for every bank (and SHA-384 for the RTMRs).
struct Builder {
    std::vector<HashAlg> algs;  // TPM banks plus SHA-384
    std::vector<BootEvent> events;

    void add(std::uint32_t pcr, std::uint32_t mr, std::uint32_t type, std::string what, const char* by,
             std::optional<Bytes> data, const std::function<Bytes(HashAlg)>& digest, bool tpm, bool cc) {
        BootEvent e;
        e.pcr = pcr;
        e.cc_mr_index = cc ? mr : 0;
        e.event_type = type;
        e.what = std::move(what);
        e.measured_by = by;
        e.data = std::move(data);
        for (HashAlg a : algs) e.digests[tpm_alg_of(a)] = digest(a);
        e.tpm = tpm;
        e.cc = cc;
        events.push_back(std::move(e));
    }
    /// An event whose digest is the hash of `payload` (HashLogExtendEvent without PE_COFF_IMAGE).
    void add_hashed(std::uint32_t pcr, std::uint32_t mr, std::uint32_t type, std::string what, const char* by,
                    std::optional<Bytes> data, const Bytes& payload, bool tpm = true, bool cc = true) {
        add(pcr, mr, type, std::move(what), by, std::move(data), [&](HashAlg a) {
            Hasher h(a);
            h.update(payload);
            return h.finish();
        }, tpm, cc);
    }
    /// An EV_EFI_BOOT_SERVICES_APPLICATION: the Authenticode digest of the PE (MeasurePeImageAndExtend).
    void add_pe(std::string what, const Bytes& pe, const char* by) {
        add(4, kCcMrRtmr1, kEvEfiBootServicesApplication, std::move(what), by, std::nullopt,
            [&](HashAlg a) { return authenticode_digest(pe, a); }, true, true);
    }
};

/// The UKI sections as systemd-stub sees them in memory, refusing overlaps it would only warn about.
std::map<std::string, Bytes> stub_sections(ByteView uki) {
    auto secs = pe_sections(uki);
    std::vector<PeSection> by_rva = secs;
    std::sort(by_rva.begin(), by_rva.end(),
              [](const PeSection& a, const PeSection& b) { return a.virtual_address < b.virtual_address; });
    for (std::size_t i = 1; i < by_rva.size(); ++i)
        if (std::uint64_t{by_rva[i - 1].virtual_address} + by_rva[i - 1].virtual_size > by_rva[i].virtual_address)
            throw Error("UKI: sections " + by_rva[i - 1].name + " and " + by_rva[i].name + " overlap in memory");
    std::map<std::string, Bytes> out;
    for (const auto& name : stub_measured_sections())
        if (auto s = find_section(secs, name); s && s->virtual_size > 0) out[name] = section_in_memory(uki, *s);
    if (!out.count(".linux")) throw Error("UKI: no .linux section");
    return out;
}

/// systemd-stub 252 efi_main: for each present section in the fixed order, its name (ASCII with NUL), then
/// its in-memory bytes, both EV_IPL into PCR 11 with the UTF-16 name as event data. TPM only.
void stub_events(Builder& b, const std::map<std::string, Bytes>& sections) {
    for (const auto& name : stub_measured_sections()) {
        auto it = sections.find(name);
        if (it == sections.end()) continue;
        Bytes name_z = ascii(name);
        name_z.push_back(0);
        b.add_hashed(11, 0, kEvIpl, name + " section name", kStub, utf16z(name), name_z, true, false);
        b.add_hashed(11, 0, kEvIpl, name + " section contents", kStub, utf16z(name), it->second, true, false);
    }
}

/// Extend the predicted registers from zero.
void compute_registers(BootPrediction& p, const std::vector<HashAlg>& banks) {
    for (std::uint32_t pcr : kPredictedPcrs)
        for (HashAlg a : banks) p.pcrs[pcr][tpm_alg_of(a)] = Bytes(digest_size(a), 0);
    p.rtmr1.assign(48, 0);
    p.rtmr2.assign(48, 0);
    auto extend = [](Bytes& reg, HashAlg a, const Bytes& d) {
        Hasher h(a);
        h.update(reg);
        h.update(d);
        reg = h.finish();
    };
    for (const auto& e : p.events) {
        if (e.tpm)
            for (HashAlg a : banks) extend(p.pcrs.at(e.pcr).at(tpm_alg_of(a)), a, e.digests.at(tpm_alg_of(a)));
        if (e.cc) extend(e.cc_mr_index == kCcMrRtmr1 ? p.rtmr1 : p.rtmr2, HashAlg::sha384, e.digests.at(kTpmAlgSha384));
    }
}

std::vector<ProviderRegister> provider_registers() {
    return {
        {"PCR0", "firmware code (the provider's firmware volume and its version event)"},
        {"PCR1", "firmware configuration: handoff tables, boot variables (BootOrder, Boot####), SMBIOS"},
        {"PCR2", "option ROMs and drivers of the provider's devices"},
        {"PCR3", "option ROM configuration"},
        {"PCR6", "platform manufacturer events"},
        {"PCR7", "Secure Boot policy: SecureBoot, PK, KEK, db, dbx of the provider's variable store"},
        {"MRTD", "the TDX firmware (TDVF) image; checked against the provider's launch endorsement"},
        {"RTMR0", "TD HOB (memory size), firmware configuration volume, Secure Boot variables, ACPI tables, boot "
                  "variables: machine type and firmware release"},
    };
}

const char* const kAssumptions[] = {
    "Secure Boot is off: systemd-stub then loads the kernel through the firmware's LoadImage, which measures it",
    "nothing is passed to the UKI: no LoadOptions, no credentials or system extensions on the ESP (PCR 12, 13 zero)",
    "TDX: the firmware offers the CC measurement protocol and no TCG2 protocol (as Google's TDVF); systemd-stub 252 "
    "only knows TCG, so its PCR 11 events are absent from RTMR2",
};
const char* const kDiskAssumption =
    "the disk's boot option is the first the firmware tries: a failed earlier attempt adds events to PCR 4 / RTMR1";
const char* const kDirectAssumption =
    "QEMU direct boot of OVMF/TDVF (OvmfPkgX64 PlatformBootManagerLib): -kernel is the UKI, with no -append and no "
    "-initrd (QemuLoadKernelImage then sets no LoadOptions), and it is started before any boot option";

Json digests_json(const std::map<std::uint16_t, Bytes>& d) {
    Json j = Json::object();
    for (const auto& [alg, v] : d) j[tpm_alg_name(alg)] = hex(v);
    return j;
}

}  // namespace

Json boot_prediction_json(const BootPrediction& p) {
    Json events = Json::array();
    for (const auto& e : p.events)
        events.push_back({{"pcr", e.pcr}, {"cc_mr_index", e.cc ? Json(e.cc_mr_index) : Json(nullptr)},
                          {"type", e.event_type}, {"type_name", event_type_name(e.event_type)}, {"what", e.what},
                          {"measured_by", e.measured_by}, {"tpm", e.tpm}, {"cc", e.cc}, {"digests", digests_json(e.digests)},
                          {"data", e.data ? Json(hex(*e.data)) : Json(nullptr)}});
    Json pcrs = Json::object();
    for (const auto& [pcr, banks] : p.pcrs) pcrs[std::to_string(pcr)] = digests_json(banks);
    Json prov = Json::array();
    for (const auto& r : p.provider_dependent) prov.push_back({{"register", r.name}, {"why", r.why}});
    Json assumptions = Json::array();
    assumptions.push_back(p.layout == "disk" ? kDiskAssumption : kDirectAssumption);
    for (const char* a : kAssumptions) assumptions.push_back(a);
    return {{"schema", "kettle-boot-prediction/v1"}, {"layout", p.layout}, {"events", events}, {"pcrs", pcrs}, {"rtmr1", hex(p.rtmr1)},
            {"rtmr2", hex(p.rtmr2)}, {"rtmr3", std::string(96, '0')}, {"cmdline", p.cmdline},
            {"uki_sha256", hex(p.uki_sha256)}, {"gpt_event_data", p.gpt_event_data.empty() ? Json(nullptr) : Json(hex(p.gpt_event_data))},
            {"provider_dependent", prov}, {"assumptions", assumptions}};
}

const std::vector<std::string>& stub_measured_sections() {
    static const std::vector<std::string> s = {".linux", ".osrel", ".cmdline", ".initrd", ".splash", ".dtb", ".pcrpkey"};
    return s;
}

std::string stub_cmdline(ByteView section) {
    std::string s;
    for (std::uint8_t c : section) {
        if (c == 0) break;
        if (c >= 0x80) throw Error("UKI: .cmdline is not ASCII (UTF-8 command lines are not modelled)");
        s += c <= 0x1F ? ' ' : static_cast<char>(c);
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s;
}

namespace {

/// The events of one boot of `uki`, in log order. `disk_head`: the boot disk's first bytes for a disk boot
/// (the firmware's boot option loads \EFI\BOOT\BOOTX64.EFI; GPT event, then ReadyToBoot, then LoadImage);
/// nullopt for a QEMU direct boot (`-kernel`, no -append: OvmfPkg X86QemuLoadImageLib QemuLoadKernelImage
/// LoadImage()s the UKI from QemuKernelLoaderFsDxe's file system, no GPT, and only then does
/// PlatformBootManagerLib TryRunningQemuKernel signal ReadyToBoot). Everything after is the same code.
BootPrediction predict_boot(ByteView uki_view, const std::optional<ByteView>& disk_head,
                            const std::vector<HashAlg>& banks) {
    if (banks.empty()) throw Error("measure boot: no TPM bank asked for");
    BootPrediction p;
    p.layout = disk_head ? "disk" : "direct";
    const Bytes uki(uki_view.begin(), uki_view.end());
    p.uki_sha256 = sha256(uki);
    if (disk_head) p.gpt_event_data = uefi_gpt_event_data(read_gpt(*disk_head));
    const auto sections = stub_sections(uki);
    const bool has_cmdline = sections.count(".cmdline") > 0;  // then systemd-stub always sets LoadOptions
    if (has_cmdline) p.cmdline = stub_cmdline(sections.at(".cmdline"));

    Builder b;
    b.algs = banks;
    if (std::find(banks.begin(), banks.end(), HashAlg::sha384) == banks.end()) b.algs.push_back(HashAlg::sha384);
    const Bytes sep(4, 0);
    // Direct boot: QemuLoadKernelImage's LoadImage of the UKI comes before ReadyToBoot.
    if (!disk_head) b.add_pe("UKI Authenticode", uki, kFirmwareQemuLoader);
    // ReadyToBoot (Tcg2Dxe / TdTcg2Dxe OnReadyToBoot): the boot attempt, then separators (TPM: PCR 0..6 in
    // order, of which 4 and 5 are predicted here; TDX: one, into RTMR1).
    const std::string calling = "Calling EFI Application from Boot Option";
    b.add_hashed(4, kCcMrRtmr1, kEvEfiAction, "boot attempt", kFirmwareTcg, ascii(calling), ascii(calling));
    b.add_hashed(4, kCcMrRtmr1, kEvSeparator, "separator", kFirmwareTcg, sep, sep);
    b.add_hashed(5, 0, kEvSeparator, "separator", kFirmwareTcg, sep, sep, true, false);
    // Disk boot: LoadImage of \EFI\BOOT\BOOTX64.EFI: the disk's GPT (once per boot), then the UKI.
    if (disk_head) {
        b.add_hashed(5, kCcMrRtmr1, kEvEfiGptEvent, "GPT of the boot disk", kFirmwareLoader, p.gpt_event_data,
                     p.gpt_event_data);
        b.add_pe("UKI Authenticode", uki, kFirmwareLoader);
    }
    stub_events(b, sections);
    // systemd-stub loads .linux with LoadImage from memory (VirtualSize bytes): measured like a file.
    b.add_pe(".linux (kernel) Authenticode", sections.at(".linux"), kFirmwareLoader);
    // The kernel's EFI stub: LoadOptions (UTF-16 command line with NUL, as systemd-stub sets them), then the
    // initrd that systemd-stub serves through LINUX_EFI_INITRD_MEDIA_GUID (the .initrd section bytes).
    if (has_cmdline)
        b.add_hashed(9, kCcMrRtmr2, kEvEventTag, "kernel command line (LoadOptions)", kLinuxStub,
                     tagged_event(kLoadOptionsTag, "LOADED_IMAGE::LoadOptions"), utf16z(p.cmdline));
    if (auto i = sections.find(".initrd"); i != sections.end())
        b.add_hashed(9, kCcMrRtmr2, kEvEventTag, "initrd", kLinuxStub, tagged_event(kInitrdTag, "Linux initrd"), i->second);
    for (const char* a : {"Exit Boot Services Invocation", "Exit Boot Services Returned with Success"})
        b.add_hashed(5, kCcMrRtmr1, kEvEfiAction, "ExitBootServices", kFirmwareTcg, ascii(a), ascii(a));

    p.events = std::move(b.events);
    compute_registers(p, banks);
    p.provider_dependent = provider_registers();
    return p;
}

}  // namespace

BootPrediction predict_disk_boot(ByteView uki, ByteView disk_head, const std::vector<HashAlg>& banks) {
    return predict_boot(uki, disk_head, banks);
}

BootPrediction predict_direct_boot(ByteView uki, const std::vector<HashAlg>& banks) {
    return predict_boot(uki, std::nullopt, banks);
}

}  // namespace kettle::boot

// `kettle measure`: recompute the SEV-SNP launch digest or the TDX MRTD/RTMRs of an image offline.
#include <cerrno>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "commands.hpp"
#include "measure_opts.hpp"
#include "kettle/boot/eventlog.hpp"
#include "kettle/boot/measured_boot.hpp"
#include "kettle/boot/pe.hpp"
#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/json.hpp"
#include "kettle/snp/measure.hpp"
#include "kettle/tdx/measure.hpp"

namespace kettle::cli {

namespace {

const char* kMeasureUsage =
    "usage: kettle measure <snp|snp-firmware|tdx|tdx-replay|boot|event-log> [options]\n"
    "\n"
    "Recompute, with no trust in the builder, the launch measurement that the hardware reports for a VM image.\n"
    "\n"
    "  snp           SEV-SNP launch digest (MEASUREMENT, 48 bytes) of QEMU + OVMF [+ -kernel/-initrd/-append]\n"
    "  snp-firmware  describe an OVMF file: firmware-only digest, SEV metadata sections, hashes-table GPA, reset EIP\n"
    "  tdx           TDX MRTD and RTMR1 of TDVF + a direct-booted PE (UKI)\n"
    "  tdx-replay    replay a CCEL event log and print RTMR0..3\n"
    "  boot          every event and register value of the measured disk boot of an image (TPM PCRs, TDX RTMRs)\n"
    "  event-log     parse and replay a TPM or CCEL event log in every bank\n"
    "\n"
    "`kettle measure <sub> --help` for the options of each.\n";

const char* kSnpUsage =
    "usage: kettle measure snp (--firmware OVMF.fd | --firmware-description F.json | --image DIR)\n"
    "                          [--kernel FILE | --uki FILE] [--initrd FILE] [--cmdline STRING]\n"
    "                          --vcpus N (--vcpu-type NAME | --vcpu-sig HEX) [--guest-features HEX]\n"
    "                          [--vmm qemu|ec2|gce] [--json]\n"
    "\n"
    "Prints the SEV-SNP launch digest (48 bytes, hex) that SNP_LAUNCH_FINISH records as MEASUREMENT.\n"
    "\n"
    "  --firmware F          the OVMF image given to QEMU -bios (an OvmfPkg/AmdSev build for --kernel)\n"
    "  --firmware-description F  JSON from `kettle measure snp-firmware` instead of the firmware file\n"
    "  --image DIR           a Kettle image: DIR/manifest.json, DIR/ovmf-amdsev.fd, DIR/kettle.efi (-kernel);\n"
    "                        the command line is inside the UKI, so QEMU runs without -append\n"
    "  --kernel F, --uki F   what QEMU gets as -kernel (with sev-snp-guest,kernel-hashes=on)\n"
    "  --initrd F            QEMU -initrd; omitted = no -initrd (SHA-256 of empty input)\n"
    "  --cmdline S           QEMU -append; omitted = no -append (SHA-256 of a single NUL byte)\n"
    "  --vcpus N             number of vCPUs (1..512): one VMSA page each\n"
    "  --vcpu-type NAME      QEMU -cpu model: EPYC, EPYC-v1..v4, EPYC-Rome, EPYC-Milan, EPYC-Genoa, EPYC-Turin\n"
    "  --vcpu-sig HEX        CPUID 1 EAX signature instead of --vcpu-type\n"
    "  --guest-features HEX  VMSA SEV_FEATURES (default 0x1; 0x21 for host kernels 6.6-6.7 with DebugSwap)\n"
    "  --vmm qemu|ec2|gce    initial vCPU state template (default qemu)\n"
    "  --json                print a JSON object with the digest and every input digest\n";

const char* kSnpFirmwareUsage =
    "usage: kettle measure snp-firmware --firmware OVMF.fd [--out F.json]\n"
    "\n"
    "Prints a JSON description of the firmware (schema kettle-snp-firmware/v1): its SHA-256, the SNP launch\n"
    "digest after its pages (firmware_digest), the SEV metadata sections in table order, the SEV hashes-table\n"
    "GPA and the SEV-ES AP reset EIP. `kettle measure snp --firmware-description F.json` recomputes launch\n"
    "digests from it without the firmware file.\n";

const char* kTdxUsage =
    "usage: kettle measure tdx [--firmware TDVF.fd] [--uki FILE | --image DIR]   (at least one)\n"
    "                          [--memory SIZE] [--vcpus N] [--mrtd-order single|two-pass] [--json]\n"
    "\n"
    "Prints what can be computed from files alone:\n"
    "  MRTD   from the TDVF metadata of --firmware (depends on the firmware only, and on the page-add order of\n"
    "         the host: single (upstream KVM, default) or two-pass (older TDX QEMU/KVM stacks))\n"
    "  RTMR1  from --uki (or DIR/kettle.efi): the UKI's Authenticode SHA-384 (firmware LoadImage), the boot\n"
    "         attempt and separator (ReadyToBoot), the .linux kernel's Authenticode (systemd-stub's LoadImage)\n"
    "         and the two ExitBootServices actions\n"
    "  RTMR2  from --uki (or DIR/kettle.efi): the Linux EFI stub's LoadOptions event (the UKI's .cmdline as\n"
    "         UTF-16 with NUL) and its \"Linux initrd\" event (the .initrd section)\n"
    "  RTMR0  not computed: it depends on the TD HOB (memory size), the firmware's CFV, and QEMU's ACPI tables\n"
    "         (QEMU version, machine type, vCPUs, memory, devices); replay a captured CCEL log with tdx-replay\n"
    "  RTMR3  zero at boot\n"
    "RTMR1/RTMR2 are for a QEMU direct boot (-kernel UKI, no -append, no -initrd) of OVMF/TDVF from\n"
    "OvmfPkgX64.dsc; every event is printed with the component that measures it (docs/measurement.md,\n"
    "\"Direct boot\"). The PE must be a UKI (a .linux section). --image DIR reads DIR/manifest.json and\n"
    "DIR/kettle.efi (its SHA-256 must match the manifest); MRTD then needs --firmware. `kettle verify --image DIR`\n"
    "uses RTMR1 and RTMR2 as the expected values of a TDX bundle.\n"
    "--memory and --vcpus are recorded in the output; they change RTMR0 only.\n";

const char* kTdxReplayUsage =
    "usage: kettle measure tdx-replay --ccel TABLE --log DATA [--events] [--json]\n"
    "\n"
    "Replays a TCG2 crypto-agile event log (Linux: /sys/firmware/acpi/tables/CCEL and\n"
    "/sys/firmware/acpi/tables/data/CCEL) and prints RTMR0..3 (CC MR index 1..4). Compare them with the RTMRs of\n"
    "the TD quote. --ccel may be omitted; when given, its type must be 2 (TDX). --events lists every event.\n";

std::uint64_t parse_hex(const std::string& s, const char* what) {
    std::string t = s;
    if (t.rfind("0x", 0) == 0 || t.rfind("0X", 0) == 0) t = t.substr(2);
    if (t.empty() || t.size() > 16 || t.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
        throw Error(std::string(what) + ": '" + s + "' is not a hexadecimal number");
    return std::stoull(t, nullptr, 16);
}

std::uint64_t parse_size(const std::string& s) {
    if (s.empty()) throw Error("--memory: empty value");
    std::uint64_t mult = 1;
    std::string n = s;
    char last = static_cast<char>(std::toupper(static_cast<unsigned char>(n.back())));
    if (last == 'K' || last == 'M' || last == 'G' || last == 'T') {
        mult = last == 'K' ? 1ull << 10 : last == 'M' ? 1ull << 20 : last == 'G' ? 1ull << 30 : 1ull << 40;
        n.pop_back();
    }
    std::uint64_t v = parse_uint(n, "--memory", 10);
    if (v > (1ull << 50) / mult) throw Error("--memory: too large");
    return v * mult;
}

std::string hex_str(std::uint64_t v) {
    char b[24];
    std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
    return b;
}

// Like read_file, but also accepts non-regular files such as /dev/null or a pipe (sev-snp-measure users pass
// `--kernel /dev/null`), still bounded by `max_bytes`.
Bytes read_input(const std::string& path, std::size_t max_bytes = std::size_t{1} << 30) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec)) return read_file(path, max_bytes);
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw Error(path + ": cannot open: " + std::strerror(errno));
    Bytes out;
    std::uint8_t buf[65536];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
        if (out.size() + n > max_bytes) {
            std::fclose(f);
            throw Error(path + ": larger than " + std::to_string(max_bytes) + " bytes");
        }
        out.insert(out.end(), buf, buf + n);
    }
    const bool err = std::ferror(f);
    std::fclose(f);
    if (err) throw Error(path + ": read error");
    return out;
}

// The image files the SNP launch digest needs, each checked against the manifest (a stale or swapped file is an
// error rather than a wrong digest).
struct ImageFiles {
    Bytes firmware, kernel;
    Bytes firmware_sha256, kernel_sha256;
};

ImageFiles read_image(const std::string& dir) {
    const Json m = read_image_manifest(dir);
    ImageFiles f;
    f.firmware = read_manifest_file(dir, m, "ovmf-amdsev.fd", 64u << 20);
    f.kernel = read_manifest_file(dir, m, "kettle.efi", 1u << 30);
    f.firmware_sha256 = sha256(f.firmware);
    f.kernel_sha256 = sha256(f.kernel);
    return f;
}

int measure_snp(const Args& args) {
    MeasureOpts o = parse_measure_opts(args,
                   {"--firmware", "--firmware-description", "--image", "--kernel", "--uki", "--initrd", "--cmdline",
                    "--vcpus", "--vcpu-type", "--vcpu-sig", "--guest-features", "--vmm"},
                   {"--json"});
    if (o.help) {
        std::fputs(kSnpUsage, stdout);
        return kOk;
    }
    auto has = [&](const char* k) { return o.kv.count(k) > 0; };
    const int sources = has("--firmware") + has("--firmware-description") + has("--image");
    if (sources != 1) {
        std::fprintf(stderr, "kettle measure snp: give exactly one of --firmware, --firmware-description, --image\n\n%s",
                     kSnpUsage);
        return kUsage;
    }
    if (has("--kernel") && has("--uki")) throw Error("--kernel and --uki are synonyms; give one");
    if (!has("--vcpus")) throw Error("--vcpus is required");
    if (has("--vcpu-type") == has("--vcpu-sig")) throw Error("give exactly one of --vcpu-type, --vcpu-sig");

    snp::LaunchParams p;
    const std::uint64_t vcpus = parse_uint(o.kv["--vcpus"], "--vcpus", 10);
    if (vcpus < 1 || vcpus > 512) throw Error("--vcpus: must be 1..512");
    p.vcpus = static_cast<unsigned>(vcpus);
    p.vcpu_sig = has("--vcpu-type") ? snp::vcpu_signature(o.kv["--vcpu-type"])
                                    : static_cast<std::uint32_t>(parse_hex(o.kv["--vcpu-sig"], "--vcpu-sig") & 0xffffffffu);
    if (has("--vcpu-sig") && parse_hex(o.kv["--vcpu-sig"], "--vcpu-sig") > 0xffffffffu)
        throw Error("--vcpu-sig: exceeds 32 bits");
    p.guest_features = has("--guest-features") ? parse_hex(o.kv["--guest-features"], "--guest-features") : 0x1;
    p.vmm = has("--vmm") ? snp::vmm_type_from_name(o.kv["--vmm"]) : snp::VmmType::qemu;

    const bool json = o.flags.count("--json") > 0;
    snp::FirmwareDescription fw;
    std::optional<std::string> kernel_path;
    if (has("--kernel")) kernel_path = o.kv["--kernel"];
    if (has("--uki")) kernel_path = o.kv["--uki"];
    std::optional<Bytes> kernel_sha256;  // known from the manifest check in --image mode
    Json image_info;
    if (has("--image")) {
        ImageFiles img = read_image(o.kv["--image"]);
        fw = snp::describe_firmware(img.firmware, /*with_sha256=*/false);
        fw.sha256 = img.firmware_sha256;
        if (!kernel_path) kernel_sha256 = img.kernel_sha256;
        image_info = {{"dir", o.kv["--image"]}, {"manifest_sha256", hex(sha256_file(o.kv["--image"] + "/manifest.json"))}};
    } else if (has("--firmware")) {
        fw = snp::describe_firmware(read_file(o.kv["--firmware"], 64u << 20), json);
    } else {
        fw = snp::firmware_description_from_json(parse_strict(to_string(read_file(o.kv["--firmware-description"], 1u << 20))));
    }

    if (kernel_path || kernel_sha256) {
        std::optional<Bytes> initrd;
        if (has("--initrd")) initrd = read_input(o.kv["--initrd"]);
        std::optional<std::string_view> cmdline;
        if (has("--cmdline")) cmdline = o.kv["--cmdline"];
        const std::optional<ByteView> iv = initrd ? std::optional<ByteView>(*initrd) : std::nullopt;
        if (kernel_path) {
            p.hashes = snp::kernel_hashes(read_input(*kernel_path), iv, cmdline);
        } else {
            p.hashes = snp::kernel_hashes(ByteView{}, iv, cmdline);
            p.hashes->kernel = *kernel_sha256;
        }
    } else if (has("--initrd") || has("--cmdline")) {
        throw Error("--initrd and --cmdline need --kernel (QEMU measures them only with -kernel)");
    }

    const Bytes ld = snp::snp_launch_digest(fw, p);
    if (json) {
        Json j;
        j["launch_digest"] = hex(ld);
        j["vcpus"] = p.vcpus;
        if (has("--vcpu-type")) j["vcpu_type"] = o.kv["--vcpu-type"];
        j["vcpu_sig"] = hex_str(p.vcpu_sig);
        j["guest_features"] = hex_str(p.guest_features);
        j["vmm"] = snp::vmm_type_name(p.vmm);
        j["firmware"] = {{"sha256", hex(fw.sha256)}, {"firmware_digest", hex(fw.firmware_digest)}};
        if (p.hashes) {
            j["kernel_hashes"] = {{"kernel_sha256", hex(p.hashes->kernel)},
                                  {"initrd_sha256", hex(p.hashes->initrd)},
                                  {"cmdline_sha256", hex(p.hashes->cmdline)}};
        } else {
            j["kernel_hashes"] = nullptr;
        }
        if (!image_info.is_null()) j["image"] = image_info;
        print_json(j);
    } else {
        std::printf("%s\n", hex(ld).c_str());
    }
    return kOk;
}

int measure_snp_firmware(const Args& args) {
    MeasureOpts o = parse_measure_opts(args, {"--firmware", "--out"}, {"--json"});
    if (o.help) {
        std::fputs(kSnpFirmwareUsage, stdout);
        return kOk;
    }
    if (!o.kv.count("--firmware")) {
        std::fprintf(stderr, "kettle measure snp-firmware: --firmware is required\n\n%s", kSnpFirmwareUsage);
        return kUsage;
    }
    const auto d = snp::describe_firmware(read_file(o.kv["--firmware"], 64u << 20));
    const std::string text = to_json(d).dump(2) + "\n";
    if (o.kv.count("--out")) write_file(o.kv["--out"], text);
    else std::fputs(text.c_str(), stdout);
    return kOk;
}

// What `kettle measure tdx` computed: MRTD (when a firmware was given), the direct boot (when a UKI was given).
struct TdxValues {
    std::optional<Bytes> mrtd;
    std::optional<boot::BootPrediction> boot;  ///< RTMR1/RTMR2 and the CC events that extend them
    std::string pe_sha256, firmware_sha256;
};

TdxValues tdx_values(MeasureOpts& o, tdx::MrtdOrder order) {
    TdxValues v;
    if (o.kv.count("--firmware")) {
        const Bytes fw = read_file(o.kv["--firmware"], 64u << 20);
        v.mrtd = tdx::mrtd(fw, order);
        v.firmware_sha256 = hex(sha256(fw));
    }
    Bytes pe;
    if (o.kv.count("--image")) {
        pe = read_image(o.kv["--image"]).kernel;
    } else {
        std::string path = o.kv.count("--uki") ? o.kv["--uki"] : o.kv.count("--kernel") ? o.kv["--kernel"] : "";
        if (path.empty()) return v;
        pe = read_input(path);
    }
    v.pe_sha256 = hex(sha256(pe));
    v.boot = boot::predict_direct_boot(pe, {HashAlg::sha384});
    return v;
}

// The CC events of a direct boot (RTMR1, RTMR2), in log order, as JSON or as text lines.
Json tdx_events_json(const boot::BootPrediction& p) {
    Json out = Json::array();
    for (const auto& e : p.events)
        if (e.cc)
            out.push_back({{"rtmr", e.cc_mr_index - 1}, {"cc_mr_index", e.cc_mr_index}, {"type", e.event_type},
                           {"type_name", boot::event_type_name(e.event_type)}, {"what", e.what},
                           {"measured_by", e.measured_by}, {"sha384", hex(e.digests.at(boot::kTpmAlgSha384))}});
    return out;
}

void print_tdx_events(const boot::BootPrediction& p) {
    std::printf("direct-boot events (RTMR, type, what, digest, measured by):\n");
    for (const auto& e : p.events)
        if (e.cc)
            std::printf("  rtmr%u %-34s %-30s %s\n        by %s\n", e.cc_mr_index - 1,
                        boot::event_type_name(e.event_type).c_str(), e.what.c_str(),
                        hex(e.digests.at(boot::kTpmAlgSha384)).c_str(), e.measured_by.c_str());
}

void print_tdx_values(const TdxValues& v, tdx::MrtdOrder order, const char* rtmr0_note) {
    if (v.mrtd) std::printf("mrtd:  %s  (%s order)\n", hex(*v.mrtd).c_str(), order == tdx::MrtdOrder::single_pass ? "single-pass" : "two-pass");
    else std::printf("mrtd:  not computed (no --firmware)\n");
    std::printf("rtmr0: %s\n", rtmr0_note);
    if (v.boot) std::printf("rtmr1: %s\nrtmr2: %s\n", hex(v.boot->rtmr1).c_str(), hex(v.boot->rtmr2).c_str());
    else std::printf("rtmr1: not computed (no --uki or --image)\nrtmr2: not computed (no --uki or --image)\n");
    std::printf("rtmr3: %s\n", std::string(96, '0').c_str());
    if (v.boot) print_tdx_events(*v.boot);
}

int measure_tdx(const Args& args) {
    MeasureOpts o = parse_measure_opts(args, {"--firmware", "--uki", "--kernel", "--image", "--memory", "--vcpus",
                                              "--mrtd-order"},
                   {"--json"});
    if (o.help) {
        std::fputs(kTdxUsage, stdout);
        return kOk;
    }
    if (!o.kv.count("--firmware") && !o.kv.count("--image") && !o.kv.count("--uki") && !o.kv.count("--kernel")) {
        std::fprintf(stderr, "kettle measure tdx: give --firmware, --uki or --image\n\n%s", kTdxUsage);
        return kUsage;
    }
    if (o.kv.count("--uki") + o.kv.count("--kernel") + o.kv.count("--image") > 1)
        throw Error("give one of --uki, --kernel (synonyms) and --image");
    tdx::MrtdOrder order = tdx::MrtdOrder::single_pass;
    if (o.kv.count("--mrtd-order")) {
        const std::string& v = o.kv["--mrtd-order"];
        if (v == "single") order = tdx::MrtdOrder::single_pass;
        else if (v == "two-pass") order = tdx::MrtdOrder::two_pass;
        else throw Error("--mrtd-order: '" + v + "' is not single or two-pass");
    }
    std::optional<std::uint64_t> memory, vcpus;
    if (o.kv.count("--memory")) memory = parse_size(o.kv["--memory"]);
    if (o.kv.count("--vcpus")) {
        vcpus = parse_uint(o.kv["--vcpus"], "--vcpus", 10);
        if (*vcpus < 1 || *vcpus > 512) throw Error("--vcpus: must be 1..512");
    }
    const TdxValues v = tdx_values(o, order);
    const char* rtmr0_note = "not computed: depends on the TD HOB (memory size), the firmware CFV and QEMU's ACPI tables; "
                             "replay a captured CCEL log with `kettle measure tdx-replay`";
    auto hex_or_null = [](const std::optional<Bytes>& b) { return b ? Json(hex(*b)) : Json(nullptr); };
    if (!o.flags.count("--json")) {
        print_tdx_values(v, order, rtmr0_note);
        return kOk;
    }
    Json j;
    j["mrtd"] = hex_or_null(v.mrtd);
    j["mrtd_order"] = order == tdx::MrtdOrder::single_pass ? "single" : "two-pass";
    if (!v.firmware_sha256.empty()) j["firmware_sha256"] = v.firmware_sha256;
    j["rtmr0"] = nullptr;
    j["rtmr0_note"] = rtmr0_note;
    j["rtmr1"] = v.boot ? Json(hex(v.boot->rtmr1)) : Json(nullptr);
    j["rtmr2"] = v.boot ? Json(hex(v.boot->rtmr2)) : Json(nullptr);
    j["events"] = v.boot ? tdx_events_json(*v.boot) : Json(nullptr);
    if (v.boot) j["cmdline"] = v.boot->cmdline;
    if (!v.pe_sha256.empty()) j["pe_sha256"] = v.pe_sha256;
    j["rtmr3"] = std::string(96, '0');
    j["memory"] = memory ? Json(*memory) : Json(nullptr);
    j["vcpus"] = vcpus ? Json(*vcpus) : Json(nullptr);
    print_json(j);
    return kOk;
}

int measure_tdx_replay(const Args& args) {
    MeasureOpts o = parse_measure_opts(args, {"--ccel", "--log"}, {"--json", "--events"});
    if (o.help) {
        std::fputs(kTdxReplayUsage, stdout);
        return kOk;
    }
    if (!o.kv.count("--log")) {
        std::fprintf(stderr, "kettle measure tdx-replay: --log is required\n\n%s", kTdxReplayUsage);
        return kUsage;
    }
    std::optional<boot::CcelTable> table;
    if (o.kv.count("--ccel")) {
        table = boot::parse_ccel_table(read_file(o.kv["--ccel"], 4096));
        if (table->cc_type != 2) throw Error("CCEL table: CC type " + std::to_string(table->cc_type) + " is not 2 (TDX)");
    }
    const Bytes log = read_file(o.kv["--log"], 64u << 20);
    ByteView lv = log;  // the table's LAML bounds the log area; later bytes are not part of the log
    if (table && table->laml != 0 && table->laml < lv.size()) lv = lv.first(table->laml);
    const auto events = boot::parse_ccel_log(lv);
    const auto r = tdx::replay_rtmrs(events);
    if (o.flags.count("--json")) {
        Json j;
        for (int i = 0; i < 4; ++i) j["rtmr" + std::to_string(i)] = hex(r[i]);
        j["events"] = events.size();
        if (o.flags.count("--events")) {
            Json ev = Json::array();
            for (const auto& e : events)
                ev.push_back({{"mr_index", e.mr_index}, {"type", boot::event_type_name(e.event_type)},
                              {"digest", hex(e.digest)}, {"data_size", e.data.size()}});
            j["event_list"] = ev;
        }
        print_json(j);
    } else {
        if (o.flags.count("--events"))
            for (const auto& e : events)
                std::printf("rtmr%d %-34s %s\n", static_cast<int>(e.mr_index) - 1, boot::event_type_name(e.event_type).c_str(),
                            hex(e.digest).c_str());
        for (int i = 0; i < 4; ++i) std::printf("rtmr%d: %s\n", i, hex(r[i]).c_str());
    }
    return kOk;
}

}  // namespace

int cmd_measure(const Args& args) {
    if (args.empty()) {
        std::fputs(kMeasureUsage, stderr);
        return kUsage;
    }
    const std::string sub = args[0];
    const Args rest(args.begin() + 1, args.end());
    if (sub == "-h" || sub == "--help" || sub == "help") {
        std::fputs(kMeasureUsage, stdout);
        return kOk;
    }
    try {
        if (sub == "snp") return measure_snp(rest);
        if (sub == "snp-firmware") return measure_snp_firmware(rest);
        if (sub == "tdx") return measure_tdx(rest);
        if (sub == "tdx-replay") return measure_tdx_replay(rest);
        if (sub == "boot") return cmd_measure_boot(rest);
        if (sub == "event-log") return cmd_measure_event_log(rest);
    } catch (const Error& e) {
        std::fprintf(stderr, "kettle measure %s: %s\n", sub.c_str(), e.what());
        return kUsage;
    }
    std::fprintf(stderr, "kettle measure: unknown subcommand '%s'\n\n%s", sub.c_str(), kMeasureUsage);
    return kUsage;
}

}  // namespace kettle::cli

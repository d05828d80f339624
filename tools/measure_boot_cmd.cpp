// `kettle measure boot` (the measured disk boot of a Kettle image, predicted from its files) and
// `kettle measure event-log` (parse and replay a TPM or CCEL event log, every bank).
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "commands.hpp"
#include "kettle/boot/eventlog.hpp"
#include "kettle/boot/measured_boot.hpp"
#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/json.hpp"
#include "measure_opts.hpp"

namespace kettle::cli {

namespace {

const char* kBootUsage =
    "usage: kettle measure boot (--image DIR | --uki FILE [--disk FILE]) [--boot disk|direct]\n"
    "                           [--banks sha256,sha384] [--json]\n"
    "\n"
    "Predicts, from files alone, every event that UEFI firmware, systemd-stub 252 and the Linux EFI stub\n"
    "measure when the firmware boots \\EFI\\BOOT\\BOOTX64.EFI from a Kettle disk image (--boot disk, the\n"
    "default) or when QEMU direct-boots the UKI (--boot direct: -kernel kettle.efi, no -append, no -initrd),\n"
    "and the registers they extend: TPM PCRs 4, 5, 9, 11, 12, 13 (each bank) and TDX RTMR1, RTMR2. PCR 0-3,\n"
    "6, 7, MRTD and RTMR0 depend on the provider's firmware and machine and are listed as such. Events,\n"
    "sources and assumptions: docs/measurement.md \"Disk boot\" and \"Direct boot\".\n"
    "\n"
    "  --image DIR     a Kettle image: DIR/kettle.efi and (disk boot) DIR/kettle-disk.raw, each checked\n"
    "                  against DIR/manifest.json (the disk is hashed whole: about 1 GiB)\n"
    "  --uki FILE      the UKI (instead of --image)\n"
    "  --disk FILE     the disk image (its GPT; with --uki, for --boot disk only)\n"
    "  --boot LAYOUT   disk (default) or direct\n"
    "  --banks LIST    TPM banks to compute: sha256, sha384, sha512 (default sha256,sha384)\n"
    "  --json          the prediction as JSON (schema kettle-boot-prediction/v1)\n"
    "\n"
    "exit codes: 0 ok, 2 bad input (unreadable file, not a PE/UKI, invalid GPT, file not matching the manifest)\n";

const char* kEventLogUsage =
    "usage: kettle measure event-log --log FILE [--ccel TABLE] [--events] [--json]\n"
    "\n"
    "Parses a TCG2 crypto-agile event log (a TPM's /sys/kernel/security/tpm0/binary_bios_measurements, or the\n"
    "CCEL log /sys/firmware/acpi/tables/data/CCEL) and replays it in every bank it lists that has a hash here\n"
    "(sha256, sha384, sha512). Register indexes are PCR numbers for a TPM log and CC MR indexes for a CCEL log\n"
    "(1..4 = RTMR0..3). --ccel: the ACPI CCEL table; its LAML bounds the log. --events lists every event.\n";

std::vector<HashAlg> parse_banks(const std::string& list) {
    std::vector<HashAlg> out;
    std::size_t p = 0;
    while (p <= list.size()) {
        const std::size_t c = list.find(',', p);
        const std::string b = list.substr(p, c == std::string::npos ? std::string::npos : c - p);
        HashAlg a;
        if (b == "sha256") a = HashAlg::sha256;
        else if (b == "sha384") a = HashAlg::sha384;
        else if (b == "sha512") a = HashAlg::sha512;
        else throw Error("--banks: '" + b + "' is not sha256, sha384 or sha512");
        for (HashAlg x : out)
            if (x == a) throw Error("--banks: " + b + " given twice");
        out.push_back(a);
        if (c == std::string::npos) break;
        p = c + 1;
    }
    return out;
}

void print_prediction(const boot::BootPrediction& p) {
    std::printf("%s boot; UKI sha256 %s; command line \"%s\"\n\nevents, in log order (T: TPM log, C: CCEL log):\n",
                p.layout.c_str(), hex(p.uki_sha256).c_str(), p.cmdline.c_str());
    for (const auto& e : p.events) {
        std::string reg = "PCR" + std::to_string(e.pcr);
        if (e.cc) reg += "/RTMR" + std::to_string(e.cc_mr_index - 1);
        std::printf("  %-12s %s%s %-34s %-36s %s\n", reg.c_str(), e.tpm ? "T" : "-", e.cc ? "C" : "-",
                    boot::event_type_name(e.event_type).c_str(), e.what.c_str(), e.measured_by.c_str());
    }
    std::printf("\nregisters:\n");
    for (const auto& [pcr, banks] : p.pcrs)
        for (const auto& [alg, v] : banks)
            std::printf("  PCR%-2u %-6s %s\n", pcr, boot::tpm_alg_name(alg).c_str(), hex(v).c_str());
    std::printf("  RTMR1  sha384 %s\n  RTMR2  sha384 %s\n  RTMR3  sha384 %s (nothing extends it at boot)\n",
                hex(p.rtmr1).c_str(), hex(p.rtmr2).c_str(), std::string(96, '0').c_str());
    std::printf("\nprovider-dependent (not predicted):\n");
    for (const auto& r : p.provider_dependent) std::printf("  %-6s %s\n", r.name.c_str(), r.why.c_str());
}

// The UKI and, for a disk boot, the disk's first bytes, from --image or --uki/--disk.
struct BootInputs {
    Bytes uki, head;
    Json image_info;
};

BootInputs read_boot_inputs(MeasureOpts& o, bool disk) {
    constexpr std::size_t kHead = 1u << 20;  // LBA 0 .. the GPT entry array (and more)
    BootInputs in;
    if (o.kv.count("--image")) {
        const std::string dir = o.kv["--image"];
        const Json m = read_image_manifest(dir);
        in.uki = read_manifest_file(dir, m, "kettle.efi", 1u << 30);
        in.image_info = {{"dir", dir}, {"kettle.efi", manifest_sha256(m, dir, "kettle.efi")}};
        if (disk) {
            in.head = read_manifest_file_head(dir, m, "kettle-disk.raw", kHead);
            in.image_info["kettle-disk.raw"] = manifest_sha256(m, dir, "kettle-disk.raw");
        }
        return in;
    }
    in.uki = read_file(o.kv["--uki"], 1u << 30);
    if (!disk) return in;
    std::FILE* f = std::fopen(o.kv["--disk"].c_str(), "rb");
    if (!f) throw Error(o.kv["--disk"] + ": cannot open");  // only the head is needed
    in.head.resize(kHead);
    in.head.resize(std::fread(in.head.data(), 1, kHead, f));
    std::fclose(f);
    return in;
}

int measure_boot(const Args& args) {
    MeasureOpts o = parse_measure_opts(args, {"--image", "--uki", "--disk", "--banks", "--boot"}, {"--json"});
    if (o.help) {
        std::fputs(kBootUsage, stdout);
        return kOk;
    }
    const std::string layout = o.kv.count("--boot") ? o.kv["--boot"] : "disk";
    if (layout != "disk" && layout != "direct") throw Error("--boot: '" + layout + "' is not disk or direct");
    const bool disk = layout == "disk";
    const bool image = o.kv.count("--image") > 0, uki = o.kv.count("--uki") > 0, has_disk = o.kv.count("--disk") > 0;
    if (image == uki || (image && has_disk) || (uki && has_disk != disk)) {
        std::fprintf(stderr, "kettle measure boot: give --image DIR, or --uki (with --disk for a disk boot, without "
                             "it for --boot direct)\n\n%s", kBootUsage);
        return kUsage;
    }
    const auto banks = parse_banks(o.kv.count("--banks") ? o.kv["--banks"] : "sha256,sha384");
    const BootInputs in = read_boot_inputs(o, disk);
    const boot::BootPrediction p =
        disk ? boot::predict_disk_boot(in.uki, in.head, banks) : boot::predict_direct_boot(in.uki, banks);
    if (o.flags.count("--json")) {
        Json j = boot::boot_prediction_json(p);
        if (!in.image_info.is_null()) j["image"] = in.image_info;
        print_json(j);
    } else {
        print_prediction(p);
    }
    return kOk;
}

Json event_json(const boot::TcgEvent& e) {
    Json d = Json::object();
    for (const auto& [alg, v] : e.digests) d[boot::tpm_alg_name(alg)] = hex(v);
    return {{"index", e.index}, {"type", e.event_type}, {"type_name", boot::event_type_name(e.event_type)},
            {"digests", d}, {"data", hex(e.data)}};
}

int measure_event_log(const Args& args) {
    MeasureOpts o = parse_measure_opts(args, {"--log", "--ccel"}, {"--json", "--events"});
    if (o.help) {
        std::fputs(kEventLogUsage, stdout);
        return kOk;
    }
    if (!o.kv.count("--log")) {
        std::fprintf(stderr, "kettle measure event-log: --log is required\n\n%s", kEventLogUsage);
        return kUsage;
    }
    const Bytes log = read_file(o.kv["--log"], 64u << 20);
    ByteView lv = log;
    if (o.kv.count("--ccel")) {
        const auto t = boot::parse_ccel_table(read_file(o.kv["--ccel"], 4096));
        if (t.laml != 0 && t.laml < lv.size()) lv = lv.first(t.laml);
    }
    const boot::EventLog l = boot::parse_tcg2_log(lv);
    std::vector<std::pair<std::string, std::map<std::uint32_t, Bytes>>> replayed;
    Json regs = Json::object();
    for (const auto& a : l.algorithms) {
        if (a.id != boot::kTpmAlgSha256 && a.id != boot::kTpmAlgSha384 && a.id != boot::kTpmAlgSha512) continue;
        replayed.emplace_back(boot::tpm_alg_name(a.id), boot::replay(l, a.id));
        Json r = Json::object();
        for (const auto& [idx, v] : replayed.back().second) r[std::to_string(idx)] = hex(v);
        regs[replayed.back().first] = r;
    }
    if (o.flags.count("--json")) {
        Json algs = Json::array();
        for (const auto& a : l.algorithms) algs.push_back({{"id", a.id}, {"name", boot::tpm_alg_name(a.id)}, {"digest_size", a.digest_size}});
        Json j{{"algorithms", algs}, {"events", l.events.size()}, {"bytes_used", l.used}, {"registers", regs}};
        if (o.flags.count("--events")) {
            Json ev = Json::array();
            for (const auto& e : l.events) ev.push_back(event_json(e));
            j["event_list"] = ev;
        }
        print_json(j);
        return kOk;
    }
    if (o.flags.count("--events"))
        for (const auto& e : l.events) {
            std::printf("%-3u %-34s", e.index, boot::event_type_name(e.event_type).c_str());
            for (const auto& [alg, v] : e.digests) std::printf(" %s:%s", boot::tpm_alg_name(alg).c_str(), hex(v).c_str());
            std::printf("\n");
        }
    for (const auto& [bank, r] : replayed)
        for (const auto& [idx, v] : r) std::printf("%-6s %-3u %s\n", bank.c_str(), idx, hex(v).c_str());
    return kOk;
}

}  // namespace

int cmd_measure_boot(const Args& args) { return measure_boot(args); }
int cmd_measure_event_log(const Args& args) { return measure_event_log(args); }

}  // namespace kettle::cli

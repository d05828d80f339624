// The measured-boot rows of the bundle verifier for disk boot paths (see rows.hpp, docs/verify.md "Measured boot"):
// the boot event log the guest captured (evidence.json boot_event_logs, docs/evidence.md) replayed and held to the
// quote's RTMRs (GCP TDX) or to the PCRs the guest read (vTPM), then its image registers held to the prediction.
#include <algorithm>

#include "kettle/boot/boot_chain.hpp"
#include "kettle/core/error.hpp"
#include "kettle/provenance/evidence.hpp"
#include "kettle/tdx/boot_chain.hpp"
#include "kettle/tdx/checks.hpp"
#include "rows.hpp"

namespace kettle::bundle {

namespace {

struct PathInfo {
    BootPath path;
    const char* name;
    const char* vouched_by;
};
constexpr PathInfo kPaths[] = {
    {BootPath::direct, "direct", "hardware"},     {BootPath::gcp_tdx, "gcp-tdx", "hardware"},
    {BootPath::azure, "azure", "paravisor"},      {BootPath::gcp_snp, "gcp-snp", "hypervisor"},
    {BootPath::aws_snp, "aws-snp", "hypervisor"},
};
const PathInfo& info(BootPath p) {
    for (const PathInfo& i : kPaths)
        if (i.path == p) return i;
    throw Error("boot path: unknown");
}

// The one boot event log of `source` in evidence.json, untruncated, parsed; only padding may follow its records.
boot::EventLog one_log(Context& c, const std::string& source, BootEvidence& boot) {
    boot = parse_evidence(c.evidence_text).boot;
    const BootEventLog* found = nullptr;
    for (const BootEventLog& l : boot.logs) {
        if (l.source != source) continue;
        if (found) throw Error("event-log: evidence.json carries two \"" + source + "\" logs");
        found = &l;
    }
    if (!found) throw Error("event-log: evidence.json carries no \"" + source + "\" boot event log (boot_event_logs)");
    if (found->truncated) throw Error("event-log: the \"" + source + "\" log was truncated by the guest: it cannot replay");
    boot::EventLog log = boot::parse_tcg2_log(found->data);
    const Bytes& d = found->data;
    if (log.used < d.size() && (d[log.used] != 0xff && d[log.used] != 0x00))
        throw Error("event-log: bytes after the last record at " + std::to_string(log.used) + " are not padding");
    if (std::any_of(d.begin() + static_cast<std::ptrdiff_t>(log.used), d.end(), [&](std::uint8_t b) { return b != d[log.used]; }))
        throw Error("event-log: bytes after the last record at " + std::to_string(log.used) + " are not uniform padding");
    boot::check_event_data(log);
    return log;
}

std::string ccel_event_log(Context& c) {
    BootEvidence boot;
    boot::EventLog log = one_log(c, "ccel", boot);
    if (!boot.ccel_table.empty() && boot::parse_ccel_table(boot.ccel_table).cc_type != 2)
        throw Error("event-log: the CCEL table's CC type is not 2 (TDX)");
    std::string d = "CCEL: " + tdx::check_ccel_replay(log, c.tdx.result.quote->body.rtmr);
    c.boot_log = std::move(log);
    return d;
}

std::string tpm_event_log(Context& c) {
    BootEvidence boot;
    boot::EventLog log = one_log(c, "tpm", boot);
    const std::uint16_t bank = boot::tpm_check_bank(log);
    auto it = boot.registers.tpm_pcrs.find(boot::tpm_alg_name(bank));
    if (it == boot.registers.tpm_pcrs.end())
        throw Error("event-log: guest_registers has no " + boot::tpm_alg_name(bank) + " PCRs to replay the TPM log against");
    const std::vector<std::uint32_t> required(std::begin(boot::kPredictedPcrs), std::end(boot::kPredictedPcrs));
    std::string d = "TPM log: " + boot::check_tpm_replay(log, bank, it->second, required) +
                    " as the guest read them (not signed: see tpm-quote)";
    c.boot_log = std::move(log);
    return d;
}

}  // namespace

const char* boot_path_name(BootPath p) { return info(p).name; }
const char* image_vouched_by(BootPath p) { return info(p).vouched_by; }
BootPath parse_boot_path(std::string_view name) {
    for (const PathInfo& i : kPaths)
        if (name == i.name) return i.path;
    throw Error("boot path '" + std::string(name) + "': not direct, gcp-tdx, azure, gcp-snp or aws-snp");
}

void prepare_tdx_disk(Context& c) {
    prepare_tdx(c);
    if (c.opts.disk_boot) {
        c.tdx.policy.rtmr[1].push_back(c.opts.disk_boot->rtmr1);
        c.tdx.policy.rtmr[2].push_back(c.opts.disk_boot->rtmr2);
    }
}

namespace rows {

std::string event_log(Context& c) {
    try {
        return c.opts.boot_path == BootPath::gcp_tdx ? ccel_event_log(c) : tpm_event_log(c);
    } catch (const Error& e) {
        const std::string m = e.what();
        throw Error(m.rfind("event-log:", 0) == 0 ? m : "event-log: " + m);
    }
}

std::string boot_image(Context& c) {
    if (!c.opts.disk_boot)
        throw Error("boot-image: no prediction of the disk boot: give --image DIR (with kettle.efi and kettle-disk.raw)");
    if (!c.boot_log) throw Error("boot-image: no event log was replayed");
    try {
        if (c.opts.boot_path != BootPath::gcp_tdx) {
            const std::uint16_t bank = boot::tpm_check_bank(*c.boot_log);
            auto same = [](std::uint32_t i) { return std::optional<std::uint32_t>(i); };
            return boot::match_predicted_events(*c.boot_log, bank, same, boot::tpm_image_registers(*c.opts.disk_boot)) +
                   " (UKI " + hex(c.opts.disk_boot->uki_sha256).substr(0, 16) + "…)";
        }
        const auto& rtmr0 = c.tdx.result.quote->body.rtmr[0];
        if (c.opts.policy.tdx.rtmr[0].empty())
            throw Error("no RTMR0 allow-list (policy \"rtmr0\"): RTMR0 depends on the machine type and firmware release");
        if (!tdx::is_allowed(c.opts.policy.tdx.rtmr[0], ByteView(rtmr0.data(), 48)))
            throw Error("RTMR0 " + hex(ByteView(rtmr0.data(), 48)) + " is not in the policy's rtmr0 allow-list");
        return tdx::check_ccel_image_events(*c.boot_log, *c.opts.disk_boot) + ", RTMR0 allowed (UKI " +
               hex(c.opts.disk_boot->uki_sha256).substr(0, 16) + "…)";
    } catch (const Error& e) {
        throw Error(std::string("boot-image: ") + e.what());
    }
}

std::string tpm_quote(Context& c) {
    throw Error(std::string("tpm-quote: evidence.json carries no TPM quote (TPM2_Quote over the PCRs) and no attestation "
                            "key bound to the hardware report, so the PCRs are only what the guest says it read; on the "
                            "boot path ") + boot_path_name(c.opts.boot_path) + " only the " +
                image_vouched_by(c.opts.boot_path) + "'s vTPM could vouch for the image, and that is not verified here");
}

std::string boot_path_mismatch(Context& c) {
    throw Error(std::string("boot-path: boot path ") + boot_path_name(c.opts.boot_path) + " does not fit " +
                c.summary.platform + " evidence (gcp-tdx needs TDX evidence; azure, gcp-snp and aws-snp SEV-SNP evidence)");
}

}  // namespace rows

}  // namespace kettle::bundle

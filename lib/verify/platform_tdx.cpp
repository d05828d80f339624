// The TDX rows of the bundle verifier (see rows.hpp): the TDX verifier's own rows (lib/tdx/checks.cpp) over the
// bundle's evidence, plus the bundle's policy (MRCONFIGID = the input disk, or all
// zero on the gcp-tdx boot path).
#include <algorithm>
#include <filesystem>

#include "kettle/core/error.hpp"
#include "kettle/core/x509.hpp"
#include "kettle/tdx/gcp_endorsement.hpp"
#include "rows.hpp"

namespace fs = std::filesystem;

namespace kettle::bundle {

void prepare_tdx(Context& c) {
    // The bundle's own collateral/ is hostile input: a real directory, read without following links.
    bool in_bundle = c.opts.collateral_dir.empty();
    std::string cdir = in_bundle ? c.dir + "/collateral" : c.opts.collateral_dir;
    std::error_code ec;
    bool have_col = in_bundle ? fs::is_directory(fs::symlink_status(cdir, ec)) : fs::is_directory(cdir);
    if (have_col) c.collateral = tdx::load_collateral(cdir, !in_bundle);
    tdx::VerifyContext& v = c.tdx;
    v.raw = c.report;
    v.collateral = have_col ? &c.collateral : nullptr;
    v.policy = c.opts.policy.tdx;
    v.policy.require_collateral = true;  // a bundle's quote is never accepted without complete collateral
    v.policy.trust_roots = c.opts.trust_roots;
    v.now = c.opts.now;
    c.summary.collateral_source = have_col ? (in_bundle ? "bundle collateral/" : cdir) : "";
}

namespace rows {

namespace {

// MRCONFIGID (TD report body offset 0xB8, 48 bytes) on each boot path. A host that launches the TD with QEMU sets it
// to the input-disk digest followed by 16 zero bytes. GCP offers no way to set it, so on the gcp-tdx path it must be
// all zero and the input disk is bound by the attested guest's own digest (the statement's "input-disk"
// resolvedDependency, bound by REPORTDATA); any other value there is unexplained and fails.
std::string mrconfigid_policy(const Context& c) {
    const tdx::TdReportBody& b = c.tdx.result.quote->body;
    const ByteView cfg(b.mr_config_id.data(), b.mr_config_id.size());
    Bytes disk = input_disk_digest(c.payload);  // the statement names exactly one input disk on every path
    if (c.opts.boot_path == BootPath::gcp_tdx) {
        if (!std::all_of(cfg.begin(), cfg.end(), [](std::uint8_t x) { return x == 0; }))
            throw Error("policy: MRCONFIGID " + hex(cfg) + " is not all zero: GCP cannot set MRCONFIGID, so a value "
                        "on the gcp-tdx boot path is unexplained");
        return "MRCONFIGID all zero (input disk bound by the attested guest's digest in the statement; MRCONFIGID "
               "unavailable on GCP)";
    }
    if (!equal_ct(disk, cfg.first(32)))
        throw Error("policy: MRCONFIGID[0:32] " + hex(cfg.first(32)) + " != input-disk " + hex(disk));
    for (std::size_t i = 32; i < 48; ++i)
        if (cfg[i] != 0) throw Error("policy: MRCONFIGID[32:48] is not zero");
    return "MRCONFIGID = input-disk";
}

}  // namespace

std::string tdx_quote_format(Context& c) {
    tdx::rows::evidence(c.tdx);  // parse: a quote that does not parse fails here, as quote-format
    std::string detail = tdx::rows::quote_format(c.tdx);
    const auto& rd = c.tdx.result.quote->body.report_data;
    c.report_data.assign(rd.begin(), rd.end());
    return detail;
}

std::string tdx_tcb(Context& c) {
    std::string detail = tdx::rows::tcb(c.tdx);
    c.summary.tcb_status = c.tdx.result.tcb_status;
    c.summary.measurement = hex(c.tdx.result.quote->body.mr_td);
    c.summary.collateral = tdx::collateral_use_json(c.tdx.result.collateral);
    c.summary.collateral["source"] = c.summary.collateral_source;
    return detail;
}

std::string tdx_firmware(Context& c) {
    const ByteView mrtd(c.tdx.result.quote->body.mr_td);
    if (!c.opts.gcp_endorsement) {
        if (c.opts.policy.gcp_tcb_root_sha256)
            throw Error("firmware: the policy pins a GCE TCB root (gcp_tcb_root_sha256) but no --endorsement was given");
        if (c.opts.policy.tdx.mr_td.empty())
            throw Error("firmware: MRTD " + hex(mrtd) + " is neither endorsed (--endorsement FILE, Google's "
                        "VMLaunchEndorsement) nor in the policy's \"mrtd\" list");
        c.summary.firmware = {{"mrtd_source", "policy"}};
        return "MRTD from the policy's \"mrtd\" list (checked by policy); no endorsement given";
    }
    // No --gcp-tcb-root: the root is the endorsement's own ca_bundle; check_root_pin decides whether it is trusted.
    const ByteView root = c.opts.gcp_tcb_root ? ByteView(*c.opts.gcp_tcb_root) : ByteView();
    tdx::EndorsementCheck e = tdx::verify_launch_endorsement(*c.opts.gcp_endorsement, root, mrtd, c.opts.now);
    const std::string fp = hex(e.root_sha256);
    const auto& want = c.opts.policy.gcp_tcb_root_sha256;
    const std::string pin = tdx::check_root_pin(e.root_sha256, want);
    const tdx::GoldenMeasurement& g = e.endorsement.golden;
    c.mrtd_endorsed = true;
    c.summary.firmware = {{"mrtd_source", "endorsement"}, {"uefi_sha384", hex(g.uefi_digest)},
                          {"endorsed_at", x509::format_rfc3339(g.timestamp)}, {"svn", g.tdx_svn},
                          {"cl_spec", g.cl_spec}, {"ram_gib", e.match.ram_gib}, {"early_accept", e.match.early_accept},
                          {"signer", e.signer_cn}, {"root", e.root_cn}, {"root_sha256", fp},
                          {"root_source", e.root_from_ca_bundle ? "ca_bundle" : "file"},
                          {"root_pinned_by_policy", want.has_value()}, {"checked_at", x509::format_rfc3339(c.opts.now)}};
    return "MRTD " + hex(mrtd).substr(0, 16) + "... endorsed for UEFI " + hex(g.uefi_digest).substr(0, 16) + "... (" +
           x509::format_rfc3339(g.timestamp) + ", SVN " + std::to_string(g.tdx_svn) +
           (e.match.ram_gib ? ", " + std::to_string(e.match.ram_gib) + " GiB" : "") +
           (e.match.early_accept ? ", early accept" : "") + ") by '" +
           e.signer_cn + "' under '" + e.root_cn + "' (" + (e.root_from_ca_bundle ? "the endorsement's ca_bundle" : "--gcp-tcb-root") +
           ") sha256 " + fp + " = " + pin + ", certificates valid at " +
           x509::format_rfc3339(c.opts.now);
}

std::string tdx_policy(Context& c) {
    const tdx::TdxPolicy& pol = c.tdx.policy;
    const tdx::TdReportBody& b = c.tdx.result.quote->body;
    if (pol.mr_td.empty() && !c.mrtd_endorsed)
        throw Error("policy: no expected MRTD (give --expected-measurement or a policy with \"mrtd\")");
    if (pol.rtmr[1].empty() || pol.rtmr[2].empty())
        throw Error("policy: no expected RTMR1 and RTMR2 (the UKI, command line and initrd): give --image DIR or a policy "
                    "with \"rtmr1\" and \"rtmr2\"");
    std::string attrs = tdx::check_td_attributes(b, pol);
    if (!pol.mr_td.empty() && !tdx::is_allowed(pol.mr_td, b.mr_td))
        throw Error("policy: MRTD " + hex(b.mr_td) + " is not an allowed value");
    for (std::size_t i = 0; i < 4; ++i)
        if (!pol.rtmr[i].empty() && !tdx::is_allowed(pol.rtmr[i], b.rtmr[i]))
            throw Error("policy: RTMR" + std::to_string(i) + " " + hex(b.rtmr[i]) + " is not an allowed value");
    const char* mrtd_by = pol.mr_td.empty() ? " (endorsed)" : "";
    return "MRTD " + c.summary.measurement.substr(0, 16) + "..." + mrtd_by + ", RTMR1/RTMR2 as expected, " +
           mrconfigid_policy(c) + ", " + attrs;
}

}  // namespace rows

}  // namespace kettle::bundle

// The SNP rows of the bundle verifier (see rows.hpp): the SNP verifier's own rows (lib/snp/checks.cpp) over the
// bundle's evidence, plus what only a bundle adds (platform vs chain, HOST_DATA = the input disk).
#include "kettle/core/error.hpp"
#include "rows.hpp"

namespace kettle::bundle {

void prepare_snp(Context& c) {
    const Options& o = c.opts;
    snp::VerifyContext& v = c.snp;
    v.raw = c.report;
    v.policy = o.policy.snp;
    if (!v.policy.vmpl) v.policy.vmpl = 0;
    if (c.summary.platform == "sim-snp" && v.policy.product == snp::Product::unknown && c.report.size() == snp::kReportSize &&
        le32(c.report, 0) == 2)
        v.policy.product = snp::Product::milan;  // v2 simulated reports use the Milan TCB layout
    v.vek = c.vek ? c.vek : o.vek;
    v.extra_certs = c.certs;
    v.extra_certs.insert(v.extra_certs.end(), o.extra_certs.begin(), o.extra_certs.end());
    v.opts.now = o.now;
    v.opts.allow_sim = o.allow_sim;
    v.opts.trust_roots = o.trust_roots;
}

namespace rows {

std::string snp_report_format(Context& c) {
    snp::rows::evidence(c.snp);  // its size was checked by the evidence row; this reads the fields
    std::string detail = snp::rows::report_format(c.snp);
    const auto& rd = c.snp.result.report->report_data;
    c.report_data.assign(rd.begin(), rd.end());
    return detail;
}

std::string snp_chain(Context& c) {
    const std::string& platform = c.summary.platform;
    std::string detail;
    try {
        detail = snp::rows::chain(c.snp);
    } catch (const Error& e) {
        if (platform == "sim-snp" && !c.opts.allow_sim)
            throw Error(std::string(e.what()) + " [platform sim-snp: simulated evidence needs --allow-sim]");
        throw;
    }
    bool simulated = c.snp.result.chain->simulated;
    if (simulated != (platform == "sim-snp")) {
        c.summary.simulated = simulated;
        throw Error(std::string("chain: evidence says platform '") + platform + "' but the chain is " +
                    (simulated ? "SIMULATED" : "AMD's"));
    }
    return detail;
}

std::string snp_report_signature(Context& c) {
    std::string detail = snp::rows::report_signature(c.snp);
    c.summary.simulated = c.snp.result.chain->simulated;
    c.summary.measurement = hex(c.snp.result.report->measurement);
    return detail;
}

std::string snp_policy(Context& c) {
    snp::SnpPolicy& pol = c.snp.policy;
    if (pol.measurements.empty())
        throw Error("policy: no expected measurement (give --image DIR --vcpus N --vcpu-type T, --expected-measurement, "
                    "or a policy with \"measurements\")");
    pol.host_data = input_disk_digest(c.payload);
    const snp::TcbFloor floor = snp::effective_tcb_floor(c.snp.result.product, pol);
    c.summary.tcb_floor = {{"min", snp::tcb_string(floor.min, c.snp.result.product)}, {"source", floor.source}};
    snp::rows::policy(c.snp);
    return "MEASUREMENT " + c.summary.measurement.substr(0, 16) + "..., HOST_DATA = input-disk, VMPL " +
           std::to_string(c.snp.result.report->vmpl) + ", debug off, TCB >= " + floor.source;
}

}  // namespace rows

}  // namespace kettle::bundle

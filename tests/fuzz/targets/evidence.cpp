// Fuzz target: evidence.json (parse_evidence; docs/evidence.md), and the report and certificates it carries
// decoded as the verifier would: the SNP report parser when it is 1184 bytes, the TDX quote parser otherwise, and
// each certificate with the X.509 helpers; the boot event logs it carries (boot_event_logs) through the TCG2 log
// parser (the boot_chain target checks them further).
// Invariant: an accepted file written again (evidence_json) parses to the same fields, boot logs, CCEL table and
// guest registers included.
#include "fuzz.hpp"
#include "kettle/boot/eventlog.hpp"
#include "kettle/core/x509.hpp"
#include "kettle/provenance/evidence.hpp"
#include "kettle/snp/report.hpp"
#include "kettle/tdx/quote.hpp"

using namespace kettle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    Evidence ev;
    if (!fuzz::accepts([&] { ev = parse_evidence(text); })) return 0;
    std::string out = evidence_json(ev);
    Evidence again;
    KETTLE_FUZZ_CHECK(fuzz::accepts([&] { again = parse_evidence(out); }), out);
    KETTLE_FUZZ_CHECK(again.platform == ev.platform && again.report_data_layout == ev.report_data_layout &&
                          again.report == ev.report && again.signing_key_pem == ev.signing_key_pem &&
                          again.certificates.size() == ev.certificates.size(), out);
    for (std::size_t i = 0; i < ev.certificates.size(); ++i) {
        KETTLE_FUZZ_CHECK(again.certificates[i].type == ev.certificates[i].type &&
                              again.certificates[i].der == ev.certificates[i].der, out);
        fuzz::accepts([&] { x509::Cert::parse(ev.certificates[i].der); });
    }
    const BootEvidence &b = ev.boot, &b2 = again.boot;
    KETTLE_FUZZ_CHECK(b2.logs.size() == b.logs.size() && b2.ccel_table == b.ccel_table &&
                          b2.registers.tpm_pcrs == b.registers.tpm_pcrs && b2.registers.rtmrs == b.registers.rtmrs,
                      out);
    for (std::size_t i = 0; i < b.logs.size(); ++i) {
        KETTLE_FUZZ_CHECK(b2.logs[i].source == b.logs[i].source && b2.logs[i].format == b.logs[i].format &&
                              b2.logs[i].data == b.logs[i].data && b2.logs[i].truncated == b.logs[i].truncated,
                          out);
        KETTLE_FUZZ_CHECK(b.logs[i].data.size() <= kMaxBootEventLog, std::to_string(b.logs[i].data.size()));
        fuzz::accepts([&] { boot::parse_tcg2_log(b.logs[i].data); });
    }
    if (ev.report.size() == snp::kReportSize) snp::Report::parse(ev.report);
    else fuzz::accepts([&] { tdx::Quote::parse(ev.report); });
    return 0;
}

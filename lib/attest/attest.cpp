// Detection of the report backend and attest_build, the attestation step of guest PID 1.
#include "kettle/attest/attest.hpp"

#include <algorithm>

#include "kettle/provenance/dsse.hpp"
#include "kettle/core/error.hpp"

namespace kettle {

namespace {
std::size_t tdx_body_offset(ByteView report) {
    std::uint16_t version = le16(report, 0);
    if (version == 4) return 0x30;
    if (version == 5) return 0x36;
    throw Error("report: TDX quote version " + std::to_string(version) + " is not 4 or 5");
}
}  // namespace

ByteView report_data_of(const std::string& platform, ByteView report) {
    if (platform == "snp" || platform == "sim-snp") {
        if (report.size() < kSnpReportSize)
            throw Error("report: SNP report is " + std::to_string(report.size()) + " bytes, shorter than 1184");
        return slice(report, kSnpReportDataOffset, 64, "SNP report");
    }
    if (platform == "tdx") return slice(report, tdx_body_offset(report) + 0x208, 64, "TDX quote");
    throw Error("report: no REPORT_DATA for platform \"" + platform + "\"");
}

ByteView host_data_of(const std::string& platform, ByteView report) {
    if (platform == "snp" || platform == "sim-snp") {
        if (report.size() < kSnpReportSize)
            throw Error("report: SNP report is " + std::to_string(report.size()) + " bytes, shorter than 1184");
        return slice(report, 0xC0, 32, "SNP report");
    }
    if (platform == "tdx") return slice(report, tdx_body_offset(report) + 0xB8, 48, "TDX quote");
    throw Error("report: no HOST_DATA for platform \"" + platform + "\"");
}

bool host_data_matches(const std::string& platform, ByteView report, ByteView input_disk_sha256) {
    if (input_disk_sha256.size() != 32) return false;
    ByteView hd = host_data_of(platform, report);
    if (!equal_ct(hd.first(32), input_disk_sha256)) return false;
    for (std::size_t i = 32; i < hd.size(); ++i)
        if (hd[i] != 0) return false;
    return true;
}

std::string host_commitment(const std::string& platform, ByteView report, ByteView input_disk_sha256) {
    if (host_data_matches(platform, report, input_disk_sha256)) return "matches";
    ByteView hd = host_data_of(platform, report);
    if (platform == "tdx" && std::all_of(hd.begin(), hd.end(), [](std::uint8_t b) { return b == 0; })) return "none";
    return "differs";
}

std::unique_ptr<AttestBackend> detect_backend(const AttestOptions& opt) {
    if (opt.try_configfs_tsm)
        if (auto b = detect_configfs_tsm(opt.tsm_report_root, opt.tsm_ops)) return b;
    if (opt.try_sev_guest)
        if (auto b = detect_sev_guest(opt.sev_guest_device, opt.ioctl_fn)) return b;
    if (opt.try_sim) {
        std::string dev = find_virtio_port(opt.virtio_ports_root, opt.dev_root, opt.sim_port_name);
        if (!dev.empty()) return make_sim_amdsp(dev, opt.sim_timeout_ms);
    }
    return nullptr;
}

AttestResult attest_build(const ProvenanceInputs& inputs, const AttestOptions& opt) {
    AttestResult res;
    // Fail on bad inputs before touching any device.
    (void)make_statement(inputs, AttestMode::none);

    std::unique_ptr<AttestBackend> backend = detect_backend(opt);
    EcdsaP256Key key = EcdsaP256Key::generate();
    const Bytes spki = key.spki_der();
    res.keyid = dsse_keyid(spki);

    Evidence ev;
    ev.signing_key_pem = key.public_pem();
    ev.platform = "none";
    ev.boot = opt.boot;
    res.mode = backend ? backend->mode() : AttestMode::none;
    res.statement = serialize_statement(inputs, res.mode);
    res.report_data = binding_report_data(as_bytes(res.statement), spki);

    if (backend) {
        res.backend = backend->name();
        try {
            RawReport raw = backend->get_report(res.report_data);
            if (raw.platform != "tdx") ev.certificates = parse_snp_cert_table(raw.cert_table);
            ev.platform = raw.platform;
            ev.report = std::move(raw.report);
            res.attested = true;
            res.host_data_matches = host_data_matches(ev.platform, ev.report, unhex(inputs.input_disk_sha256));
            res.host_commitment = host_commitment(ev.platform, ev.report, unhex(inputs.input_disk_sha256));
        } catch (const Error& e) {
            res.error = e.what();
            // Never publish a statement that claims a mode whose report we do not have.
            res.mode = AttestMode::none;
            res.statement = serialize_statement(inputs, res.mode);
            res.report_data = binding_report_data(as_bytes(res.statement), spki);
            ev = Evidence{};
            ev.platform = "none";
            ev.signing_key_pem = key.public_pem();
            ev.boot = opt.boot;
        }
    }
    res.platform = ev.platform;
    res.envelope_jsonl = dsse_envelope_jsonl(dsse_sign(kInTotoPayloadType, as_bytes(res.statement), key));
    res.evidence_json = evidence_json(ev);
    return res;
}

}  // namespace kettle

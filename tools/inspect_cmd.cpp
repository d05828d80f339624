// `kettle inspect FILE`: detect a SEV-SNP report, TDX quote, certificate, DSSE envelope, evidence file or bundle
// directory, and print every field with its spec name, decoded.
#include <cstdio>
#include <filesystem>
#include <string>

#include "commands.hpp"
#include "kettle/verify/bundle.hpp"
#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/safe_read.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/json.hpp"
#include "kettle/snp/report.hpp"
#include "kettle/snp/verify.hpp"
#include "kettle/tdx/quote.hpp"
#include "kettle/core/x509.hpp"

namespace fs = std::filesystem;

namespace kettle::cli {

namespace {

const char* kHelp =
    "usage: kettle inspect FILE|DIR\n"
    "       kettle inspect --json ENVELOPE|DIR\n"
    "\n"
    "Print a SEV-SNP ATTESTATION_REPORT, a TDX quote, an X.509 certificate (PEM or DER; AMD VCEK/VLEK and Intel PCK\n"
    "extensions decoded), a DSSE envelope (*.intoto.jsonl), an evidence.json, or a bundle directory.\n"
    "A statement's dependency packages (resolvedDependencies with a pkg: uri) and lockfiles are listed; with\n"
    "--json only they are printed, as {\"lockfiles\": [...], \"dependencies\": [{\"purl\", \"digest\"}]}, for SBOM\n"
    "tools (field mapping: docs/dependencies.md section 3).\n"
    "Nothing is verified: use `kettle verify` / `kettle verify-report` for that.\n";

void line(const char* name, const std::string& v) { std::printf("  %-22s %s\n", name, v.c_str()); }
std::string num(std::uint64_t v) { return std::to_string(v) + " (0x" + [&] { char b[32]; std::snprintf(b, sizeof b, "%llx", (unsigned long long)v); return std::string(b); }() + ")"; }
std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (auto& x : v) s += (s.empty() ? "" : " ") + x;
    return s.empty() ? "-" : s;
}

void print_snp_report(ByteView raw) {
    using namespace snp;
    Report r = Report::parse(raw);
    Product p = r.product();
    std::printf("SEV-SNP ATTESTATION_REPORT (AMD ABI 56860 Table 23), %zu bytes\n", raw.size());
    line("VERSION", std::to_string(r.version));
    line("GUEST_SVN", std::to_string(r.guest_svn));
    line("POLICY", num(r.policy) + " ABI " + std::to_string((r.policy >> 8) & 0xff) + "." + std::to_string(r.policy & 0xff) +
                       " [" + join(policy_flags(r.policy)) + "]");
    line("FAMILY_ID", hex(r.family_id));
    line("IMAGE_ID", hex(r.image_id));
    line("VMPL", std::to_string(r.vmpl));
    line("SIGNATURE_ALGO", std::to_string(r.signature_algo) + (r.signature_algo == 1 ? " (ECDSA P-384 with SHA-384)" : " (unknown)"));
    Product lp = p == Product::unknown ? Product::milan : p;
    std::string layout = p == Product::unknown ? " [Milan/Genoa layout assumed]" : "";
    line("CURRENT_TCB", hex(ByteView(raw.data() + 0x38, 8)) + " " + tcb_string(decode_tcb(r.current_tcb, lp), lp) + layout);
    line("PLATFORM_INFO", num(r.platform_info) + " [" + join(platform_info_flags(r.platform_info)) + "]");
    const char* sk = r.signing_key() == 0 ? "VCEK" : r.signing_key() == 1 ? "VLEK" : r.signing_key() == 7 ? "none" : "reserved";
    line("AUTHOR_KEY_EN", std::to_string(r.author_key_en()));
    line("MASK_CHIP_KEY", std::to_string(r.mask_chip_key()));
    line("SIGNING_KEY", std::to_string(r.signing_key()) + " (" + sk + ")");
    line("REPORT_DATA", hex(r.report_data));
    line("MEASUREMENT", hex(r.measurement));
    line("HOST_DATA", hex(r.host_data));
    line("ID_KEY_DIGEST", hex(r.id_key_digest));
    line("AUTHOR_KEY_DIGEST", hex(r.author_key_digest));
    line("REPORT_ID", hex(r.report_id));
    line("REPORT_ID_MA", hex(r.report_id_ma));
    line("REPORTED_TCB", hex(ByteView(raw.data() + 0x180, 8)) + " " + tcb_string(decode_tcb(r.reported_tcb, lp), lp) + layout);
    if (r.version >= 3) {
        char b[64];
        std::snprintf(b, sizeof b, "family 0x%02x model 0x%02x stepping 0x%02x", r.cpuid_fam_id, r.cpuid_mod_id, r.cpuid_step);
        line("CPUID_FAM/MOD/STEP", std::string(b) + " -> " + product_name(p));
    }
    line("CHIP_ID", hex(r.chip_id));
    line("COMMITTED_TCB", hex(ByteView(raw.data() + 0x1E0, 8)) + " " + tcb_string(decode_tcb(r.committed_tcb, lp), lp));
    line("CURRENT_VERSION", std::to_string(r.current_major) + "." + std::to_string(r.current_minor) + " build " + std::to_string(r.current_build));
    line("COMMITTED_VERSION", std::to_string(r.committed_major) + "." + std::to_string(r.committed_minor) + " build " + std::to_string(r.committed_build));
    line("LAUNCH_TCB", hex(ByteView(raw.data() + 0x1F0, 8)) + " " + tcb_string(decode_tcb(r.launch_tcb, lp), lp));
    if (r.version >= 5) {
        line("LAUNCH_MIT_VECTOR", num(r.launch_mit_vector));
        line("CURRENT_MIT_VECTOR", num(r.current_mit_vector));
    }
    line("SIGNATURE.R (LE)", hex(ByteView(r.signature_r.data(), 48)));
    line("SIGNATURE.S (LE)", hex(ByteView(r.signature_s.data(), 48)));
    auto mbz = r.must_be_zero_violations();
    line("must-be-zero", mbz.empty() ? "all zero" : "NOT ZERO: " + join(mbz));
}

void print_tdx_quote(ByteView raw) {
    tdx::Quote q = tdx::Quote::parse(raw);
    std::printf("TDX quote v%u (Intel DCAP), %zu bytes\n", q.version, raw.size());
    line("att_key_type", std::to_string(q.att_key_type) + (q.att_key_type == 2 ? " (ECDSA-256 P-256)" : ""));
    line("tee_type", num(q.tee_type) + (q.tee_type == 0x81 ? " (TDX)" : ""));
    line("qe_vendor_id", hex(q.qe_vendor_id) + (hex(q.qe_vendor_id) == tdx::kIntelQeVendorId ? " (Intel)" : ""));
    line("user_data", hex(q.user_data));
    line("body_type", std::to_string(q.body_type) + (q.body_type == 3 ? " (TD 1.5)" : " (TD 1.0)") + ", " + std::to_string(q.body_size) + " bytes");
    const auto& b = q.body;
    line("TEE_TCB_SVN", hex(b.tee_tcb_svn));
    line("MRSEAM", hex(b.mr_seam));
    line("MRSIGNERSEAM", hex(b.mr_signer_seam));
    line("SEAMATTRIBUTES", hex(b.seam_attributes));
    line("TDATTRIBUTES", hex(b.td_attributes) + (b.debug() ? " [DEBUG]" : ""));
    line("XFAM", hex(b.xfam));
    line("MRTD", hex(b.mr_td));
    line("MRCONFIGID", hex(b.mr_config_id));
    line("MROWNER", hex(b.mr_owner));
    line("MROWNERCONFIG", hex(b.mr_owner_config));
    for (int i = 0; i < 4; ++i) line(("RTMR" + std::to_string(i)).c_str(), hex(b.rtmr[static_cast<std::size_t>(i)]));
    line("REPORTDATA", hex(b.report_data));
    if (b.td15) {
        line("TEE_TCB_SVN_2", hex(b.tee_tcb_svn2));
        line("MRSERVICETD", hex(b.mr_service_td));
    }
    line("signature (r||s)", hex(q.signature));
    line("attestation_key", hex(q.attestation_key));
    line("cert_data_type", std::to_string(q.cert_type));
    line("QE MRENCLAVE", hex(ByteView(q.qe_report.data() + 0x40, 32)));
    line("QE MRSIGNER", hex(ByteView(q.qe_report.data() + 0x80, 32)));
    line("QE ISVPRODID/ISVSVN", std::to_string(le16(q.qe_report, 0x100)) + " / " + std::to_string(le16(q.qe_report, 0x102)));
    line("QE REPORTDATA", hex(ByteView(q.qe_report.data() + 0x140, 64)));
    line("QE auth data", std::to_string(q.qe_auth_data.size()) + " bytes");
    line("PCK cert data type", std::to_string(q.pck_cert_type) + ", " + std::to_string(q.pck_chain_pem.size()) + " bytes");
    std::size_t used = q.signed_region.size() + 4 + 134 + 450 + q.qe_auth_data.size() + 6 + q.pck_chain_pem.size();
    if (raw.size() > used) line("trailing", std::to_string(raw.size() - used) + " bytes after the quote (not signed, ignored)");
    try {
        auto certs = x509::pem_blocks(to_string(q.pck_chain_pem), "CERTIFICATE");
        if (!certs.empty()) {
            tdx::PckInfo pi = tdx::decode_pck_extension(certs[0]);
            std::string comps;
            for (int v : pi.sgx_tcb) comps += std::to_string(v) + " ";
            line("PCK FMSPC", hex(pi.fmspc));
            line("PCK SGX TCB comps", comps + "PCESVN " + std::to_string(pi.pcesvn));
        }
    } catch (const Error& e) {
        line("PCK", std::string("undecodable: ") + e.what());
    }
}

void print_cert(ByteView der) {
    x509::Cert c = x509::Cert::parse(der);
    std::printf("X.509 certificate, %zu bytes DER, SHA-256 %s\n", der.size(), hex(c.fingerprint()).c_str());
    line("subject", c.subject());
    line("issuer", c.issuer());
    line("validity", x509::format_rfc3339(c.not_before()) + " .. " + x509::format_rfc3339(c.not_after()));
    line("key", c.key_description());
    line("signature", c.signature_algorithm());
    line("CA", c.is_ca() ? "yes" : "no");
    for (auto p : {snp::Product::milan, snp::Product::genoa, snp::Product::turin})
        if (c.fingerprint() == snp::pinned_ark_sha256(p)) line("pinned", std::string("AMD ARK-") + snp::product_name(p));
    if (hex(c.fingerprint()) == tdx::kIntelRootSha256) line("pinned", "Intel SGX Root CA");
    if (c.extension("1.3.6.1.4.1.3704.1.2") || c.extension("1.3.6.1.4.1.3704.1.3.1")) {
        snp::VekExtensions e = snp::decode_vek_extensions(c);
        std::printf("AMD VCEK/VLEK extensions (1.3.6.1.4.1.3704.1.*):\n");
        if (e.struct_version >= 0) line(".1 struct version", std::to_string(e.struct_version));
        if (!e.product_name.empty()) line(".2 product name", e.product_name);
        if (e.bl >= 0) line(".3.1 BL SPL", std::to_string(e.bl));
        if (e.tee >= 0) line(".3.2 TEE SPL", std::to_string(e.tee));
        if (e.snp >= 0) line(".3.3 SNP SPL", std::to_string(e.snp));
        if (e.ucode >= 0) line(".3.8 UCODE SPL", std::to_string(e.ucode));
        if (e.fmc >= 0) line(".3.9 FMC SPL", std::to_string(e.fmc));
        if (!e.hwid.empty()) line(".4 hwID", hex(e.hwid));
        if (!e.csp_id.empty()) line(".5 CSP id", e.csp_id);
    }
    if (c.extension("1.2.840.113741.1.13.1")) {
        try {
            tdx::PckInfo pi = tdx::decode_pck_extension(der);
            std::string comps;
            for (int v : pi.sgx_tcb) comps += std::to_string(v) + " ";
            std::printf("Intel SGX PCK extension (1.2.840.113741.1.13.1):\n");
            line("FMSPC", hex(pi.fmspc));
            line("TCB comps", comps);
            line("PCESVN", std::to_string(pi.pcesvn));
        } catch (const Error& e) {
            line("SGX extension", e.what());
        }
    }
}

/// The statement's lockfiles and dependency packages (docs/dependencies.md §3), as JSON. Entries that are not
/// objects, or whose uri is not a string, are skipped (inspect verifies nothing).
Json dependency_list(const Json& st) {
    Json out = {{"lockfiles", Json::array()}, {"dependencies", Json::array()}};
    const Json* deps = nullptr;
    if (st.is_object() && st.contains("predicate") && st["predicate"].is_object() &&
        st["predicate"].contains("buildDefinition") && st["predicate"]["buildDefinition"].is_object())
        if (auto it = st["predicate"]["buildDefinition"].find("resolvedDependencies");
            it != st["predicate"]["buildDefinition"].end() && it->is_array())
            deps = &*it;
    if (!deps) return out;
    for (const auto& d : *deps) {
        if (!d.is_object() || !d.contains("digest") || !d["digest"].is_object()) continue;
        std::string name = d.contains("name") && d["name"].is_string() ? d["name"].get<std::string>() : "";
        std::string uri = d.contains("uri") && d["uri"].is_string() ? d["uri"].get<std::string>() : "";
        if (name.rfind("lockfile/", 0) == 0)
            out["lockfiles"].push_back(Json{{"ecosystem", name.substr(9)}, {"path", uri}, {"digest", d["digest"]}});
        else if (name.empty() && uri.rfind("pkg:", 0) == 0)
            out["dependencies"].push_back(Json{{"purl", uri}, {"digest", d["digest"]}});
    }
    return out;
}

void print_dependencies(const Json& st) {
    Json l = dependency_list(st);
    if (l["dependencies"].empty() && l["lockfiles"].empty()) return;
    std::printf("dependencies (%zu packages):\n", l["dependencies"].size());
    for (const auto& f : l["lockfiles"])
        std::printf("  lockfile %s %s sha256:%s\n", f["ecosystem"].get<std::string>().c_str(),
                    f["path"].get<std::string>().c_str(), f["digest"].value("sha256", "?").c_str());
    for (const auto& d : l["dependencies"]) {
        std::string dg;
        for (auto it = d["digest"].begin(); it != d["digest"].end(); ++it)
            if (it->is_string()) dg += (dg.empty() ? "" : " ") + it.key() + ":" + it->get<std::string>();
        std::printf("  %s %s\n", d["purl"].get<std::string>().c_str(), dg.c_str());
    }
}

/// The statement inside a DSSE envelope (JSON), or throws Error.
Json envelope_statement(const Json& env) {
    return parse_strict(to_string(bundle::base64_decode_lenient(env.value("payload", ""), "payload")));
}

void print_envelope(const Json& env, const std::string& text) {
    std::printf("DSSE envelope, SHA-256 %s\n", hex(sha256(text)).c_str());
    line("payloadType", env.value("payloadType", "?"));
    for (auto& s : env.value("signatures", Json::array())) {
        line("signature keyid", s.value("keyid", "-"));
        line("signature bytes", std::to_string(bundle::base64_decode_lenient(s.value("sig", ""), "sig", 1024).size()));
    }
    Bytes payload = bundle::base64_decode_lenient(env.value("payload", ""), "payload");
    line("payload", std::to_string(payload.size()) + " bytes, SHA-256 " + hex(sha256(payload)));
    try {
        Json st = parse_strict(to_string(payload));
        std::printf("statement:\n%s\n", st.dump(2).c_str());
        print_dependencies(st);
    } catch (const Error& e) {
        line("payload JSON", e.what());
    }
}

void print_evidence(const Json& ev) {
    std::printf("Kettle evidence (%s)\n", ev.value("schema", "?").c_str());
    line("platform", ev.value("platform", "?"));
    line("report_data_layout", ev.value("report_data_layout", "?"));
    for (auto& c : ev.value("certificates", Json::array())) {
        std::printf("certificate '%s':\n", c.value("type", "?").c_str());
        print_cert(bundle::base64_decode_lenient(c.value("der", ""), "der", 64u << 10));
    }
    if (ev.contains("signing_key") && ev["signing_key"].is_string()) {
        auto k = x509::pem_blocks(ev["signing_key"].get<std::string>(), "PUBLIC KEY");
        if (k.size() == 1) line("signing key SPKI", "SHA-256 " + hex(sha256(k[0])));
    }
    Bytes rep = bundle::base64_decode_lenient(ev.value("report", ""), "report", 64u << 10);
    if (ev.value("platform", "") == "tdx") print_tdx_quote(rep);
    else if (!rep.empty()) print_snp_report(rep);
}

bool looks_tdx(ByteView b) { return b.size() >= 8 && (le16(b, 0) == 4 || le16(b, 0) == 5) && le32(b, 4) == 0x81; }

}  // namespace

int cmd_inspect(const Args& args) {
    if (args.size() == 2 && args[0] == "--json") {
        std::string p = fs::is_directory(args[1]) ? args[1] + "/provenance.intoto.jsonl" : args[1];
        std::string l = to_string(read_file_nofollow(p, 16u << 20));
        while (!l.empty() && (l.back() == '\n' || l.back() == '\r')) l.pop_back();
        std::printf("%s\n", dump_text(dependency_list(envelope_statement(parse_strict(l))), 2).c_str());
        return kOk;
    }
    if (args.size() != 1 || args[0] == "-h" || args[0] == "--help") {
        std::fputs(kHelp, args.size() == 1 ? stdout : stderr);
        return args.size() == 1 ? kOk : kUsage;
    }
    const std::string& path = args[0];
    if (fs::is_directory(path)) {
        std::printf("bundle %s\n", path.c_str());
        // The bundle is hostile: only regular files are read (never through a symlink, never a FIFO or a device).
        auto regular = [&](const std::string& p) {
            std::error_code ec;
            return fs::is_regular_file(fs::symlink_status(p, ec));
        };
        for (const char* f : {"provenance.intoto.jsonl", "evidence.json", "status.json", "build.log"}) {
            std::string p = path + "/" + f;
            std::error_code ec;
            bool there = fs::exists(fs::symlink_status(p, ec));
            line(f, regular(p)  ? "present, sha256 " + hex(sha256(read_file_nofollow(p, 1u << 30)))
                    : there     ? std::string("NOT A REGULAR FILE (not read)")
                                : std::string("MISSING"));
        }
        if (regular(path + "/evidence.json"))
            print_evidence(parse_strict(to_string(read_file_nofollow(path + "/evidence.json", 1u << 20))));
        if (regular(path + "/provenance.intoto.jsonl")) {
            std::string t = to_string(read_file_nofollow(path + "/provenance.intoto.jsonl", 16u << 20));
            std::string l = t;
            if (!l.empty() && l.back() == '\n') l.pop_back();
            print_envelope(parse_strict(l), t);
        }
        if (regular(path + "/status.json"))
            std::printf("status.json:\n%s\n",
                        parse_strict(to_string(read_file_nofollow(path + "/status.json", 1u << 20))).dump(2).c_str());
        return kOk;
    }
    Bytes b = read_file(path, 16u << 20);
    std::string_view sv(reinterpret_cast<const char*>(b.data()), b.size());
    // Binary evidence first: a TDX quote embeds a PEM chain.
    if (looks_tdx(b)) {
        print_tdx_quote(b);
        return kOk;
    }
    if (b.size() == snp::kReportSize && le32(b, 0) >= 2 && le32(b, 0) <= 5) {
        print_snp_report(b);
        return kOk;
    }
    if (sv.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos) {
        for (auto& d : x509::load_certs(b)) print_cert(d);
        return kOk;
    }
    if (!b.empty() && (b[0] == '{')) {
        std::string t(sv);
        std::string l = t;
        while (!l.empty() && (l.back() == '\n' || l.back() == '\r')) l.pop_back();
        Json j = parse_strict(l);
        if (j.contains("payloadType")) print_envelope(j, t);
        else if (j.value("schema", "") == "kettle-evidence/v1") print_evidence(j);
        else std::printf("JSON document:\n%s\n", j.dump(2).c_str());
        return kOk;
    }
    if (!b.empty() && b[0] == 0x30) {
        print_cert(b);
        return kOk;
    }
    throw Error("'" + path + "' is not a report, quote, certificate, envelope, evidence file or bundle");
}

}  // namespace kettle::cli

// The bundle's "evidence" row: evidence.json and the DSSE envelope, read with bounded sizes (see rows.hpp).
#include <algorithm>

#include <mbedtls/base64.h>

#include "fields.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/safe_read.hpp"
#include "kettle/core/x509.hpp"
#include "kettle/provenance/dsse.hpp"
#include "rows.hpp"

namespace kettle::bundle {

namespace {

// evidence.json "certificates": at most 16 of type vcek/vlek (at most one), ask, asvk or ark, each at most 64 KiB.
void read_certificates(Context& c, const Json& certs) {
    if (!certs.is_array() || certs.size() > 16) throw Error("evidence: certificates is not an array of at most 16");
    for (auto& cert : certs) {
        std::string type = str_member(cert, "type", "evidence: certificate");
        Bytes der = base64_decode_lenient(str_member(cert, "der", "evidence: certificate"), "evidence: certificate der", 64u << 10);
        if (type == "vcek" || type == "vlek") {
            if (c.vek) throw Error("evidence: more than one VCEK/VLEK");
            c.vek = std::move(der);
        } else if (type == "ask" || type == "asvk" || type == "ark") {
            c.certs.push_back(std::move(der));
        } else {
            throw Error("evidence: unknown certificate type '" + type + "'");
        }
    }
}

// evidence.json (docs/evidence.md): schema, platform (recorded in the summary as read), layout, report,
// certificates, signing key.
void read_evidence_json(Context& c) {
    Bytes ev = read_file_nofollow(c.dir + "/evidence.json", 4u << 20);
    c.evidence_text = to_string(ev);
    Json evidence;
    try {
        evidence = parse_strict(to_string(ev));
    } catch (const Error& e) {
        throw Error(std::string("evidence: evidence.json: ") + e.what());
    }
    if (!evidence.is_object()) throw Error("evidence: evidence.json is not an object");
    if (str_member(evidence, "schema", "evidence") != "kettle-evidence/v1")
        throw Error("evidence: schema is not kettle-evidence/v1");
    std::string& platform = c.summary.platform;
    platform = str_member(evidence, "platform", "evidence");
    if (platform != "snp" && platform != "sim-snp" && platform != "tdx" && platform != "none")
        throw Error("evidence: unknown platform '" + platform + "'");
    if (platform == "none") throw Error("evidence: platform 'none' carries no hardware evidence: nothing vouches for this build");
    if (str_member(evidence, "report_data_layout", "evidence") != "kettle-binding/v1")
        throw Error("evidence: report_data_layout is not kettle-binding/v1");
    c.report = base64_decode_lenient(str_member(evidence, "report", "evidence"), "evidence: report", 1u << 20);
    if (platform != "tdx" && c.report.size() != snp::kReportSize)
        throw Error("evidence: SNP report is " + std::to_string(c.report.size()) + " bytes, expected 1184");
    if (const Json* certs = member(evidence, "certificates")) read_certificates(c, *certs);
    auto keys = x509::pem_blocks(str_member(evidence, "signing_key", "evidence"), "PUBLIC KEY");
    if (keys.size() != 1) throw Error("evidence: signing_key must hold exactly one PUBLIC KEY PEM block");
    c.spki_der = keys[0];
}

// provenance.intoto.jsonl: one line, one DSSE envelope (DSSE v1 envelope.md) with the in-toto payloadType and exactly
// one signature. Records the file's SHA-256 in the summary.
void read_envelope(Context& c) {
    Bytes envelope_bytes = read_file_nofollow(c.dir + "/provenance.intoto.jsonl", 16u << 20);
    c.summary.envelope_sha256 = sha256(envelope_bytes);
    std::string line = to_string(envelope_bytes);
    if (!line.empty() && line.back() == '\n') line.pop_back();
    if (line.find('\n') != std::string::npos) throw Error("evidence: provenance.intoto.jsonl holds more than one line");
    Json env;
    try {
        env = parse_strict(line);
    } catch (const Error& e) {
        throw Error(std::string("evidence: provenance.intoto.jsonl: ") + e.what());
    }
    if (str_member(env, "payloadType", "evidence: envelope") != kInTotoPayloadType)
        throw Error("evidence: envelope payloadType is not application/vnd.in-toto+json");
    c.payload = base64_decode_lenient(str_member(env, "payload", "evidence: envelope"), "evidence: envelope payload");
    const Json* sigs = member(env, "signatures");
    if (!sigs || !sigs->is_array() || sigs->size() != 1) throw Error("evidence: envelope must carry exactly one signature");
    c.sig_der = base64_decode_lenient(str_member((*sigs)[0], "sig", "evidence: signature"), "evidence: signature", 256);
    if (const Json* k = member((*sigs)[0], "keyid")) {
        if (!k->is_string()) throw Error("evidence: keyid is not a string");
        c.keyid = k->get<std::string>();
    }
}

}  // namespace

Bytes base64_decode_lenient(std::string_view s, const char* what, std::size_t max_out) {
    std::string t(s);
    bool url = t.find_first_of("-_") != std::string::npos, std_ = t.find_first_of("+/") != std::string::npos;
    if (url && std_) throw Error(std::string(what) + ": mixed base64 alphabets");
    if (url) std::replace(t.begin(), t.end(), '-', '+'), std::replace(t.begin(), t.end(), '_', '/');
    while (t.size() % 4) t.push_back('=');
    if (t.size() / 4 * 3 > max_out + 3) throw Error(std::string(what) + ": larger than allowed");
    std::size_t olen = 0;
    Bytes out(t.size() / 4 * 3 + 1);
    int rc = mbedtls_base64_decode(out.data(), out.size(), &olen, reinterpret_cast<const unsigned char*>(t.data()), t.size());
    if (rc != 0 || t.find_first_of(" \t\r\n") != std::string::npos) throw Error(std::string(what) + ": invalid base64");
    out.resize(olen);
    if (out.size() > max_out) throw Error(std::string(what) + ": larger than allowed");
    return out;
}

namespace rows {

std::string evidence(Context& c) {
    read_evidence_json(c);
    read_envelope(c);
    return c.summary.platform + " evidence, " + std::to_string(c.report.size()) + "-byte report, " +
           std::to_string(c.payload.size()) + "-byte statement";
}

}  // namespace rows

}  // namespace kettle::bundle

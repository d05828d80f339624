#include "kettle/provenance/evidence.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include <mbedtls/oid.h>
#include <mbedtls/x509_crt.h>

#include "kettle/core/base64.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/json.hpp"

namespace kettle {

namespace {

using Guid = std::array<std::uint8_t, 16>;

Guid guid(const char* text) {
    Bytes b;
    std::string h;
    for (const char* p = text; *p; ++p)
        if (*p != '-') h += *p;
    b = unhex(h);
    Guid g{};
    std::memcpy(g.data(), b.data(), 16);
    return g;
}

const Guid kVcek = guid("63da758d-e664-4564-adc5-f4b93be8accd");
const Guid kVlek = guid("a8074bc2-a25a-483e-aae6-39c045a0b8a1");
const Guid kAsk = guid("4ab7b379-bbac-4fe4-a02f-05aef327c782");
const Guid kArk = guid("c0b406a4-a803-4952-9743-3fb6014cd0ae");

constexpr std::size_t kEntrySize = 24;
constexpr std::size_t kMaxEntries = 64;
constexpr std::size_t kMaxCert = 64 * 1024;

bool is_type(const std::string& t) {
    return t == "vcek" || t == "vlek" || t == "ask" || t == "asvk" || t == "ark";
}

bool is_platform(const std::string& p) { return p == "snp" || p == "tdx" || p == "sim-snp" || p == "none"; }

std::size_t bank_size(const std::string& bank) {
    if (bank == "sha1") return 20;
    if (bank == "sha256") return 32;
    if (bank == "sha384") return 48;
    if (bank == "sha512") return 64;
    return 0;
}

void check_boot(const BootEvidence& b) {
    if (b.logs.size() > 4) throw Error("evidence: more than 4 boot event logs");
    for (const auto& l : b.logs) {
        if (l.source != "ccel" && l.source != "tpm") throw Error("evidence: boot event log source \"" + l.source + "\"");
        if (l.format != "tcg2-crypto-agile") throw Error("evidence: boot event log format \"" + l.format + "\"");
        if (l.data.size() > kMaxBootEventLog) throw Error("evidence: boot event log larger than 1 MiB");
    }
    if (b.ccel_table.size() > 4096) throw Error("evidence: ccel_table larger than 4 KiB");
    for (const auto& [bank, pcrs] : b.registers.tpm_pcrs) {
        if (bank_size(bank) == 0) throw Error("evidence: unknown TPM bank \"" + bank + "\"");
        for (const auto& [i, v] : pcrs)
            if (i > 23 || v.size() != bank_size(bank)) throw Error("evidence: bad " + bank + " PCR " + std::to_string(i));
    }
    if (!b.registers.rtmrs.empty() &&
        (b.registers.rtmrs.size() != 4 ||
         std::any_of(b.registers.rtmrs.begin(), b.registers.rtmrs.end(), [](const Bytes& r) { return r.size() != 48; })))
        throw Error("evidence: rtmrs must be 4 values of 48 bytes");
}

Json boot_logs_json(const BootEvidence& b) {
    Json logs = Json::array();
    for (const auto& l : b.logs)
        logs.push_back({{"source", l.source}, {"format", l.format}, {"data", base64_encode(l.data)}, {"truncated", l.truncated}});
    return logs;
}

Json registers_json(const GuestRegisters& r) {
    Json pcrs = Json::object();
    for (const auto& [bank, values] : r.tpm_pcrs) {
        Json v = Json::object();
        for (const auto& [i, d] : values) v[std::to_string(i)] = hex(d);
        pcrs[bank] = v;
    }
    Json rtmrs = Json::array();
    for (const auto& x : r.rtmrs) rtmrs.push_back(hex(x));
    return {{"tpm_pcrs", pcrs}, {"rtmrs", rtmrs}};
}

const Json* member(const Json& o, const char* k, bool (Json::*is)() const noexcept) {
    auto it = o.find(k);
    if (it == o.end()) return nullptr;
    if (!((*it).*is)()) throw Error(std::string("evidence: \"") + k + "\" has the wrong type");
    return &*it;
}

std::uint32_t pcr_index(const std::string& k) {
    if (k.empty() || k.size() > 2 || k.find_first_not_of("0123456789") != std::string::npos || (k.size() == 2 && k[0] == '0'))
        throw Error("evidence: PCR index \"" + k + "\" is not 0..23");
    return static_cast<std::uint32_t>(std::stoul(k));
}

GuestRegisters parse_registers(const Json& g) {
    GuestRegisters r;
    if (const Json* pcrs = member(g, "tpm_pcrs", &Json::is_object)) {
        if (pcrs->size() > 4) throw Error("evidence: more than 4 TPM banks");
        for (const auto& [bank, values] : pcrs->items()) {
            if (!values.is_object() || values.size() > 24) throw Error("evidence: tpm_pcrs." + bank + " is not an object of <= 24 PCRs");
            for (const auto& [k, v] : values.items()) {
                if (!v.is_string() || v.get<std::string>().size() > 128) throw Error("evidence: PCR value is not hex");
                r.tpm_pcrs[bank][pcr_index(k)] = unhex(v.get<std::string>());
            }
        }
    }
    if (const Json* rtmrs = member(g, "rtmrs", &Json::is_array)) {
        if (rtmrs->size() > 4) throw Error("evidence: more than 4 rtmrs");
        for (const auto& v : *rtmrs) {
            if (!v.is_string() || v.get<std::string>().size() != 96) throw Error("evidence: rtmr is not 96 hex digits");
            r.rtmrs.push_back(unhex(v.get<std::string>()));
        }
    }
    return r;
}

BootEvidence parse_boot(const Json& j) {
    BootEvidence b;
    if (const Json* logs = member(j, "boot_event_logs", &Json::is_array)) {
        if (logs->size() > 4) throw Error("evidence: more than 4 boot event logs");
        for (const auto& e : *logs) {
            if (!e.is_object()) throw Error("evidence: boot event log is not an object");
            const Json* t = member(e, "truncated", &Json::is_boolean);
            BootEventLog l;
            for (const char* k : {"source", "format", "data"})
                if (!member(e, k, &Json::is_string)) throw Error(std::string("evidence: boot event log without \"") + k + "\"");
            l.source = e.at("source").get<std::string>();
            l.format = e.at("format").get<std::string>();
            l.data = base64_decode(e.at("data").get<std::string>(), "evidence: boot event log", false, kMaxBootEventLog);
            l.truncated = t && t->get<bool>();
            b.logs.push_back(std::move(l));
        }
    }
    if (const Json* t = member(j, "ccel_table", &Json::is_string))
        b.ccel_table = base64_decode(t->get<std::string>(), "evidence: ccel_table", false, 4096);
    if (const Json* g = member(j, "guest_registers", &Json::is_object)) b.registers = parse_registers(*g);
    check_boot(b);
    return b;
}

// True when the certificate's subject CN starts with "SEV-VLEK-" (the ASVK; see AMD KDS naming).
bool subject_is_asvk(ByteView der) {
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    bool asvk = false;
    if (mbedtls_x509_crt_parse_der(&crt, der.data(), der.size()) == 0) {
        for (const mbedtls_x509_name* n = &crt.subject; n; n = n->next) {
            if (MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) == 0) {
                std::string_view cn(reinterpret_cast<const char*>(n->val.p), n->val.len);
                asvk = cn.rfind("SEV-VLEK-", 0) == 0;
                break;
            }
        }
    }
    mbedtls_x509_crt_free(&crt);
    return asvk;
}

}  // namespace

std::vector<EvidenceCert> parse_snp_cert_table(ByteView table) {
    std::vector<EvidenceCert> out;
    if (table.empty()) return out;
    for (std::size_t i = 0;; ++i) {
        if (i > kMaxEntries) throw Error("cert table: more than 64 entries");
        std::size_t off = i * kEntrySize;
        if (off + kEntrySize > table.size()) throw Error("cert table: no all-zero terminator entry");
        ByteView e = slice(table, off, kEntrySize, "cert table");
        bool zero = true;
        for (auto b : e) zero = zero && b == 0;
        if (zero) break;
        Guid g{};
        std::memcpy(g.data(), e.data(), 16);
        std::uint64_t coff = le32(e, 16), clen = le32(e, 20);
        if (clen == 0) throw Error("cert table: entry " + std::to_string(i) + " has length 0");
        if (clen > kMaxCert) throw Error("cert table: entry " + std::to_string(i) + " is larger than 64 KiB");
        if (coff + clen > table.size()) throw Error("cert table: entry " + std::to_string(i) + " is out of bounds");
        std::string type;
        if (g == kVcek) type = "vcek";
        else if (g == kVlek) type = "vlek";
        else if (g == kAsk) type = "ask";
        else if (g == kArk) type = "ark";
        else continue;
        ByteView der = table.subspan(coff, clen);
        if (type == "ask" && subject_is_asvk(der)) type = "asvk";
        out.push_back({type, Bytes(der.begin(), der.end())});
    }
    return out;
}

Bytes build_snp_cert_table(const std::vector<EvidenceCert>& certs) {
    if (certs.size() > kMaxEntries) throw Error("cert table: more than 64 entries");
    Bytes out;
    std::size_t data_off = (certs.size() + 1) * kEntrySize;
    for (const auto& c : certs) {
        const Guid* g = nullptr;
        if (c.type == "vcek") g = &kVcek;
        else if (c.type == "vlek") g = &kVlek;
        else if (c.type == "ask" || c.type == "asvk") g = &kAsk;
        else if (c.type == "ark") g = &kArk;
        else throw Error("cert table: unknown certificate type \"" + c.type + "\"");
        out.insert(out.end(), g->begin(), g->end());
        put_le32(out, static_cast<std::uint32_t>(data_off));
        put_le32(out, static_cast<std::uint32_t>(c.der.size()));
        data_off += c.der.size();
    }
    out.resize(out.size() + kEntrySize, 0);
    for (const auto& c : certs) out.insert(out.end(), c.der.begin(), c.der.end());
    return out;
}

std::string evidence_json(const Evidence& ev) {
    if (!is_platform(ev.platform)) throw Error("evidence: unknown platform \"" + ev.platform + "\"");
    Json certs = Json::array();
    for (const auto& c : ev.certificates) {
        if (!is_type(c.type)) throw Error("evidence: unknown certificate type \"" + c.type + "\"");
        certs.push_back({{"type", c.type}, {"der", base64_encode(c.der)}});
    }
    check_boot(ev.boot);
    Json j = {{"schema", kEvidenceSchema},
              {"platform", ev.platform},
              {"report_data_layout", ev.report_data_layout},
              {"report", base64_encode(ev.report)},
              {"certificates", certs},
              {"signing_key", ev.signing_key_pem},
              {"boot_event_logs", boot_logs_json(ev.boot)},
              {"ccel_table", base64_encode(ev.boot.ccel_table)},
              {"guest_registers", registers_json(ev.boot.registers)}};
    return jcs(j) + "\n";
}

Evidence parse_evidence(std::string_view text) {
    if (text.size() > (std::size_t{8} << 20)) throw Error("evidence: file larger than 8 MiB");
    Json j = parse_strict(text);
    if (!j.is_object()) throw Error("evidence: not a JSON object");
    auto str = [&](const Json& o, const char* k) {
        auto it = o.find(k);
        if (it == o.end() || !it->is_string()) throw Error(std::string("evidence: missing string \"") + k + "\"");
        return it->get<std::string>();
    };
    if (str(j, "schema") != kEvidenceSchema) throw Error("evidence: schema is not \"kettle-evidence/v1\"");
    Evidence ev;
    ev.platform = str(j, "platform");
    if (!is_platform(ev.platform)) throw Error("evidence: unknown platform \"" + ev.platform + "\"");
    ev.report_data_layout = str(j, "report_data_layout");
    ev.report = base64_decode(str(j, "report"), "evidence: report", false, std::size_t{1} << 20);
    ev.signing_key_pem = str(j, "signing_key");
    if (ev.signing_key_pem.size() > 4096) throw Error("evidence: signing_key too large");
    auto c = j.find("certificates");
    if (c == j.end() || !c->is_array()) throw Error("evidence: missing \"certificates\" array");
    if (c->size() > 16) throw Error("evidence: more than 16 certificates");
    for (const auto& e : *c) {
        if (!e.is_object()) throw Error("evidence: certificate entry is not an object");
        EvidenceCert ec{str(e, "type"), base64_decode(str(e, "der"), "evidence: certificate", false, kMaxCert)};
        if (!is_type(ec.type)) throw Error("evidence: unknown certificate type \"" + ec.type + "\"");
        ev.certificates.push_back(std::move(ec));
    }
    ev.boot = parse_boot(j);
    return ev;
}

}  // namespace kettle

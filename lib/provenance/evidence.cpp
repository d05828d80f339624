#include "kettle/provenance/evidence.hpp"

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
    Json j = {{"schema", kEvidenceSchema},
              {"platform", ev.platform},
              {"report_data_layout", ev.report_data_layout},
              {"report", base64_encode(ev.report)},
              {"certificates", certs},
              {"signing_key", ev.signing_key_pem}};
    return jcs(j) + "\n";
}

Evidence parse_evidence(std::string_view text) {
    if (text.size() > (std::size_t{4} << 20)) throw Error("evidence: file larger than 4 MiB");
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
    return ev;
}

}  // namespace kettle

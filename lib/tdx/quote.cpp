// Intel TDX DCAP quote v4/v5 parsing and offline verification (see tdx_quote.hpp).
#include "kettle/tdx/quote.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>

#include <mbedtls/asn1.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crl.h>
#include <mbedtls/x509_crt.h>

#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/json.hpp"
#include "kettle/core/safe_read.hpp"
#include "kettle/core/x509.hpp"

namespace fs = std::filesystem;

namespace kettle::tdx {

namespace {

// Intel SGX Root CA (public; https://certificates.trustedservices.intel.com/IntelSGXRootCA.der), pinned by
// kIntelRootSha256.
const char* const kIntelRootPem = R"pem(-----BEGIN CERTIFICATE-----
MIICjzCCAjSgAwIBAgIUImUM1lqdNInzg7SVUr9QGzknBqwwCgYIKoZIzj0EAwIw
aDEaMBgGA1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENv
cnBvcmF0aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJ
BgNVBAYTAlVTMB4XDTE4MDUyMTEwNDUxMFoXDTQ5MTIzMTIzNTk1OVowaDEaMBgG
A1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENvcnBvcmF0
aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJBgNVBAYT
AlVTMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEC6nEwMDIYZOj/iPWsCzaEKi7
1OiOSLRFhWGjbnBVJfVnkY4u3IjkDYYL0MxO4mqsyYjlBalTVYxFP2sJBK5zlKOB
uzCBuDAfBgNVHSMEGDAWgBQiZQzWWp00ifODtJVSv1AbOScGrDBSBgNVHR8ESzBJ
MEegRaBDhkFodHRwczovL2NlcnRpZmljYXRlcy50cnVzdGVkc2VydmljZXMuaW50
ZWwuY29tL0ludGVsU0dYUm9vdENBLmRlcjAdBgNVHQ4EFgQUImUM1lqdNInzg7SV
Ur9QGzknBqwwDgYDVR0PAQH/BAQDAgEGMBIGA1UdEwEB/wQIMAYBAf8CAQEwCgYI
KoZIzj0EAwIDSQAwRgIhAOW/5QkR+S9CiSDcNoowLuPRLsWGf/Yi7GSX94BgwTwg
AiEA4J0lrHoMs+Xo5o/sX6O9QWxHRAvZUGOdRQ7cvqRXaqI=
-----END CERTIFICATE-----
)pem";

template <std::size_t N>
void get(std::array<std::uint8_t, N>& a, ByteView b, std::size_t off, const char* what) {
    auto s = slice(b, off, N, what);
    std::copy(s.begin(), s.end(), a.begin());
}

TdReportBody parse_body(ByteView b, bool td15) {
    TdReportBody r;
    const char* w = "quote: TD report body";
    get(r.tee_tcb_svn, b, 0x000, w);
    get(r.mr_seam, b, 0x010, w);
    get(r.mr_signer_seam, b, 0x040, w);
    get(r.seam_attributes, b, 0x070, w);
    get(r.td_attributes, b, 0x078, w);
    get(r.xfam, b, 0x080, w);
    get(r.mr_td, b, 0x088, w);
    get(r.mr_config_id, b, 0x0B8, w);
    get(r.mr_owner, b, 0x0E8, w);
    get(r.mr_owner_config, b, 0x118, w);
    for (std::size_t i = 0; i < 4; ++i) get(r.rtmr[i], b, 0x148 + 0x30 * i, w);
    get(r.report_data, b, 0x208, w);
    r.td15 = td15;
    if (td15) {
        get(r.tee_tcb_svn2, b, 0x248, w);
        get(r.mr_service_td, b, 0x258, w);
    }
    return r;
}

// Raw text of the value of top-level member `key` of a JSON object text (the signed bytes of Intel collateral).
std::string raw_member(const std::string& t, const std::string& key) {
    std::size_t i = 0, n = t.size();
    auto ws = [&] { while (i < n && (t[i] == ' ' || t[i] == '\n' || t[i] == '\r' || t[i] == '\t')) ++i; };
    auto skip_string = [&] {
        std::size_t st = ++i;
        while (i < n && t[i] != '"') i += (t[i] == '\\') ? 2 : 1;
        if (i >= n) throw Error("collateral: unterminated string");
        return t.substr(st, i++ - st);
    };
    auto skip_value = [&] {
        std::size_t st = i;
        if (i < n && t[i] == '"') {
            skip_string();
            return t.substr(st, i - st);
        }
        if (i < n && (t[i] == '{' || t[i] == '[')) {
            int depth = 0;
            while (i < n) {
                char c = t[i];
                if (c == '"') {
                    skip_string();
                    continue;
                }
                if (c == '{' || c == '[') ++depth;
                if (c == '}' || c == ']') {
                    if (--depth == 0) return t.substr(st, ++i - st);
                }
                ++i;
            }
            throw Error("collateral: truncated JSON");
        }
        while (i < n && t[i] != ',' && t[i] != '}' && t[i] != ']' && t[i] != ' ' && t[i] != '\n') ++i;
        return t.substr(st, i - st);
    };
    ws();
    if (i >= n || t[i] != '{') throw Error("collateral: not a JSON object");
    ++i;
    while (true) {
        ws();
        if (i < n && t[i] == '}') break;
        if (i >= n || t[i] != '"') throw Error("collateral: bad object member");
        std::string k = skip_string();
        ws();
        if (i >= n || t[i] != ':') throw Error("collateral: bad object member");
        ++i;
        ws();
        std::string v = skip_value();
        if (k == key) return v;
        ws();
        if (i < n && t[i] == ',') { ++i; continue; }
        break;
    }
    throw Error("collateral: no '" + key + "' member");
}

std::string upper(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

// Verify Intel collateral JSON `text` whose member `key` is signed (hex r||s in "signature") by the TCB signing
// chain (leaf + pinned root). Returns the parsed signed object.
Json verify_signed_collateral(const std::string& text, const std::string& key, const Bytes& chain_pem,
                              std::int64_t now, const char* what) {
    Json whole = parse_strict(text);
    std::string raw = raw_member(text, key);
    Json obj = parse_strict(raw);
    if (!whole.contains(key) || whole[key] != obj) throw Error(std::string(what) + ": signed member mismatch");
    if (!whole.contains("signature") || !whole["signature"].is_string()) throw Error(std::string(what) + ": no signature");
    Bytes sig = unhex(whole["signature"].get<std::string>());
    if (sig.size() != 64) throw Error(std::string(what) + ": signature is not 64 bytes");
    auto certs = x509::load_certs(chain_pem, "TCB signing chain");
    if (certs.empty()) throw Error(std::string(what) + ": empty TCB signing chain");
    x509::Cert leaf = x509::Cert::parse(certs[0], "TCB signing certificate");
    x509::Cert root = x509::Cert::parse(intel_root_der(), "Intel root");
    x509::verify_signed_by(leaf, root, std::string(what) + ": TCB signing certificate");
    x509::check_validity(leaf, now, what);
    Bytes h = sha256(raw);
    if (!x509::ecdsa_verify_cert(leaf, h, ByteView(sig.data(), 32), ByteView(sig.data() + 32, 32)))
        throw Error(std::string(what) + ": signature over '" + key + "' does not verify");
    return obj;
}

bool verify_crl(const Bytes& der, const x509::Cert& issuer, const x509::Cert& subject, const char* what) {
    mbedtls_x509_crl crl;
    mbedtls_x509_crl_init(&crl);
    struct Free { mbedtls_x509_crl* c; ~Free() { mbedtls_x509_crl_free(c); } } f{&crl};
    if (mbedtls_x509_crl_parse_der(&crl, der.data(), der.size()) != 0) throw Error(std::string(what) + ": CRL does not parse");
    const mbedtls_x509_crt* is = issuer.raw();
    if (crl.issuer_raw.len != is->subject_raw.len || std::memcmp(crl.issuer_raw.p, is->subject_raw.p, crl.issuer_raw.len) != 0)
        return false;  // not this issuer's CRL
    auto md = crl.MBEDTLS_PRIVATE(sig_md);
    const mbedtls_md_info_t* mi = mbedtls_md_info_from_type(md);
    unsigned char h[64];
    if (!mi || mbedtls_md(mi, crl.tbs.p, crl.tbs.len, h) != 0) throw Error(std::string(what) + ": CRL hash");
    if (mbedtls_pk_verify_ext(crl.MBEDTLS_PRIVATE(sig_pk), crl.MBEDTLS_PRIVATE(sig_opts), &issuer.raw()->pk, md, h,
                              mbedtls_md_get_size(mi), crl.MBEDTLS_PRIVATE(sig).p, crl.MBEDTLS_PRIVATE(sig).len) != 0)
        throw Error(std::string(what) + ": CRL signature does not verify under " + issuer.subject_cn());
    if (mbedtls_x509_crt_is_revoked(subject.raw(), &crl)) throw Error(std::string(what) + ": '" + subject.subject_cn() + "' is revoked");
    return true;
}

const char* kSgxExt = "1.2.840.113741.1.13.1";

}  // namespace

const Bytes& intel_root_der() {
    static const Bytes der = [] {
        auto v = x509::pem_blocks(kIntelRootPem, "CERTIFICATE");
        if (v.size() != 1 || hex(sha256(v[0])) != kIntelRootSha256) throw Error("built-in Intel SGX Root CA is damaged");
        return v[0];
    }();
    return der;
}

Quote Quote::parse(ByteView b) {
    if (b.size() > (1u << 20)) throw Error("quote: larger than 1 MiB");
    Quote q;
    q.version = le16(b, 0);
    q.att_key_type = le16(b, 2);
    q.tee_type = le32(b, 4);
    get(q.qe_vendor_id, b, 12, "quote: header");
    get(q.user_data, b, 28, "quote: header");
    std::size_t body_off;
    if (q.version == 4) {
        body_off = 48;
        q.body_type = 2;
        q.body_size = 584;
    } else if (q.version == 5) {
        q.body_type = le16(b, 48);
        q.body_size = le32(b, 50);
        body_off = 54;
        if (!((q.body_type == 2 && q.body_size == 584) || (q.body_type == 3 && q.body_size == 648)))
            throw Error("quote: v5 body type " + std::to_string(q.body_type) + " size " + std::to_string(q.body_size) +
                        " is not a TD 1.0 (2/584) or TD 1.5 (3/648) report");
    } else {
        throw Error("quote: version " + std::to_string(q.version) + " is not 4 or 5");
    }
    ByteView body = slice(b, body_off, q.body_size, "quote: body");
    q.body = parse_body(body, q.body_type == 3);
    std::size_t end = body_off + q.body_size;
    auto signed_view = slice(b, 0, end, "quote");
    q.signed_region.assign(signed_view.begin(), signed_view.end());
    std::uint32_t sig_len = le32(b, end);
    ByteView sd = slice(b, end + 4, sig_len, "quote: signature data");
    get(q.signature, sd, 0, "quote: signature");
    get(q.attestation_key, sd, 64, "quote: attestation key");
    q.cert_type = le16(sd, 128);
    std::uint32_t cert_size = le32(sd, 130);
    ByteView cd = slice(sd, 134, cert_size, "quote: certification data");
    if (q.cert_type != 6) throw Error("quote: certification data type " + std::to_string(q.cert_type) + " is not 6 (QE report)");
    get(q.qe_report, cd, 0, "quote: QE report");
    get(q.qe_report_signature, cd, 384, "quote: QE report signature");
    std::uint16_t auth_len = le16(cd, 448);
    ByteView auth = slice(cd, 450, auth_len, "quote: QE auth data");
    q.qe_auth_data.assign(auth.begin(), auth.end());
    std::size_t p = 450 + auth_len;
    q.pck_cert_type = le16(cd, p);
    std::uint32_t inner = le32(cd, p + 2);
    ByteView pem = slice(cd, p + 6, inner, "quote: PCK certification data");
    q.pck_chain_pem.assign(pem.begin(), pem.end());
    return q;
}

Collateral load_collateral(const std::string& dir, bool follow_symlinks) {
    Collateral c;
    std::error_code ec;
    for (auto& e : fs::directory_iterator(dir, ec)) {
        if (follow_symlinks ? !e.is_regular_file() : !fs::is_regular_file(e.symlink_status())) continue;
        std::string n = e.path().filename().string();
        auto rd = [&] {
            return follow_symlinks ? read_file(e.path().string(), 4u << 20) : read_file_nofollow(e.path().string(), 4u << 20);
        };
        if (n.rfind("tcbinfo", 0) == 0 && n.size() > 5 && n.substr(n.size() - 5) == ".json") c.tcb_info_json = to_string(rd());
        else if (n.rfind("qe_identity", 0) == 0 && n.substr(n.size() - 5) == ".json") c.qe_identity_json = to_string(rd());
        else if (n == "tcb_signing_chain.pem") c.tcb_signing_chain_pem = rd();
        else if (n.rfind("pckcrl", 0) == 0 && n.find(".pem") == std::string::npos) c.pck_crl_der = rd();
        else if (n.rfind("rootcrl", 0) == 0) c.root_crl_der = rd();
    }
    if (ec) throw Error("collateral: cannot read " + dir + ": " + ec.message());
    return c;
}

PckInfo decode_pck_extension(ByteView pck_der) {
    x509::Cert c = x509::Cert::parse(pck_der, "PCK certificate");
    const x509::Extension* e = c.extension(kSgxExt);
    if (!e) throw Error("PCK certificate: no SGX extension 1.2.840.113741.1.13.1");
    PckInfo info;
    info.sgx_tcb.fill(-1);
    unsigned char* p = const_cast<unsigned char*>(e->value.data());
    const unsigned char* end = p + e->value.size();
    std::size_t len = 0;
    auto fail = [] { return Error("PCK certificate: malformed SGX extension"); };
    if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0 || p + len != end) throw fail();
    auto oid_str = [&](unsigned char** q, const unsigned char* qend) {
        std::size_t l = 0;
        if (mbedtls_asn1_get_tag(q, qend, &l, MBEDTLS_ASN1_OID) != 0) throw fail();
        mbedtls_asn1_buf b{MBEDTLS_ASN1_OID, l, *q};
        char buf[96];
        if (mbedtls_oid_get_numeric_string(buf, sizeof buf, &b) < 0) throw fail();
        *q += l;
        return std::string(buf);
    };
    while (p < end) {
        if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0) throw fail();
        const unsigned char* item_end = p + len;
        std::string oid = oid_str(&p, item_end);
        if (oid == std::string(kSgxExt) + ".2") {
            std::size_t l2 = 0;
            if (mbedtls_asn1_get_tag(&p, item_end, &l2, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0) throw fail();
            while (p < item_end) {
                std::size_t l3 = 0;
                if (mbedtls_asn1_get_tag(&p, item_end, &l3, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0) throw fail();
                const unsigned char* comp_end = p + l3;
                std::string coid = oid_str(&p, comp_end);
                std::string prefix = std::string(kSgxExt) + ".2.";
                if (coid.rfind(prefix, 0) == 0) {
                    int idx = std::stoi(coid.substr(prefix.size()));
                    if (idx >= 1 && idx <= 17) {
                        int v = 0;
                        if (mbedtls_asn1_get_int(&p, comp_end, &v) != 0) throw fail();
                        if (idx <= 16) info.sgx_tcb[static_cast<std::size_t>(idx - 1)] = v;
                        else info.pcesvn = v;
                    }
                }
                p = const_cast<unsigned char*>(comp_end);
            }
        } else if (oid == std::string(kSgxExt) + ".4") {
            std::size_t l2 = 0;
            if (mbedtls_asn1_get_tag(&p, item_end, &l2, MBEDTLS_ASN1_OCTET_STRING) != 0 || l2 != 6) throw fail();
            info.fmspc.assign(p, p + 6);
        }
        p = const_cast<unsigned char*>(item_end);
    }
    if (info.fmspc.size() != 6 || info.pcesvn < 0) throw fail();
    for (int v : info.sgx_tcb)
        if (v < 0) throw fail();
    return info;
}

Result verify_quote(ByteView raw, const Collateral* col, const TdxPolicy& policy, std::int64_t now) {
    Result res;
    bool stop = false;
    auto step = [&](const char* name, auto&& fn) {
        if (stop) return;
        try {
            res.checks.push_back({name, true, fn()});
        } catch (const Error& e) {
            res.checks.push_back({name, false, e.what()});
            stop = true;
        } catch (const std::exception& e) {  // e.g. a collateral JSON field of the wrong type
            res.checks.push_back({name, false, std::string(name) + ": malformed input (" + e.what() + ")"});
            stop = true;
        }
    };
    step("evidence", [&] {
        res.quote = Quote::parse(raw);
        return "TDX quote v" + std::to_string(res.quote->version) + ", " + std::to_string(raw.size()) + " bytes";
    });
    if (stop) return res;
    const Quote& q = *res.quote;
    step("quote-format", [&] {
        if (q.att_key_type != 2) throw Error("quote-format: attestation key type " + std::to_string(q.att_key_type) + " is not 2 (ECDSA P-256)");
        if (q.tee_type != 0x81) throw Error("quote-format: TEE type is not 0x81 (TDX)");
        if (hex(q.qe_vendor_id) != kIntelQeVendorId) throw Error("quote-format: QE vendor id is not Intel's");
        if (q.pck_cert_type != 5) throw Error("quote-format: inner certification data type " + std::to_string(q.pck_cert_type) + " is not 5 (PCK chain)");
        return std::string("ECDSA P-256 attestation key, QE report certification data, body type ") + std::to_string(q.body_type);
    });
    std::optional<x509::Cert> pck, inter;
    step("pck-chain", [&] {
        auto certs = x509::pem_blocks(to_string(q.pck_chain_pem), "CERTIFICATE");
        if (certs.size() != 3) throw Error("pck-chain: expected PCK, intermediate CA and root, got " + std::to_string(certs.size()));
        if (certs[2] != intel_root_der()) throw Error("pck-chain: root is not the pinned Intel SGX Root CA");
        pck = x509::Cert::parse(certs[0], "PCK certificate");
        inter = x509::Cert::parse(certs[1], "PCK issuer CA");
        x509::Cert root = x509::Cert::parse(intel_root_der(), "Intel SGX Root CA");
        x509::verify_signed_by(*pck, *inter, "pck-chain: PCK");
        x509::verify_signed_by(*inter, root, "pck-chain: " + inter->subject_cn());
        x509::verify_signed_by(root, root, "pck-chain: root self-signature");
        for (const x509::Cert* c : {&*pck, &*inter, &root}) x509::check_validity(*c, now, "pck-chain");
        std::string crls;
        if (col && !col->pck_crl_der.empty()) {
            crls += verify_crl(col->pck_crl_der, *inter, *pck, "pck-chain") ? " PCK CRL" : " (PCK CRL of another CA ignored)";
        }
        if (col && !col->root_crl_der.empty()) {
            crls += verify_crl(col->root_crl_der, root, *inter, "pck-chain") ? " root CRL" : " (root CRL of another CA ignored)";
        }
        PckInfo info = decode_pck_extension(certs[0]);
        res.fmspc = hex(info.fmspc);
        return pck->subject_cn() + " <- " + inter->subject_cn() + " <- Intel SGX Root CA, FMSPC " + res.fmspc +
               (crls.empty() ? ", no CRLs given" : ", checked" + crls);
    });
    step("qe-report", [&] {
        Bytes h = sha256(ByteView(q.qe_report.data(), q.qe_report.size()));
        if (!x509::ecdsa_verify_cert(*pck, h, ByteView(q.qe_report_signature.data(), 32), ByteView(q.qe_report_signature.data() + 32, 32)))
            throw Error("qe-report: QE report signature does not verify with the PCK key");
        Hasher hh(HashAlg::sha256);
        hh.update(ByteView(q.attestation_key.data(), 64));
        hh.update(q.qe_auth_data);
        Bytes want = hh.finish();
        want.resize(64, 0);
        if (!equal_ct(want, ByteView(q.qe_report.data() + 0x140, 64)))
            throw Error("qe-report: QE REPORTDATA != SHA-256(attestation key || QE auth data) || 0^32");
        std::string extra;
        if (col && !col->qe_identity_json.empty()) {
            Json id = verify_signed_collateral(col->qe_identity_json, "enclaveIdentity", col->tcb_signing_chain_pem, now, "qe-report: QE identity");
            if (id.value("id", "") != "TD_QE") throw Error("qe-report: QE identity id is not TD_QE");
            if (now < x509::parse_rfc3339(id.value("issueDate", "")))
                throw Error("qe-report: QE identity is not yet valid");
            if (now > x509::parse_rfc3339(id.value("nextUpdate", "")))
                throw Error("qe-report: QE identity has expired (nextUpdate " + id.value("nextUpdate", "") + ")");
            if (upper(hex(ByteView(q.qe_report.data() + 0x80, 32))) != upper(id.value("mrsigner", "")))
                throw Error("qe-report: QE MRSIGNER does not match the QE identity");
            if (static_cast<int>(le16(q.qe_report, 0x100)) != id.value("isvprodid", -1)) throw Error("qe-report: QE ISVPRODID does not match");
            Bytes mask = unhex(id.value("miscselectMask", "")), ms = unhex(id.value("miscselect", ""));
            Bytes amask = unhex(id.value("attributesMask", "")), at = unhex(id.value("attributes", ""));
            if (mask.size() != 4 || ms.size() != 4 || amask.size() != 16 || at.size() != 16) throw Error("qe-report: malformed QE identity masks");
            for (std::size_t i = 0; i < 4; ++i)
                if ((q.qe_report[0x10 + i] & mask[i]) != ms[i]) throw Error("qe-report: QE MISCSELECT does not match");
            for (std::size_t i = 0; i < 16; ++i)
                if ((q.qe_report[0x30 + i] & amask[i]) != at[i]) throw Error("qe-report: QE ATTRIBUTES do not match");
            std::string status = "no matching level";
            int isvsvn = le16(q.qe_report, 0x102);
            for (auto& lvl : id.at("tcbLevels"))
                if (isvsvn >= lvl.at("tcb").at("isvsvn").get<int>()) {
                    status = lvl.at("tcbStatus").get<std::string>();
                    break;
                }
            if (status != "UpToDate") throw Error("qe-report: QE identity TCB status is " + status);
            extra = ", QE identity TD_QE isvsvn " + std::to_string(isvsvn) + " UpToDate";
        }
        return "signed by the PCK, binds the attestation key" + extra;
    });
    step("quote-signature", [&] {
        Bytes spki = x509::p256_spki_from_xy(ByteView(q.attestation_key.data(), 64));
        Bytes h = sha256(q.signed_region);
        if (!x509::ecdsa_verify_spki(spki, h, ByteView(q.signature.data(), 32), ByteView(q.signature.data() + 32, 32)))
            throw Error("quote-signature: ECDSA P-256 signature over header and TD report does not verify");
        return "ECDSA P-256 over " + std::to_string(q.signed_region.size()) + " bytes";
    });
    step("tcb", [&] {
        if (!col || col->tcb_info_json.empty()) {
            if (policy.require_collateral) throw Error("tcb: no TCB info collateral given (--collateral DIR)");
            return std::string("not evaluated (no collateral)");
        }
        Json ti = verify_signed_collateral(col->tcb_info_json, "tcbInfo", col->tcb_signing_chain_pem, now, "tcb: TCB info");
        if (ti.value("id", "") != "TDX") throw Error("tcb: TCB info id is not TDX");
        if (upper(ti.value("fmspc", "")) != upper(res.fmspc)) throw Error("tcb: TCB info is for FMSPC " + ti.value("fmspc", "") + ", the PCK says " + res.fmspc);
        std::int64_t issue = x509::parse_rfc3339(ti.value("issueDate", "")), next = x509::parse_rfc3339(ti.value("nextUpdate", ""));
        if (now < issue) throw Error("tcb: tcbInfo is not yet valid");
        if (now > next) throw Error("tcb: tcbInfo has expired (nextUpdate " + ti.value("nextUpdate", "") + ")");
        PckInfo info = decode_pck_extension(pck->der());
        std::string status = "TCB level not supported";
        for (auto& lvl : ti.at("tcbLevels")) {
            const Json& t = lvl.at("tcb");
            bool ok = t.at("pcesvn").get<int>() <= info.pcesvn;
            auto& sgx = t.at("sgxtcbcomponents");
            auto& tdxc = t.at("tdxtcbcomponents");
            for (std::size_t i = 0; i < 16 && ok; ++i) ok = sgx.at(i).at("svn").get<int>() <= info.sgx_tcb[i];
            for (std::size_t i = 0; i < 16 && ok; ++i) ok = tdxc.at(i).at("svn").get<int>() <= q.body.tee_tcb_svn[i];
            if (ok) {
                status = lvl.at("tcbStatus").get<std::string>();
                break;
            }
        }
        res.tcb_status = status;
        if (std::find(policy.accepted_tcb_status.begin(), policy.accepted_tcb_status.end(), status) == policy.accepted_tcb_status.end())
            throw Error("tcb: TCB status '" + status + "' is not accepted");
        return "TCB info signed by Intel, FMSPC " + res.fmspc + ", status " + status;
    });
    step("policy", [&] {
        const TdReportBody& b = q.body;
        if (b.debug() && !policy.allow_debug) throw Error("policy: TD_ATTRIBUTES has DEBUG set");
        auto in = [](const std::vector<Bytes>& allowed, ByteView v) {
            return std::any_of(allowed.begin(), allowed.end(), [&](const Bytes& a) { return equal_ct(a, v); });
        };
        if (!policy.mr_td.empty() && !in(policy.mr_td, b.mr_td)) throw Error("policy: MRTD " + hex(b.mr_td) + " is not allowed");
        for (std::size_t i = 0; i < 4; ++i)
            if (!policy.rtmr[i].empty() && !in(policy.rtmr[i], b.rtmr[i]))
                throw Error("policy: RTMR" + std::to_string(i) + " " + hex(b.rtmr[i]) + " is not allowed");
        if (policy.mr_config_id_prefix &&
            (policy.mr_config_id_prefix->size() > 48 || !equal_ct(*policy.mr_config_id_prefix, ByteView(b.mr_config_id.data(), policy.mr_config_id_prefix->size()))))
            throw Error("policy: MRCONFIGID does not match");
        if (policy.report_data && !equal_ct(*policy.report_data, ByteView(b.report_data.data(), 64)))
            throw Error("policy: REPORTDATA does not match");
        return std::string("debug off, MRTD/RTMR as required");
    });
    res.ok = !stop;
    return res;
}

}  // namespace kettle::tdx

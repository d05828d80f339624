// Intel TDX collateral (see collateral.hpp): reading a collateral directory, the signed members of Intel's TCB info
// and QE identity JSON, and CRLs.
#include "collateral.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crl.h>
#include <mbedtls/x509_crt.h>

#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/safe_read.hpp"

namespace fs = std::filesystem;

namespace kettle::tdx {

namespace {

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

}  // namespace

const x509::Cert& intel_root() {
    static const x509::Cert root = x509::Cert::parse(intel_root_der(), "Intel SGX Root CA");
    return root;
}

x509::Cert trusted_issuer_root(const x509::Cert& child, const std::vector<Bytes>& trust_roots, const std::string& what) {
    auto signed_by = [&](const x509::Cert& root) {
        if (child.issuer() != root.subject()) return false;
        try {
            x509::verify_signed_by(child, root, what);
            return true;
        } catch (const Error&) {
            return false;
        }
    };
    if (signed_by(intel_root())) return intel_root();
    for (const Bytes& der : trust_roots) {
        x509::Cert r = x509::Cert::parse(der, "--trust-root");
        if (signed_by(r)) return r;
    }
    throw Error(what + ": '" + child.subject_cn() + "' is not signed by the Intel SGX Root CA or a --trust-root");
}

x509::Cert tcb_signing_cert(const Bytes& chain_pem, const Bytes& root_crl_der, const std::vector<Bytes>& trust_roots,
                            std::int64_t now, const std::string& what, VerifiedCrls* crls) {
    auto certs = x509::load_certs(chain_pem, "TCB signing chain");
    if (certs.empty()) throw Error(what + ": empty TCB signing chain");
    x509::Cert leaf = x509::Cert::parse(certs[0], "TCB signing certificate");
    if (leaf.subject_cn() != "Intel SGX TCB Signing")
        throw Error(what + ": signing certificate CN '" + leaf.subject_cn() + "' is not 'Intel SGX TCB Signing'");
    if (leaf.is_ca()) throw Error(what + ": the TCB signing certificate is a CA");
    if (!mbedtls_x509_crt_has_ext_type(leaf.raw(), MBEDTLS_X509_EXT_KEY_USAGE) ||
        mbedtls_x509_crt_check_key_usage(leaf.raw(), MBEDTLS_X509_KU_DIGITAL_SIGNATURE) != 0)
        throw Error(what + ": the TCB signing certificate's keyUsage lacks digitalSignature");
    x509::Cert root = trusted_issuer_root(leaf, trust_roots, what + ": TCB signing certificate");
    x509::check_validity(leaf, now, what + ": TCB signing certificate");
    if (root_crl_der.empty()) throw Error(what + ": no root CA CRL (rootcrl) to check the TCB signing certificate against");
    verify_crl(root_crl_der, root, leaf, now, (what + ": root CRL").c_str(), crls);
    return leaf;
}

Json verify_signed_collateral(const std::string& text, const std::string& key, const x509::Cert& signer, const char* what) {
    // One parse: parse_strict rejects duplicate member names, so the top-level member `key` whose exact text
    // raw_member returns (the signed bytes) is the one value of that name in `whole`: no second parse of it.
    Json whole = parse_strict(text);
    std::string raw = raw_member(text, key);
    if (!whole.is_object() || !whole.contains(key) || !whole[key].is_object())
        throw Error(std::string(what) + ": no '" + key + "' object");
    if (!whole.contains("signature") || !whole["signature"].is_string()) throw Error(std::string(what) + ": no signature");
    Bytes sig = unhex(whole["signature"].get<std::string>());
    if (sig.size() != 64) throw Error(std::string(what) + ": signature is not 64 bytes");
    Bytes h = sha256(raw);
    if (!x509::ecdsa_verify_cert(signer, h, ByteView(sig.data(), 32), ByteView(sig.data() + 32, 32)))
        throw Error(std::string(what) + ": signature over '" + key + "' does not verify");
    return std::move(whole[key]);
}

namespace {

std::string rfc3339_of(const mbedtls_x509_time& t) {
    char b[32];
    std::snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02dZ", t.year, t.mon, t.day, t.hour, t.min, t.sec);
    return b;
}

}  // namespace

CrlDates verify_crl(const Bytes& der, const x509::Cert& issuer, const x509::Cert& subject, std::int64_t now, const char* what,
                    VerifiedCrls* crls) {
    const std::string w(what);
    mbedtls_x509_crl crl;
    mbedtls_x509_crl_init(&crl);
    struct Free { mbedtls_x509_crl* c; ~Free() { mbedtls_x509_crl_free(c); } } f{&crl};
    if (der.size() > (4u << 20) || mbedtls_x509_crl_parse_der(&crl, der.data(), der.size()) != 0) throw Error(w + ": CRL does not parse");
    if (crl.next != nullptr) throw Error(w + ": more than one CRL");
    const mbedtls_x509_crt* is = issuer.raw();
    if (crl.issuer_raw.len != is->subject_raw.len || std::memcmp(crl.issuer_raw.p, is->subject_raw.p, crl.issuer_raw.len) != 0)
        throw Error(w + ": the CRL is not issued by '" + issuer.subject_cn() + "' (the issuer of '" + subject.subject_cn() + "')");
    const Bytes& issuer_der = issuer.der();
    const bool seen = crls && std::any_of(crls->seen.begin(), crls->seen.end(),
                                          [&](const auto& p) { return p.first == der && p.second == issuer_der; });
    if (!seen) {
        auto md = crl.MBEDTLS_PRIVATE(sig_md);
        const mbedtls_md_info_t* mi = mbedtls_md_info_from_type(md);
        unsigned char h[64];
        if (!mi || mbedtls_md(mi, crl.tbs.p, crl.tbs.len, h) != 0) throw Error(w + ": CRL hash");
        if (mbedtls_pk_verify_ext(crl.MBEDTLS_PRIVATE(sig_pk), crl.MBEDTLS_PRIVATE(sig_opts), &issuer.raw()->pk, md, h,
                                  mbedtls_md_get_size(mi), crl.MBEDTLS_PRIVATE(sig).p, crl.MBEDTLS_PRIVATE(sig).len) != 0)
            throw Error(w + ": CRL signature does not verify under " + issuer.subject_cn());
        if (crls) crls->seen.emplace_back(der, issuer_der);
    }
    CrlDates d{rfc3339_of(crl.this_update), rfc3339_of(crl.next_update)};
    if (crl.next_update.year == 0) throw Error(w + ": CRL has no nextUpdate");
    if (now < x509::parse_rfc3339(d.this_update)) throw Error(w + ": CRL is not yet valid (thisUpdate " + d.this_update + ")");
    if (now > x509::parse_rfc3339(d.next_update)) throw Error(w + ": CRL has expired (nextUpdate " + d.next_update + ")");
    if (mbedtls_x509_crt_is_revoked(subject.raw(), &crl)) throw Error(w + ": '" + subject.subject_cn() + "' is revoked");
    return d;
}

std::string missing_collateral(const Collateral& c) {
    std::string m;
    auto add = [&](bool absent, const char* name) {
        if (absent) m += (m.empty() ? "" : ", ") + std::string(name);
    };
    add(c.tcb_info_json.empty(), "tcbinfo*.json");
    add(c.qe_identity_json.empty(), "qe_identity*.json");
    add(c.tcb_signing_chain_pem.empty(), "tcb_signing_chain.pem");
    add(c.pck_crl_der.empty(), "pckcrl (PCK CRL)");
    add(c.root_crl_der.empty(), "rootcrl (root CA CRL)");
    return m;
}

Json collateral_use_json(const CollateralUse& u) {
    Json j = Json::object();
    j["tcb_signing_cn"] = u.tcb_signing_cn;
    j["tcb_info"] = {{"issue_date", u.tcb_info_issue_date}, {"next_update", u.tcb_info_next_update}};
    j["qe_identity"] = {{"issue_date", u.qe_identity_issue_date}, {"next_update", u.qe_identity_next_update}};
    j["pck_crl"] = {{"issuer", u.pck_crl_issuer}, {"this_update", u.pck_crl_this_update}, {"next_update", u.pck_crl_next_update}};
    j["root_crl"] = {{"this_update", u.root_crl_this_update}, {"next_update", u.root_crl_next_update}};
    return j;
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


}  // namespace kettle::tdx

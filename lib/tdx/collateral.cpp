// Intel TDX collateral (see collateral.hpp): reading a collateral directory, the signed members of Intel's TCB info
// and QE identity JSON, and CRLs.
#include "collateral.hpp"

#include <cstring>
#include <filesystem>

#include <mbedtls/md.h>
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

// X.509 and ECDSA helpers over mbedTLS 3.6.
#include "kettle/core/x509.hpp"

#include <cstring>
#include <ctime>
#include <mutex>

#include <mbedtls/asn1.h>
#include <mbedtls/error.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <mbedtls/x509_crt.h>
#include <psa/crypto.h>

#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"

namespace kettle::x509 {

namespace {

void crypto_init() {
    static std::once_flag once;
    std::call_once(once, [] { (void)psa_crypto_init(); });
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::int64_t epoch_of(int y, int mo, int d, int h, int mi, int s) {
    return days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 + mi * 60 + s;
}

std::string dn_string(const mbedtls_x509_name* n) {
    char buf[1024];
    int rc = mbedtls_x509_dn_gets(buf, sizeof buf, n);
    return rc < 0 ? std::string("?") : std::string(buf);
}

std::string cn_of(const mbedtls_x509_name* n) {
    for (; n; n = n->next) {
        if (n->oid.len == MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_CN) &&
            std::memcmp(n->oid.p, MBEDTLS_OID_AT_CN, n->oid.len) == 0)
            return std::string(reinterpret_cast<const char*>(n->val.p), n->val.len);
    }
    return {};
}

int ext_cb(void* ctx, mbedtls_x509_crt const*, mbedtls_x509_buf const* oid, int critical, const unsigned char* p,
           const unsigned char* end) {
    auto* v = static_cast<std::vector<Extension>*>(ctx);
    char buf[128];
    if (mbedtls_oid_get_numeric_string(buf, sizeof buf, oid) < 0) return MBEDTLS_ERR_X509_INVALID_EXTENSIONS;
    Extension e;
    e.oid = buf;
    e.critical = critical != 0;
    e.value.assign(p, end);
    v->push_back(std::move(e));
    // RFC 5280 §4.2: a certificate with a critical extension the verifier does not process must be rejected.
    // mbedTLS hands us only the extensions it does not process itself, and none of the vendor extensions we read
    // (AMD 1.3.6.1.4.1.3704.1.*, Intel SGX 1.2.840.113741.1.13.1) is critical: a non-zero return makes mbedTLS
    // refuse a critical one (and ignore the return for a non-critical one).
    return critical ? MBEDTLS_ERR_X509_INVALID_EXTENSIONS : 0;
}

struct PkCtx {
    mbedtls_pk_context pk;
    PkCtx() { mbedtls_pk_init(&pk); }
    ~PkCtx() { mbedtls_pk_free(&pk); }
};

// DER INTEGER of an unsigned big-endian value.
void der_put_uint(Bytes& out, ByteView be) {
    std::size_t i = 0;
    while (i + 1 < be.size() && be[i] == 0) ++i;
    std::size_t n = be.size() - i;
    bool empty = be.empty();
    bool pad = !empty && (be[i] & 0x80);
    out.push_back(0x02);
    out.push_back(static_cast<std::uint8_t>(empty ? 1 : n + (pad ? 1 : 0)));
    if (empty || pad) out.push_back(0);
    for (std::size_t k = i; k < be.size(); ++k) out.push_back(be[k]);
}

Bytes ecdsa_der(ByteView r_be, ByteView s_be) {
    if (r_be.size() > 66 || s_be.size() > 66) throw Error("ecdsa: r or s longer than 66 bytes");
    Bytes body;
    der_put_uint(body, r_be);
    der_put_uint(body, s_be);
    Bytes out{0x30};
    if (body.size() >= 128) out.push_back(0x81);
    out.push_back(static_cast<std::uint8_t>(body.size()));
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

mbedtls_md_type_t md_for_hash(std::size_t n) {
    switch (n) {
        case 32: return MBEDTLS_MD_SHA256;
        case 48: return MBEDTLS_MD_SHA384;
        case 64: return MBEDTLS_MD_SHA512;
        default: throw Error("ecdsa: hash length " + std::to_string(n) + " is not SHA-256/384/512");
    }
}

bool pk_verify_der(mbedtls_pk_context* pk, ByteView hash, ByteView der_sig) {
    if (mbedtls_pk_get_type(pk) != MBEDTLS_PK_ECKEY) throw Error("ecdsa: key is not an EC key");
    return mbedtls_pk_verify(pk, md_for_hash(hash.size()), hash.data(), hash.size(), der_sig.data(),
                             der_sig.size()) == 0;
}

const char* md_name(mbedtls_md_type_t md) {
    switch (md) {
        case MBEDTLS_MD_SHA1: return "sha1";
        case MBEDTLS_MD_SHA224: return "sha224";
        case MBEDTLS_MD_SHA256: return "sha256";
        case MBEDTLS_MD_SHA384: return "sha384";
        case MBEDTLS_MD_SHA512: return "sha512";
        default: return "md?";
    }
}

}  // namespace

std::int64_t parse_rfc3339(std::string_view s) {
    auto num = [&](std::size_t off, std::size_t n) {
        if (off + n > s.size()) throw Error("time '" + std::string(s) + "': too short");
        int v = 0;
        for (std::size_t i = off; i < off + n; ++i) {
            if (s[i] < '0' || s[i] > '9') throw Error("time '" + std::string(s) + "': not RFC 3339");
            v = v * 10 + (s[i] - '0');
        }
        return v;
    };
    auto need = [&](std::size_t off, char c) {
        if (off >= s.size() || (s[off] != c && !(c == 'T' && s[off] == 't')))
            throw Error("time '" + std::string(s) + "': not RFC 3339 (YYYY-MM-DDTHH:MM:SSZ)");
    };
    int y = num(0, 4);
    need(4, '-');
    int mo = num(5, 2);
    need(7, '-');
    int d = num(8, 2);
    int h = 0, mi = 0, sec = 0;
    std::int64_t offset = 0;
    if (s.size() > 10) {
        need(10, 'T');
        h = num(11, 2);
        need(13, ':');
        mi = num(14, 2);
        need(16, ':');
        sec = num(17, 2);
        std::size_t p = 19;
        if (p < s.size() && s[p] == '.') {
            ++p;
            std::size_t st = p;
            while (p < s.size() && s[p] >= '0' && s[p] <= '9') ++p;
            if (p == st) throw Error("time '" + std::string(s) + "': empty fraction");
        }
        if (p < s.size() && (s[p] == 'Z' || s[p] == 'z') && p + 1 == s.size()) {
        } else if (p < s.size() && (s[p] == '+' || s[p] == '-') && p + 6 == s.size()) {
            int oh = num(p + 1, 2);
            need(p + 3, ':');
            int om = num(p + 4, 2);
            if (oh > 23 || om > 59) throw Error("time '" + std::string(s) + "': bad offset");
            offset = (s[p] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
        } else {
            throw Error("time '" + std::string(s) + "': missing 'Z' or offset");
        }
    }
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 60)
        throw Error("time '" + std::string(s) + "': field out of range");
    return epoch_of(y, mo, d, h, mi, sec) - offset;
}

std::string format_rfc3339(std::int64_t t) {
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::int64_t now_seconds() { return static_cast<std::int64_t>(std::time(nullptr)); }

Cert Cert::parse(ByteView der, const char* what) {
    crypto_init();
    if (der.empty() || der.size() > 64 * 1024) throw Error(std::string(what) + ": empty or larger than 64 KiB");
    Cert c;
    c.crt_ = std::shared_ptr<mbedtls_x509_crt>(new mbedtls_x509_crt, [](mbedtls_x509_crt* p) {
        mbedtls_x509_crt_free(p);
        delete p;
    });
    mbedtls_x509_crt_init(c.crt_.get());
    int rc = mbedtls_x509_crt_parse_der_with_ext_cb(c.crt_.get(), der.data(), der.size(), 1, ext_cb, &c.exts_);
    if (rc != 0) {
        char e[160];
        mbedtls_strerror(rc, e, sizeof e);
        throw Error(std::string(what) + ": not a valid X.509 certificate (" + e + ")");
    }
    // mbedTLS accepts trailing bytes after the certificate; we do not.
    if (c.crt_->raw.len != der.size()) throw Error(std::string(what) + ": trailing bytes after the certificate");
    c.der_.assign(der.begin(), der.end());
    c.subject_ = dn_string(&c.crt_->subject);
    c.issuer_ = dn_string(&c.crt_->issuer);
    c.subject_cn_ = cn_of(&c.crt_->subject);
    c.issuer_cn_ = cn_of(&c.crt_->issuer);
    auto& f = c.crt_->valid_from;
    auto& t = c.crt_->valid_to;
    c.not_before_ = epoch_of(f.year, f.mon, f.day, f.hour, f.min, f.sec);
    c.not_after_ = epoch_of(t.year, t.mon, t.day, t.hour, t.min, t.sec);
    return c;
}

const Extension* Cert::extension(std::string_view oid) const {
    for (auto& e : exts_)
        if (e.oid == oid) return &e;
    return nullptr;
}

Bytes Cert::fingerprint() const { return sha256(der_); }

bool Cert::is_ca() const { return mbedtls_x509_crt_get_ca_istrue(crt_.get()) == 1; }

bool Cert::self_issued() const {
    return crt_->subject_raw.len == crt_->issuer_raw.len &&
           std::memcmp(crt_->subject_raw.p, crt_->issuer_raw.p, crt_->subject_raw.len) == 0;
}

std::string Cert::signature_algorithm() const {
    auto pk = crt_->MBEDTLS_PRIVATE(sig_pk);
    auto md = crt_->MBEDTLS_PRIVATE(sig_md);
    if (pk == MBEDTLS_PK_RSASSA_PSS) {
        auto* o = static_cast<const mbedtls_pk_rsassa_pss_options*>(crt_->MBEDTLS_PRIVATE(sig_opts));
        std::string s = std::string("rsassa-pss ") + md_name(md);
        if (o) s += std::string(" mgf1-") + md_name(o->mgf1_hash_id) + " salt " + std::to_string(o->expected_salt_len);
        return s;
    }
    if (pk == MBEDTLS_PK_ECDSA) return std::string("ecdsa ") + md_name(md);
    if (pk == MBEDTLS_PK_RSA) return std::string("rsa-pkcs1v15 ") + md_name(md);
    return "unknown";
}

bool Cert::is_pss_sha384_salt48() const {
    if (crt_->MBEDTLS_PRIVATE(sig_pk) != MBEDTLS_PK_RSASSA_PSS || crt_->MBEDTLS_PRIVATE(sig_md) != MBEDTLS_MD_SHA384)
        return false;
    auto* o = static_cast<const mbedtls_pk_rsassa_pss_options*>(crt_->MBEDTLS_PRIVATE(sig_opts));
    return o && o->mgf1_hash_id == MBEDTLS_MD_SHA384 && o->expected_salt_len == 48;
}

std::string Cert::key_description() const {
    auto* pk = &crt_->pk;
    auto t = mbedtls_pk_get_type(pk);
    std::size_t bits = mbedtls_pk_get_bitlen(pk);
    if (t == MBEDTLS_PK_ECKEY || t == MBEDTLS_PK_ECDSA) return "ec p" + std::to_string(bits);
    if (t == MBEDTLS_PK_RSA) return "rsa " + std::to_string(bits);
    return "unknown key";
}

Bytes Cert::spki_der() const { return Bytes(crt_->pk_raw.p, crt_->pk_raw.p + crt_->pk_raw.len); }

std::string Cert::info() const {
    std::string buf(8192, '\0');
    int n = mbedtls_x509_crt_info(buf.data(), buf.size(), "  ", crt_.get());
    if (n < 0) return "  (no description)\n";
    buf.resize(static_cast<std::size_t>(n));
    return buf;
}

void verify_signed_by(const Cert& child, const Cert& parent, const std::string& what) {
    const mbedtls_x509_crt* c = child.raw();
    mbedtls_x509_crt* p = parent.raw();
    if (c->issuer_raw.len != p->subject_raw.len || std::memcmp(c->issuer_raw.p, p->subject_raw.p, c->issuer_raw.len) != 0)
        throw Error(what + ": issuer '" + child.issuer() + "' is not '" + parent.subject() + "'");
    if (&child != &parent && !child.self_issued() && !parent.is_ca())
        throw Error(what + ": issuer '" + parent.subject_cn() + "' is not a CA (basicConstraints)");
    if (mbedtls_x509_crt_check_key_usage(p, MBEDTLS_X509_KU_KEY_CERT_SIGN) != 0)
        throw Error(what + ": issuer '" + parent.subject_cn() + "' may not sign certificates (keyUsage)");
    auto md = c->MBEDTLS_PRIVATE(sig_md);
    if (md != MBEDTLS_MD_SHA256 && md != MBEDTLS_MD_SHA384 && md != MBEDTLS_MD_SHA512)
        throw Error(what + ": signature hash " + md_name(md) + " is not accepted");
    const mbedtls_md_info_t* mi = mbedtls_md_info_from_type(md);
    if (!mi) throw Error(what + ": unsupported signature hash");
    unsigned char h[64];
    if (mbedtls_md(mi, c->tbs.p, c->tbs.len, h) != 0) throw Error(what + ": hashing failed");
    int rc = mbedtls_pk_verify_ext(c->MBEDTLS_PRIVATE(sig_pk), c->MBEDTLS_PRIVATE(sig_opts), &p->pk, md, h,
                                   mbedtls_md_get_size(mi), c->MBEDTLS_PRIVATE(sig).p, c->MBEDTLS_PRIVATE(sig).len);
    if (rc != 0)
        throw Error(what + ": signature of '" + child.subject_cn() + "' does not verify under '" +
                    parent.subject_cn() + "' (" + child.signature_algorithm() + ")");
}

void check_validity(const Cert& c, std::int64_t now, const std::string& what) {
    if (now < c.not_before())
        throw Error(what + ": '" + c.subject_cn() + "' is not valid before " + format_rfc3339(c.not_before()) +
                    " (now " + format_rfc3339(now) + ")");
    if (now > c.not_after())
        throw Error(what + ": '" + c.subject_cn() + "' expired " + format_rfc3339(c.not_after()) + " (now " +
                    format_rfc3339(now) + ")");
}

std::vector<Bytes> pem_blocks(std::string_view pem, std::string_view label) {
    std::string header = "-----BEGIN " + std::string(label) + "-----";
    std::string footer = "-----END " + std::string(label) + "-----";
    std::string text(pem);  // NUL-terminated copy for mbedTLS
    std::vector<Bytes> out;
    std::size_t pos = 0;
    while ((pos = text.find(header, pos)) != std::string::npos) {
        mbedtls_pem_context ctx;
        mbedtls_pem_init(&ctx);
        std::size_t used = 0;
        int rc = mbedtls_pem_read_buffer(&ctx, header.c_str(), footer.c_str(),
                                         reinterpret_cast<const unsigned char*>(text.c_str() + pos), nullptr, 0, &used);
        if (rc != 0) {
            mbedtls_pem_free(&ctx);
            throw Error("pem: malformed " + std::string(label) + " block at byte " + std::to_string(pos));
        }
        std::size_t n = 0;
        const unsigned char* b = mbedtls_pem_get_buffer(&ctx, &n);
        out.emplace_back(b, b + n);
        mbedtls_pem_free(&ctx);
        pos += used;
        if (out.size() > 16) throw Error("pem: more than 16 blocks");
    }
    return out;
}

std::string to_pem(ByteView der, std::string_view label) {
    std::string header = "-----BEGIN " + std::string(label) + "-----\n";
    std::string footer = "-----END " + std::string(label) + "-----\n";
    std::string buf(der.size() * 2 + 200, '\0');
    std::size_t olen = 0;
    if (mbedtls_pem_write_buffer(header.c_str(), footer.c_str(), der.data(), der.size(),
                                 reinterpret_cast<unsigned char*>(buf.data()), buf.size(), &olen) != 0)
        throw Error("pem: encoding failed");
    buf.resize(olen > 0 && buf[olen - 1] == '\0' ? olen - 1 : olen);
    return buf;
}

std::vector<Bytes> load_certs(ByteView data, const char* what) {
    std::string_view sv(reinterpret_cast<const char*>(data.data()), data.size());
    if (sv.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos) {
        auto v = pem_blocks(sv, "CERTIFICATE");
        if (v.empty()) throw Error(std::string(what) + ": no certificate in PEM");
        return v;
    }
    if (data.empty() || data[0] != 0x30) throw Error(std::string(what) + ": neither PEM nor DER");
    return {Bytes(data.begin(), data.end())};
}

bool ecdsa_verify_spki(ByteView spki_der, ByteView hash, ByteView r_be, ByteView s_be) {
    crypto_init();
    PkCtx k;
    if (mbedtls_pk_parse_public_key(&k.pk, spki_der.data(), spki_der.size()) != 0)
        throw Error("ecdsa: public key is not a valid SubjectPublicKeyInfo");
    Bytes der = ecdsa_der(r_be, s_be);
    return pk_verify_der(&k.pk, hash, der);
}

bool ecdsa_verify_cert(const Cert& c, ByteView hash, ByteView r_be, ByteView s_be) {
    Bytes der = ecdsa_der(r_be, s_be);
    return pk_verify_der(&c.raw()->pk, hash, der);
}

bool rsa_pss_sha256_verify(const Cert& c, ByteView message, ByteView sig) {
    crypto_init();
    mbedtls_pk_context* pk = &c.raw()->pk;
    if (mbedtls_pk_get_type(pk) != MBEDTLS_PK_RSA) throw Error("rsa-pss: the key of '" + c.subject_cn() + "' is not RSA");
    mbedtls_rsa_context* rsa = mbedtls_pk_rsa(*pk);
    if (sig.size() != mbedtls_rsa_get_len(rsa)) return false;
    const Bytes h = sha256(message);
    return mbedtls_rsa_rsassa_pss_verify_ext(rsa, MBEDTLS_MD_SHA256, static_cast<unsigned>(h.size()), h.data(),
                                             MBEDTLS_MD_SHA256, 32, sig.data()) == 0;
}

bool ecdsa_verify_spki_der_sig(ByteView spki_der, ByteView hash, ByteView der_sig) {
    crypto_init();
    PkCtx k;
    if (mbedtls_pk_parse_public_key(&k.pk, spki_der.data(), spki_der.size()) != 0)
        throw Error("ecdsa: public key is not a valid SubjectPublicKeyInfo");
    return pk_verify_der(&k.pk, hash, der_sig);
}

Bytes p256_spki_from_xy(ByteView xy) {
    if (xy.size() != 64) throw Error("p256 key: expected 64 bytes x||y");
    Bytes out = unhex("3059301306072a8648ce3d020106082a8648ce3d03010703420004");
    out.insert(out.end(), xy.begin(), xy.end());
    return out;
}

std::int64_t der_integer(ByteView v, const char* what) {
    unsigned char* p = const_cast<unsigned char*>(v.data());
    const unsigned char* end = v.data() + v.size();
    int val = 0;
    if (v.empty() || mbedtls_asn1_get_int(&p, end, &val) != 0 || p != end)
        throw Error(std::string(what) + ": not a single non-negative DER INTEGER");
    return val;
}

std::string der_string(ByteView v, const char* what) {
    if (v.size() < 2) throw Error(std::string(what) + ": not a DER string");
    int tag = v[0];
    if (tag != MBEDTLS_ASN1_IA5_STRING && tag != MBEDTLS_ASN1_UTF8_STRING && tag != MBEDTLS_ASN1_PRINTABLE_STRING)
        throw Error(std::string(what) + ": not an IA5/UTF8/Printable string");
    unsigned char* p = const_cast<unsigned char*>(v.data());
    const unsigned char* end = v.data() + v.size();
    std::size_t len = 0;
    if (mbedtls_asn1_get_tag(&p, end, &len, tag) != 0 || p + len != end)
        throw Error(std::string(what) + ": bad DER string length");
    return std::string(reinterpret_cast<const char*>(p), len);
}

}  // namespace kettle::x509

// A small test PKI over mbedTLS for the verifier tests: keys, certificates with chosen extensions and key usage,
// and CRLs (RFC 5280 §5 TBSCertList, written here because mbedTLS has no CRL writer). Nothing here is trusted by
// the verifiers unless a test passes it as a trust root.
#pragma once
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch_test_macros.hpp>
#include <mbedtls/asn1write.h>
#include <mbedtls/base64.h>
#include <mbedtls/bignum.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/oid.h>
#include <mbedtls/platform.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "kettle/core/bytes.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/x509.hpp"

namespace kettle::test {

struct Rng {
    mbedtls_entropy_context ent;
    mbedtls_ctr_drbg_context drbg;
    Rng() {
        mbedtls_entropy_init(&ent);
        mbedtls_ctr_drbg_init(&drbg);
        REQUIRE(mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, reinterpret_cast<const unsigned char*>("kettle-test"), 11) == 0);
    }
    ~Rng() {
        mbedtls_ctr_drbg_free(&drbg);
        mbedtls_entropy_free(&ent);
    }
};

struct Key {
    mbedtls_pk_context pk;
    Key(Rng& rng, mbedtls_ecp_group_id curve) {
        mbedtls_pk_init(&pk);
        REQUIRE(mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) == 0);
        REQUIRE(mbedtls_ecp_gen_key(curve, mbedtls_pk_ec(pk), mbedtls_ctr_drbg_random, &rng.drbg) == 0);
    }
    ~Key() { mbedtls_pk_free(&pk); }
    Key(const Key&) = delete;
    Key& operator=(const Key&) = delete;
    Bytes spki() {
        unsigned char buf[512];
        int n = mbedtls_pk_write_pubkey_der(&pk, buf, sizeof buf);
        REQUIRE(n > 0);
        return Bytes(buf + sizeof buf - n, buf + sizeof buf);
    }
    /// The public point x||y of a P-256 key (64 bytes).
    Bytes p256_xy() {
        unsigned char buf[65];
        std::size_t n = 0;
        const mbedtls_ecp_keypair* kp = mbedtls_pk_ec(pk);
        REQUIRE(mbedtls_ecp_point_write_binary(&kp->MBEDTLS_PRIVATE(grp), &kp->MBEDTLS_PRIVATE(Q), MBEDTLS_ECP_PF_UNCOMPRESSED, &n,
                                               buf, sizeof buf) == 0);
        REQUIRE(n == 65);
        return Bytes(buf + 1, buf + 65);
    }
    Bytes sign_der(Rng& rng, mbedtls_md_type_t md, ByteView hash) {
        unsigned char sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
        std::size_t n = 0;
        REQUIRE(mbedtls_pk_sign(&pk, md, hash.data(), hash.size(), sig, sizeof sig, &n, mbedtls_ctr_drbg_random, &rng.drbg) == 0);
        return Bytes(sig, sig + n);
    }
    /// ECDSA P-256/SHA-256 over `msg` as raw big-endian r||s (64 bytes), the form of Intel's quotes and collateral.
    Bytes sign_raw_p256(Rng& rng, ByteView msg) {
        Bytes der = sign_der(rng, MBEDTLS_MD_SHA256, sha256(msg));
        unsigned char* p = der.data();
        const unsigned char* end = p + der.size();
        std::size_t len = 0;
        REQUIRE(mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) == 0);
        mbedtls_mpi r, s;
        mbedtls_mpi_init(&r);
        mbedtls_mpi_init(&s);
        REQUIRE(mbedtls_asn1_get_mpi(&p, end, &r) == 0);
        REQUIRE(mbedtls_asn1_get_mpi(&p, end, &s) == 0);
        Bytes out(64);
        REQUIRE(mbedtls_mpi_write_binary(&r, out.data(), 32) == 0);
        REQUIRE(mbedtls_mpi_write_binary(&s, out.data() + 32, 32) == 0);
        mbedtls_mpi_free(&r);
        mbedtls_mpi_free(&s);
        return out;
    }
};

inline std::string b64(ByteView b) {
    std::size_t n = 0;
    mbedtls_base64_encode(nullptr, 0, &n, b.data(), b.size());
    std::string s(n, '\0');
    REQUIRE(mbedtls_base64_encode(reinterpret_cast<unsigned char*>(s.data()), s.size(), &n, b.data(), b.size()) == 0);
    s.resize(n);
    return s;
}

inline void add_ext(mbedtls_x509write_cert& w, const char* oid, ByteView val, bool critical = false) {
    mbedtls_asn1_buf o{};
    REQUIRE(mbedtls_oid_from_numeric_string(&o, oid, std::strlen(oid)) == 0);
    REQUIRE(mbedtls_x509write_crt_set_extension(&w, reinterpret_cast<const char*>(o.p), o.len, critical ? 1 : 0, val.data(),
                                                val.size()) == 0);
    mbedtls_free(o.p);
}

/// What make_cert writes besides subject, issuer and keys.
struct CertSpec {
    bool ca = false;                  ///< basicConstraints CA and keyCertSign|cRLSign
    unsigned key_usage = 0;           ///< for a leaf: MBEDTLS_X509_KU_* bits (0 = no keyUsage extension)
    std::vector<std::pair<const char*, Bytes>> exts;  ///< non-critical extensions (OID, DER value)
    std::vector<std::pair<const char*, Bytes>> critical_exts;
    const char* not_before = "20200101000000";
    const char* not_after = "20400101000000";
    mbedtls_md_type_t md = MBEDTLS_MD_SHA384;
    unsigned char serial = 1;
};

inline Bytes make_cert(Rng& rng, Key& subject, Key& issuer, const char* subj, const char* iss, const CertSpec& spec) {
    mbedtls_x509write_cert w;
    mbedtls_x509write_crt_init(&w);
    unsigned char serial[] = {spec.serial};
    mbedtls_x509write_crt_set_version(&w, MBEDTLS_X509_CRT_VERSION_3);
    REQUIRE(mbedtls_x509write_crt_set_serial_raw(&w, serial, 1) == 0);
    REQUIRE(mbedtls_x509write_crt_set_validity(&w, spec.not_before, spec.not_after) == 0);
    REQUIRE(mbedtls_x509write_crt_set_subject_name(&w, subj) == 0);
    REQUIRE(mbedtls_x509write_crt_set_issuer_name(&w, iss) == 0);
    mbedtls_x509write_crt_set_subject_key(&w, &subject.pk);
    mbedtls_x509write_crt_set_issuer_key(&w, &issuer.pk);
    mbedtls_x509write_crt_set_md_alg(&w, spec.md);
    if (spec.ca) {
        REQUIRE(mbedtls_x509write_crt_set_basic_constraints(&w, 1, -1) == 0);
        REQUIRE(mbedtls_x509write_crt_set_key_usage(&w, MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN) == 0);
    } else if (spec.key_usage) {
        REQUIRE(mbedtls_x509write_crt_set_key_usage(&w, spec.key_usage) == 0);
    }
    for (auto& [oid, val] : spec.exts) add_ext(w, oid, val);
    for (auto& [oid, val] : spec.critical_exts) add_ext(w, oid, val, true);
    unsigned char buf[4096];
    int n = mbedtls_x509write_crt_der(&w, buf, sizeof buf, mbedtls_ctr_drbg_random, &rng.drbg);
    mbedtls_x509write_crt_free(&w);
    REQUIRE(n > 0);
    return Bytes(buf + sizeof buf - n, buf + sizeof buf);
}

/// The old signature of make_cert (the SNP bundle tests): a CA or a leaf with extra extensions, from 2024-01-01.
inline Bytes make_cert(Rng& rng, Key& subject, Key& issuer, const char* subj, const char* iss, bool ca,
                       const std::vector<std::pair<const char*, Bytes>>& exts, const char* not_after = "20340101000000") {
    CertSpec s;
    s.ca = ca;
    s.exts = exts;
    s.not_before = "20240101000000";
    s.not_after = not_after;
    return make_cert(rng, subject, issuer, subj, iss, s);
}

/// DER of a tag-length-value.
inline Bytes der_tlv(std::uint8_t tag, ByteView v) {
    Bytes out{tag};
    std::size_t n = v.size();
    if (n < 128) out.push_back(static_cast<std::uint8_t>(n));
    else if (n < 256) out.insert(out.end(), {0x81, static_cast<std::uint8_t>(n)});
    else out.insert(out.end(), {0x82, static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)});
    out.insert(out.end(), v.begin(), v.end());
    return out;
}

/// A v2 X.509 CRL (RFC 5280 §5.1) issued by `issuer_der` (its subject is copied as the CRL issuer), signed
/// ECDSA-SHA256 with `issuer_key`, revoking the certificates with the one-byte `revoked` serials. Times are
/// UTCTime "YYMMDDHHMMSSZ".
inline Bytes make_crl(Rng& rng, Key& issuer_key, ByteView issuer_der, const std::vector<unsigned char>& revoked = {},
                      const char* this_update = "200101000000Z", const char* next_update = "391231000000Z") {
    x509::Cert is = x509::Cert::parse(issuer_der, "CRL issuer");
    const mbedtls_x509_crt* c = is.raw();
    Bytes ecdsa_sha256 = der_tlv(0x30, der_tlv(0x06, unhex("2a8648ce3d040302")));
    Bytes tbs = der_tlv(0x02, Bytes{1});  // version v2
    tbs.insert(tbs.end(), ecdsa_sha256.begin(), ecdsa_sha256.end());
    tbs.insert(tbs.end(), c->subject_raw.p, c->subject_raw.p + c->subject_raw.len);
    for (const char* t : {this_update, next_update}) {
        Bytes tt = der_tlv(0x17, ByteView(reinterpret_cast<const std::uint8_t*>(t), std::strlen(t)));
        tbs.insert(tbs.end(), tt.begin(), tt.end());
    }
    if (!revoked.empty()) {
        Bytes list;
        for (unsigned char s : revoked) {
            Bytes entry = der_tlv(0x02, Bytes{s});
            Bytes when = der_tlv(0x17, ByteView(reinterpret_cast<const std::uint8_t*>(this_update), std::strlen(this_update)));
            entry.insert(entry.end(), when.begin(), when.end());
            Bytes e = der_tlv(0x30, entry);
            list.insert(list.end(), e.begin(), e.end());
        }
        Bytes l = der_tlv(0x30, list);
        tbs.insert(tbs.end(), l.begin(), l.end());
    }
    Bytes tbs_seq = der_tlv(0x30, tbs);
    Bytes sig = issuer_key.sign_der(rng, MBEDTLS_MD_SHA256, sha256(tbs_seq));
    Bytes bitstr{0};
    bitstr.insert(bitstr.end(), sig.begin(), sig.end());
    Bytes all = tbs_seq;
    all.insert(all.end(), ecdsa_sha256.begin(), ecdsa_sha256.end());
    Bytes bs = der_tlv(0x03, bitstr);
    all.insert(all.end(), bs.begin(), bs.end());
    return der_tlv(0x30, all);
}

}  // namespace kettle::test

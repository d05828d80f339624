#include "kettle/provenance/dsse.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/random.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>

#include "kettle/core/base64.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/json.hpp"

namespace kettle {

Bytes dsse_pae(std::string_view payload_type, ByteView payload) {
    std::string head = "DSSEv1 " + std::to_string(payload_type.size()) + " ";
    head.append(payload_type);
    head += " " + std::to_string(payload.size()) + " ";
    Bytes out(head.begin(), head.end());
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
}

std::string dsse_keyid(ByteView spki_der) { return hex(sha256(spki_der)); }

namespace {

// Entropy callback for CTR_DRBG: the kernel CSPRNG via getrandom(2), flags 0 (blocks until initialised).
int getrandom_entropy(void*, unsigned char* out, std::size_t len) {
    std::size_t got = 0;
    while (got < len) {
        ssize_t n = getrandom(out + got, len - got, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
        }
        got += static_cast<std::size_t>(n);
    }
    return 0;
}

std::string mbed_err(const char* what, int rc) {
    char buf[32];
    std::snprintf(buf, sizeof buf, " (mbedTLS -0x%04x)", static_cast<unsigned>(-rc));
    return std::string(what) + buf;
}

struct PkHolder {
    mbedtls_pk_context pk;
    PkHolder() { mbedtls_pk_init(&pk); }
    ~PkHolder() { mbedtls_pk_free(&pk); }
    PkHolder(const PkHolder&) = delete;
    PkHolder& operator=(const PkHolder&) = delete;
};

Bytes write_spki(mbedtls_pk_context* pk) {
    unsigned char buf[512];
    int n = mbedtls_pk_write_pubkey_der(pk, buf, sizeof buf);
    if (n <= 0) throw Error(mbed_err("dsse: cannot encode the public key", n));
    return Bytes(buf + sizeof buf - n, buf + sizeof buf);
}

// Parse SPKI DER or PEM into `pk` and require an EC key on P-256.
void parse_p256_public(mbedtls_pk_context* pk, ByteView key) {
    std::string buf(key.begin(), key.end());
    int rc;
    if (buf.find("-----BEGIN") != std::string::npos) {
        // mbedTLS wants PEM NUL-terminated with the NUL counted in the length.
        rc = mbedtls_pk_parse_public_key(pk, reinterpret_cast<const unsigned char*>(buf.c_str()), buf.size() + 1);
    } else {
        rc = mbedtls_pk_parse_public_key(pk, key.data(), key.size());
    }
    if (rc != 0) throw Error(mbed_err("dsse: cannot parse the public key", rc));
    if (mbedtls_pk_get_type(pk) != MBEDTLS_PK_ECKEY) throw Error("dsse: public key is not an EC key");
    if (mbedtls_ecp_keypair_get_group_id(mbedtls_pk_ec(*pk)) != MBEDTLS_ECP_DP_SECP256R1)
        throw Error("dsse: public key is not on P-256");
}

}  // namespace

struct EcdsaP256Key::State {
    mbedtls_ctr_drbg_context drbg;
    mbedtls_pk_context pk;
    State() {
        mbedtls_ctr_drbg_init(&drbg);
        mbedtls_pk_init(&pk);
    }
    ~State() {
        mbedtls_pk_free(&pk);
        mbedtls_ctr_drbg_free(&drbg);
    }
};

EcdsaP256Key::EcdsaP256Key() : st_(std::make_unique<State>()) {}
EcdsaP256Key::~EcdsaP256Key() = default;
EcdsaP256Key::EcdsaP256Key(EcdsaP256Key&&) noexcept = default;
EcdsaP256Key& EcdsaP256Key::operator=(EcdsaP256Key&&) noexcept = default;

EcdsaP256Key EcdsaP256Key::generate() {
    EcdsaP256Key k;
    static const char pers[] = "kettle-dsse-p256";
    int rc = mbedtls_ctr_drbg_seed(&k.st_->drbg, getrandom_entropy, nullptr,
                                   reinterpret_cast<const unsigned char*>(pers), sizeof pers - 1);
    if (rc != 0) throw Error(mbed_err("dsse: cannot seed CTR_DRBG from getrandom", rc));
    rc = mbedtls_pk_setup(&k.st_->pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
    if (rc != 0) throw Error(mbed_err("dsse: pk setup failed", rc));
    rc = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(k.st_->pk), mbedtls_ctr_drbg_random,
                             &k.st_->drbg);
    if (rc != 0) throw Error(mbed_err("dsse: P-256 key generation failed", rc));
    return k;
}

Bytes EcdsaP256Key::spki_der() const { return write_spki(&st_->pk); }

std::string EcdsaP256Key::public_pem() const {
    unsigned char buf[1024];
    int rc = mbedtls_pk_write_pubkey_pem(&st_->pk, buf, sizeof buf);
    if (rc != 0) throw Error(mbed_err("dsse: cannot encode the public key as PEM", rc));
    return std::string(reinterpret_cast<const char*>(buf));
}

std::string EcdsaP256Key::keyid() const { return dsse_keyid(spki_der()); }

Bytes EcdsaP256Key::sign_der(ByteView message) const {
    Bytes digest = sha256(message);
    unsigned char sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
    std::size_t sig_len = 0;
    int rc = mbedtls_pk_sign(&st_->pk, MBEDTLS_MD_SHA256, digest.data(), digest.size(), sig, sizeof sig, &sig_len,
                             mbedtls_ctr_drbg_random, &st_->drbg);
    if (rc != 0) throw Error(mbed_err("dsse: ECDSA signing failed", rc));
    return Bytes(sig, sig + sig_len);
}

std::string dsse_envelope_jsonl(const DsseEnvelope& env) {
    Json sigs = Json::array();
    for (const auto& s : env.signatures) {
        Json o = {{"sig", base64_encode(s.sig)}};
        if (!s.keyid.empty()) o["keyid"] = s.keyid;
        sigs.push_back(std::move(o));
    }
    Json j = {{"payload", base64_encode(env.payload)}, {"payloadType", env.payload_type}, {"signatures", sigs}};
    return jcs(j) + "\n";
}

DsseEnvelope dsse_parse_envelope(std::string_view text, std::size_t max_payload) {
    if (text.size() > max_payload / 3 * 4 + (std::size_t{1} << 20)) throw Error("dsse: envelope too large");
    Json j = parse_strict(text);
    if (!j.is_object()) throw Error("dsse: envelope is not a JSON object");
    auto str = [&](const Json& o, const char* k) -> std::string {
        auto it = o.find(k);
        if (it == o.end() || !it->is_string()) throw Error(std::string("dsse: missing or non-string \"") + k + "\"");
        return it->get<std::string>();
    };
    DsseEnvelope env;
    env.payload_type = str(j, "payloadType");
    env.payload = base64_decode(str(j, "payload"), "dsse: payload", true, max_payload);
    auto it = j.find("signatures");
    if (it == j.end() || !it->is_array()) throw Error("dsse: missing \"signatures\" array");
    if (it->empty()) throw Error("dsse: envelope has no signatures");
    if (it->size() > 16) throw Error("dsse: too many signatures");
    for (const auto& s : *it) {
        if (!s.is_object()) throw Error("dsse: signature entry is not an object");
        DsseSignature ds;
        ds.sig = base64_decode(str(s, "sig"), "dsse: sig", true, 1024);
        auto k = s.find("keyid");
        if (k != s.end() && !k->is_null()) {
            if (!k->is_string()) throw Error("dsse: keyid is not a string");
            ds.keyid = k->get<std::string>();
        }
        env.signatures.push_back(std::move(ds));
    }
    return env;
}

DsseEnvelope dsse_sign(std::string_view payload_type, ByteView payload, const EcdsaP256Key& key) {
    DsseEnvelope env;
    env.payload_type = std::string(payload_type);
    env.payload.assign(payload.begin(), payload.end());
    env.signatures.push_back({key.keyid(), key.sign_der(dsse_pae(payload_type, payload))});
    return env;
}

bool dsse_verify(ByteView public_key, std::string_view payload_type, ByteView payload, ByteView sig_der) {
    PkHolder h;
    parse_p256_public(&h.pk, public_key);
    Bytes digest = sha256(dsse_pae(payload_type, payload));
    int rc = mbedtls_pk_verify(&h.pk, MBEDTLS_MD_SHA256, digest.data(), digest.size(), sig_der.data(),
                               sig_der.size());
    return rc == 0;
}

Bytes public_pem_to_spki_der(std::string_view pem) {
    if (pem.size() > 4096) throw Error("dsse: public key PEM too large");
    static constexpr std::string_view kBegin = "-----BEGIN PUBLIC KEY-----";
    static constexpr std::string_view kEnd = "-----END PUBLIC KEY-----";
    auto b = pem.find(kBegin);
    auto e = pem.find(kEnd);
    if (b == std::string_view::npos || e == std::string_view::npos || e < b)
        throw Error("dsse: signing key is not a PEM PUBLIC KEY");
    std::string body;
    for (char c : pem.substr(b + kBegin.size(), e - b - kBegin.size()))
        if (c != '\n' && c != '\r') body += c;
    Bytes der = base64_decode(body, "dsse: PEM body", false, 1024);
    PkHolder h;
    parse_p256_public(&h.pk, der);
    // Only the canonical encoding (uncompressed point, the form mbedTLS writes) is accepted, so the keyid
    // and REPORT_DATA[32:64] are computed over exactly the bytes in the PEM.
    if (write_spki(&h.pk) != der) throw Error("dsse: public key SPKI is not in canonical DER form");
    return der;
}

}  // namespace kettle

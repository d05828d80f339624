// X.509 and signature helpers over mbedTLS 3.6, shared by the SNP and TDX verifiers.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kettle/core/bytes.hpp"

struct mbedtls_x509_crt;

namespace kettle::x509 {

/// Seconds since the Unix epoch (UTC) of an RFC 3339 timestamp: "YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)"; a bare
/// date "YYYY-MM-DD" means midnight UTC. Throws Error on anything else.
std::int64_t parse_rfc3339(std::string_view s);
/// "YYYY-MM-DDTHH:MM:SSZ".
std::string format_rfc3339(std::int64_t t);
/// The current time (seconds since the epoch).
std::int64_t now_seconds();

/// One X.509 extension that mbedTLS does not interpret itself (value = the OCTET STRING contents).
struct Extension {
    std::string oid;  ///< dotted form, e.g. "1.3.6.1.4.1.3704.1.4"
    bool critical = false;
    Bytes value;
};

/// A parsed certificate (mbedTLS), with the fields the verifiers use.
class Cert {
public:
    /// Parse one DER certificate. Throws Error("<what>: ...") on malformed input, trailing bytes, or a critical
    /// extension mbedTLS does not process (RFC 5280 §4.2: such a certificate must be rejected).
    static Cert parse(ByteView der, const char* what = "certificate");

    const Bytes& der() const { return der_; }
    const std::string& subject() const { return subject_; }
    const std::string& issuer() const { return issuer_; }
    /// Common name of the subject / issuer ("" when absent).
    const std::string& subject_cn() const { return subject_cn_; }
    const std::string& issuer_cn() const { return issuer_cn_; }
    std::int64_t not_before() const { return not_before_; }
    std::int64_t not_after() const { return not_after_; }
    /// Extensions mbedTLS does not handle itself (vendor ones such as AMD's 1.3.6.1.4.1.3704.* or Intel SGX's).
    const std::vector<Extension>& extensions() const { return exts_; }
    const Extension* extension(std::string_view oid) const;
    /// SHA-256 of the DER.
    Bytes fingerprint() const;
    bool is_ca() const;
    bool self_issued() const;  ///< subject DER == issuer DER
    /// "rsassa-pss sha384 mgf1-sha384 salt 48", "ecdsa sha256", ...
    std::string signature_algorithm() const;
    /// true when signed with RSASSA-PSS, SHA-384, MGF1-SHA-384, salt length 48 (AMD's KDS profile).
    bool is_pss_sha384_salt48() const;
    /// "ec p384", "ec p256", "rsa 4096", ...
    std::string key_description() const;
    /// The DER SubjectPublicKeyInfo as it appears in the certificate.
    Bytes spki_der() const;
    /// mbedTLS's own multi-line description.
    std::string info() const;

    mbedtls_x509_crt* raw() const { return crt_.get(); }

private:
    std::shared_ptr<mbedtls_x509_crt> crt_;
    Bytes der_;
    std::string subject_, issuer_, subject_cn_, issuer_cn_;
    std::int64_t not_before_ = 0, not_after_ = 0;
    std::vector<Extension> exts_;
};

/// Throw Error("<what>: ...") unless `child` names `parent` as issuer and carries a valid signature made with
/// `parent`'s key (any algorithm mbedTLS supports with SHA-256/384/512).
void verify_signed_by(const Cert& child, const Cert& parent, const std::string& what);
/// Throw Error unless not_before <= now <= not_after.
void check_validity(const Cert& c, std::int64_t now, const std::string& what);

/// Certificates from PEM text ("-----BEGIN CERTIFICATE-----" blocks, in order) or, when `data` is not PEM, one DER.
std::vector<Bytes> load_certs(ByteView data, const char* what = "certificates");
/// DER contents of every PEM block with the given label (e.g. "CERTIFICATE", "PUBLIC KEY"), in order.
std::vector<Bytes> pem_blocks(std::string_view pem, std::string_view label);
/// PEM text of one DER block.
std::string to_pem(ByteView der, std::string_view label);

/// ECDSA verify with a raw big-endian (r, s) over `hash` using the public key in SPKI DER form or a certificate.
/// Returns false on a bad signature; throws Error on an unusable key.
bool ecdsa_verify_spki(ByteView spki_der, ByteView hash, ByteView r_be, ByteView s_be);
bool ecdsa_verify_cert(const Cert& c, ByteView hash, ByteView r_be, ByteView s_be);
/// ECDSA verify of a DER-encoded ECDSA-Sig-Value. Returns false on a bad or malformed signature.
bool ecdsa_verify_spki_der_sig(ByteView spki_der, ByteView hash, ByteView der_sig);
/// RSASSA-PSS verify (RFC 8017 §8.1.2, EMSA-PSS §9.1.2) with SHA-256, MGF1-SHA-256 and a salt of exactly 32 bytes
/// over `message` (hashed here) under the RSA key of `c`; the signature must be exactly the modulus length.
/// Returns false on a bad signature; throws Error when the key is not RSA.
bool rsa_pss_sha256_verify(const Cert& c, ByteView message, ByteView sig);
/// SPKI DER of an uncompressed P-256 point x‖y (64 bytes).
Bytes p256_spki_from_xy(ByteView xy);

/// Decode a DER INTEGER (tag 0x02) that must fill `v` exactly, as a non-negative value < 2^31. Throws Error.
std::int64_t der_integer(ByteView v, const char* what);
/// Decode a DER IA5String / UTF8String / PrintableString that fills `v`. Throws Error.
std::string der_string(ByteView v, const char* what);

}  // namespace kettle::x509

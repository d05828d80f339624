// DSSE (Dead Simple Signing Envelope, secure-systems-lab/dsse protocol v1.0.2) with an ephemeral
// ECDSA P-256 / SHA-256 key, as Kettle's guest PID 1 uses it to sign the in-toto Statement.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kettle/core/bytes.hpp"

namespace kettle {

/// payloadType for in-toto statements (in-toto attestation spec/v1/envelope.md).
inline constexpr const char* kInTotoPayloadType = "application/vnd.in-toto+json";

/// Pre-Authentication Encoding (DSSE protocol.md):
///   "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body      (LEN = ASCII decimal byte length, no terminator)
Bytes dsse_pae(std::string_view payload_type, ByteView payload);

/// keyid as Kettle defines it: lower-case hex SHA-256 of the SubjectPublicKeyInfo DER (64 characters).
std::string dsse_keyid(ByteView spki_der);

/// An ephemeral ECDSA P-256 (secp256r1) key pair held in memory (mbedTLS). The private key never leaves
/// the object. Not copyable.
class EcdsaP256Key {
public:
    /// Generate a fresh key. The DRBG (CTR_DRBG, AES-256) is seeded only from the kernel's getrandom(2)
    /// (blocking until the kernel pool is initialised). Throws Error on failure.
    static EcdsaP256Key generate();
    ~EcdsaP256Key();
    EcdsaP256Key(EcdsaP256Key&&) noexcept;
    EcdsaP256Key& operator=(EcdsaP256Key&&) noexcept;

    /// DER SubjectPublicKeyInfo (RFC 5480; 91 bytes for an uncompressed P-256 point).
    Bytes spki_der() const;
    /// PEM "-----BEGIN PUBLIC KEY-----" of the same SPKI, with a trailing newline.
    std::string public_pem() const;
    /// dsse_keyid(spki_der()).
    std::string keyid() const;
    /// ECDSA over SHA-256(message); returns the ASN.1 DER Ecdsa-Sig-Value (SEQUENCE { r, s }, ≤ 72 bytes).
    Bytes sign_der(ByteView message) const;

private:
    EcdsaP256Key();
    struct State;
    std::unique_ptr<State> st_;
};

struct DsseSignature {
    std::string keyid;  ///< optional hint (unauthenticated)
    Bytes sig;          ///< raw signature bytes (DER for Kettle)
};

struct DsseEnvelope {
    std::string payload_type;
    Bytes payload;  ///< raw payload bytes (not base64)
    std::vector<DsseSignature> signatures;
};

/// One-line JSON envelope {"payload","payloadType","signatures":[{"keyid","sig"}]} (keys in JCS order,
/// standard padded base64) followed by "\n": one line of a `.intoto.jsonl` bundle.
std::string dsse_envelope_jsonl(const DsseEnvelope& env);

/// Parse one envelope (a JSON object; surrounding whitespace / the trailing newline allowed). Strict JSON;
/// payload and sig accept standard or URL-safe base64. Requires payloadType and at least one signature.
/// Unknown fields are ignored (DSSE envelope.md). `max_payload` bounds the decoded payload.
/// Throws Error("dsse: ...").
DsseEnvelope dsse_parse_envelope(std::string_view text, std::size_t max_payload = std::size_t{16} << 20);

/// Sign `payload` with `key` and return the envelope (one signature, keyid = key.keyid()).
DsseEnvelope dsse_sign(std::string_view payload_type, ByteView payload, const EcdsaP256Key& key);

/// Verify a DER ECDSA P-256/SHA-256 signature over PAE(payload_type, payload) with a public key given as
/// SPKI DER or PEM. Returns false for a wrong signature; throws Error when the key is not a P-256 EC key
/// or cannot be parsed.
bool dsse_verify(ByteView public_key_der_or_pem, std::string_view payload_type, ByteView payload,
                 ByteView sig_der);

/// Parse a PEM "PUBLIC KEY" (P-256 only) and return its SPKI DER. Throws Error.
Bytes public_pem_to_spki_der(std::string_view pem);

}  // namespace kettle

// Streaming SHA-2 (FIPS 180-4): SHA-256 over nettle (the x86 SHA extensions where the CPU has them, chosen at run
// time), SHA-384 and SHA-512 over mbedTLS. Digest lengths: SHA-256 32 bytes, SHA-384 48, SHA-512 64.
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "kettle/core/bytes.hpp"

namespace kettle {

enum class HashAlg { sha256, sha384, sha512 };

/// Digest length in bytes of `alg`.
std::size_t digest_size(HashAlg alg);
/// Name as used in in-toto DigestSets ("sha256", "sha384", "sha512").
const char* hash_name(HashAlg alg);

/// Incremental hasher. update() any number of times, then finish() once.
class Hasher {
public:
    explicit Hasher(HashAlg alg);
    ~Hasher();
    Hasher(Hasher&&) noexcept;
    Hasher& operator=(Hasher&&) noexcept;
    Hasher(const Hasher&) = delete;
    Hasher& operator=(const Hasher&) = delete;

    void update(ByteView data);
    void update(std::string_view s) { update(as_bytes(s)); }
    /// Returns the digest; the hasher must not be used afterwards.
    Bytes finish();
    HashAlg alg() const { return alg_; }

private:
    HashAlg alg_;
    struct State;
    std::unique_ptr<State> st_;
};

Bytes sha256(ByteView data);
Bytes sha384(ByteView data);
Bytes sha512(ByteView data);
inline Bytes sha256(std::string_view s) { return sha256(as_bytes(s)); }
inline Bytes sha384(std::string_view s) { return sha384(as_bytes(s)); }
/// SHA-256 of a file, streamed in 1 MiB blocks. Throws Error naming the path.
Bytes sha256_file(const std::string& path);
/// True when this CPU has the x86 SHA extensions (CPUID leaf 7, EBX bit 29), which nettle's SHA-256 then uses.
bool cpu_has_sha_extensions();

}  // namespace kettle

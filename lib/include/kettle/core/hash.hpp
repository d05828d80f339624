// Streaming SHA-2 over mbedTLS (FIPS 180-4). Digest lengths: SHA-256 32 bytes, SHA-384 48, SHA-512 64.
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

}  // namespace kettle

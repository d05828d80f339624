// SHA-256 through nettle, whose fat build picks the x86 SHA extensions (SHA-NI) at run time where the CPU has them
// and its x86_64 assembly otherwise; SHA-384/512 through mbedTLS. mbedTLS 3.6 has no x86 SHA extensions, and the
// full-disk passes (input disk, toolchain tarball, artifacts, output disk) are SHA-256 (bench/hash_bench.sh).
#include "kettle/core/hash.hpp"

#include <cerrno>
#include <cpuid.h>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include <mbedtls/sha512.h>
#include <nettle/sha2.h>

#include "kettle/core/error.hpp"

namespace kettle {

std::size_t digest_size(HashAlg alg) {
    switch (alg) {
        case HashAlg::sha256: return 32;
        case HashAlg::sha384: return 48;
        case HashAlg::sha512: return 64;
    }
    return 0;
}

const char* hash_name(HashAlg alg) {
    switch (alg) {
        case HashAlg::sha256: return "sha256";
        case HashAlg::sha384: return "sha384";
        case HashAlg::sha512: return "sha512";
    }
    return "?";
}

bool cpu_has_sha_extensions() {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
    return (b >> 29) & 1;  // CPUID.(EAX=7,ECX=0):EBX bit 29 = SHA (Intel SDM vol. 2A, CPUID)
}

struct Hasher::State {
    sha256_ctx s256;  // nettle
    mbedtls_sha512_context s512;
};

Hasher::Hasher(HashAlg alg) : alg_(alg), st_(std::make_unique<State>()) {
    if (alg_ == HashAlg::sha256) {
        sha256_init(&st_->s256);
    } else {
        mbedtls_sha512_init(&st_->s512);
        if (mbedtls_sha512_starts(&st_->s512, alg_ == HashAlg::sha384 ? 1 : 0) != 0) throw Error("sha512: init failed");
    }
}

Hasher::~Hasher() {
    if (st_ && alg_ != HashAlg::sha256) mbedtls_sha512_free(&st_->s512);
}

Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::update(ByteView data) {
    if (!st_) throw Error("hasher used after finish()");
    if (alg_ == HashAlg::sha256) {
        sha256_update(&st_->s256, data.size(), data.data());
        return;
    }
    if (mbedtls_sha512_update(&st_->s512, data.data(), data.size()) != 0) throw Error("hash update failed");
}

Bytes Hasher::finish() {
    if (!st_) throw Error("hasher used after finish()");
    Bytes out(alg_ == HashAlg::sha256 ? SHA256_DIGEST_SIZE : 64);
    if (alg_ == HashAlg::sha256) {
        sha256_digest(&st_->s256, SHA256_DIGEST_SIZE, out.data());
    } else {
        int rc = mbedtls_sha512_finish(&st_->s512, out.data());
        mbedtls_sha512_free(&st_->s512);
        if (rc != 0) {
            st_.reset();
            throw Error("hash finish failed");
        }
    }
    out.resize(digest_size(alg_));
    st_.reset();
    return out;
}

static Bytes one_shot(HashAlg alg, ByteView d) {
    Hasher h(alg);
    h.update(d);
    return h.finish();
}
Bytes sha256(ByteView d) { return one_shot(HashAlg::sha256, d); }
Bytes sha384(ByteView d) { return one_shot(HashAlg::sha384, d); }
Bytes sha512(ByteView d) { return one_shot(HashAlg::sha512, d); }

Bytes sha256_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Error(path + ": " + std::strerror(errno));
    Hasher h(HashAlg::sha256);
    std::vector<std::uint8_t> buf(1 << 20);
    for (;;) {
        ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            ::close(fd);
            throw Error(path + ": " + std::strerror(e));
        }
        if (n == 0) break;
        h.update(ByteView(buf.data(), static_cast<std::size_t>(n)));
    }
    ::close(fd);
    return h.finish();
}

}  // namespace kettle

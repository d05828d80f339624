#include "kettle/core/hash.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>

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

struct Hasher::State {
    mbedtls_sha256_context s256;
    mbedtls_sha512_context s512;
};

Hasher::Hasher(HashAlg alg) : alg_(alg), st_(std::make_unique<State>()) {
    if (alg_ == HashAlg::sha256) {
        mbedtls_sha256_init(&st_->s256);
        if (mbedtls_sha256_starts(&st_->s256, 0) != 0) throw Error("sha256: init failed");
    } else {
        mbedtls_sha512_init(&st_->s512);
        if (mbedtls_sha512_starts(&st_->s512, alg_ == HashAlg::sha384 ? 1 : 0) != 0) throw Error("sha512: init failed");
    }
}

Hasher::~Hasher() {
    if (!st_) return;
    if (alg_ == HashAlg::sha256) mbedtls_sha256_free(&st_->s256);
    else mbedtls_sha512_free(&st_->s512);
}

Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::update(ByteView data) {
    if (!st_) throw Error("hasher used after finish()");
    int rc = alg_ == HashAlg::sha256 ? mbedtls_sha256_update(&st_->s256, data.data(), data.size())
                                     : mbedtls_sha512_update(&st_->s512, data.data(), data.size());
    if (rc != 0) throw Error("hash update failed");
}

Bytes Hasher::finish() {
    if (!st_) throw Error("hasher used after finish()");
    Bytes out(alg_ == HashAlg::sha256 ? 32 : 64);
    int rc = alg_ == HashAlg::sha256 ? mbedtls_sha256_finish(&st_->s256, out.data())
                                     : mbedtls_sha512_finish(&st_->s512, out.data());
    if (rc != 0) throw Error("hash finish failed");
    out.resize(digest_size(alg_));
    if (alg_ == HashAlg::sha256) mbedtls_sha256_free(&st_->s256);
    else mbedtls_sha512_free(&st_->s512);
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

// Hashing and indexing the package files of one ecosystem (store.hpp).
#include "store.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/sha1.h>

#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/text.hpp"
#include "safe_fs.hpp"

namespace kettle::pkgdeps::detail {

namespace {

/// SHA-1 (FIPS 180-4) for legacy npm integrity values, over mbedTLS.
struct Sha1 {
    mbedtls_sha1_context c;
    Sha1() {
        mbedtls_sha1_init(&c);
        mbedtls_sha1_starts(&c);
    }
    ~Sha1() { mbedtls_sha1_free(&c); }
    Bytes finish() {
        Bytes d(20);
        mbedtls_sha1_finish(&c, d.data());
        return d;
    }
};

}  // namespace

/// Every requested digest of the open file `fd` of `size` bytes.
std::map<std::string, Bytes> digests_of(int fd, std::uint64_t size, const std::set<std::string>& algs,
                                        const std::string& what) {
    std::optional<Hasher> h512, h256;
    std::unique_ptr<Sha1> h1;
    if (algs.count("sha512")) h512.emplace(HashAlg::sha512);
    if (algs.count("sha256")) h256.emplace(HashAlg::sha256);
    if (algs.count("sha1")) h1 = std::make_unique<Sha1>();
    std::vector<std::uint8_t> buf(1 << 20);
    std::uint64_t got = 0;
    for (;;) {
        ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw Error(what + ": read: " + std::strerror(errno));
        if (n == 0) break;
        got += static_cast<std::uint64_t>(n);
        ByteView v(buf.data(), static_cast<std::size_t>(n));
        if (h512) h512->update(v);
        if (h256) h256->update(v);
        if (h1) mbedtls_sha1_update(&h1->c, buf.data(), static_cast<std::size_t>(n));
    }
    if (got != size) throw Error(what + ": changed size while it was read");
    std::map<std::string, Bytes> out;
    if (h512) out["sha512"] = h512->finish();
    if (h256) out["sha256"] = h256->finish();
    if (h1) out["sha1"] = h1->finish();
    return out;
}

namespace {

std::vector<std::string> list_names(const std::string& dir, const std::string& what, const DepsLimits& limits) {
    std::vector<std::string> names;
    DIR* d = ::opendir(dir.c_str());
    if (!d) {
        if (errno == ENOENT) return names;
        throw Error(what + ": cannot list " + dir + ": " + std::strerror(errno));
    }
    while (dirent* de = ::readdir(d)) {
        if (!std::strcmp(de->d_name, ".") || !std::strcmp(de->d_name, "..")) continue;
        if (names.size() >= limits.max_packages) {
            ::closedir(d);
            throw Error(what + ": more than " + std::to_string(limits.max_packages) + " package files");
        }
        names.emplace_back(de->d_name);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace

StoredFile* Store::find(const std::string& alg, const Bytes& digest) {
    auto it = by_digest.find(alg + ":" + hex(digest));
    return it == by_digest.end() ? nullptr : &files[it->second];
}

void Store::require_all_used(const std::string& ecosystem, const std::string& lockfile) const {
    for (const auto& f : files)
        if (!f.used)
            throw Error("deps: " + ecosystem + ": extra package file " + quote_text(f.name) + ": no entry of " +
                        lockfile + " has its digest");
}

Store hash_store(const std::string& dir, const std::set<std::string>& algs, const std::string& ecosystem,
                 const DepsLimits& limits) {
    const std::string what = "deps: " + ecosystem;
    Store s;
    s.dir = dir;
    for (const auto& n : list_names(dir, what, limits)) {
        std::string path = dir + "/" + n;
        Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
        struct stat st {};
        if (fd.fd < 0 || ::fstat(fd.fd, &st) != 0 || !S_ISREG(st.st_mode))
            throw Error(what + ": " + quote_text(n) + " is not a regular file");
        auto size = static_cast<std::uint64_t>(st.st_size);
        if (size > limits.max_package_bytes) throw Error(what + ": " + quote_text(n) + " is larger than the limit");
        std::size_t idx = s.files.size();
        s.files.push_back({n, size, false});
        s.bytes += size;
        for (auto& [alg, d] : digests_of(fd.fd, size, algs, what + ": " + n)) {
            std::string key = alg + ":" + hex(d);
            if (!s.by_digest.emplace(key, idx).second)
                throw Error(what + ": " + quote_text(n) + " and " + quote_text(s.files[s.by_digest[key]].name) +
                            " are the same package file (duplicate)");
        }
    }
    return s;
}

std::string read_lockfile(const std::string& src_dir, const std::string& rel, const DepsLimits& limits) {
    Fd root(::open(src_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (root.fd < 0) throw Error("cannot open the source tree " + src_dir + ": " + std::strerror(errno));
    Fd fd(::openat(root.fd, rel.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    struct stat st {};
    if (fd.fd < 0) throw Error(rel + ": not in the checked-out commit (or a link): " + std::strerror(errno));
    if (::fstat(fd.fd, &st) != 0 || !S_ISREG(st.st_mode)) throw Error(rel + ": not a regular file");
    if (static_cast<std::uint64_t>(st.st_size) > limits.max_lockfile_bytes)
        throw Error(rel + ": larger than " + std::to_string(limits.max_lockfile_bytes) + " bytes");
    std::string text(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t got = 0;
    while (got < text.size()) {
        ssize_t n = ::read(fd.fd, text.data() + got, text.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw Error(rel + ": short read");
        got += static_cast<std::size_t>(n);
    }
    return text;
}

}  // namespace kettle::pkgdeps::detail

namespace kettle::pkgdeps {

Bytes file_digest(const std::string& path, const std::string& alg) {
    if (!digest_length(alg)) throw Error(path + ": unknown digest algorithm " + alg);
    detail::Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    struct stat st {};
    if (fd.fd < 0 || ::fstat(fd.fd, &st) != 0 || !S_ISREG(st.st_mode)) throw Error(path + ": not a regular file");
    return detail::digests_of(fd.fd, static_cast<std::uint64_t>(st.st_size), {alg}, path)[alg];
}

}  // namespace kettle::pkgdeps

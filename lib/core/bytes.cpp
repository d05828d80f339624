#include "kettle/core/bytes.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kettle/core/error.hpp"
#include "kettle/core/safe_read.hpp"

namespace kettle {

std::string hex(ByteView b) {
    static const char d[] = "0123456789abcdef";
    std::string s(b.size() * 2, '0');
    for (std::size_t i = 0; i < b.size(); ++i) {
        s[2 * i] = d[b[i] >> 4];
        s[2 * i + 1] = d[b[i] & 15];
    }
    return s;
}

static int nib(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string hex_int(std::uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
}

Bytes unhex(std::string_view s) {
    if (s.size() % 2) throw Error("hex: odd number of digits (" + std::to_string(s.size()) + ")");
    Bytes out(s.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i) {
        int hi = nib(s[2 * i]), lo = nib(s[2 * i + 1]);
        if (hi < 0 || lo < 0) throw Error("hex: not a hex digit at position " + std::to_string(hi < 0 ? 2 * i : 2 * i + 1));
        out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    return out;
}

ByteView slice(ByteView b, std::size_t off, std::size_t len, const char* what) {
    if (off > b.size() || len > b.size() - off)
        throw Error(std::string(what) + ": range [" + std::to_string(off) + ", +" + std::to_string(len) +
                    ") is out of bounds (size " + std::to_string(b.size()) + ")");
    return b.subspan(off, len);
}

template <typename T>
static T load_le(ByteView b, std::size_t off) {
    ByteView s = slice(b, off, sizeof(T), "little-endian read");
    T v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) v |= static_cast<T>(s[i]) << (8 * i);
    return v;
}
std::uint16_t le16(ByteView b, std::size_t off) { return load_le<std::uint16_t>(b, off); }
std::uint32_t le32(ByteView b, std::size_t off) { return load_le<std::uint32_t>(b, off); }
std::uint64_t le64(ByteView b, std::size_t off) { return load_le<std::uint64_t>(b, off); }

template <typename T>
static void store_le(Bytes& out, T v) {
    for (std::size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void put_le16(Bytes& out, std::uint16_t v) { store_le(out, v); }
void put_le32(Bytes& out, std::uint32_t v) { store_le(out, v); }
void put_le64(Bytes& out, std::uint64_t v) { store_le(out, v); }

namespace {
Bytes read_file_flags(const std::string& path, std::size_t max_bytes, int extra_flags) {
    // O_NONBLOCK: opening a FIFO must not wait for a writer (a hostile directory can hold one under any name).
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | extra_flags);
    if (fd < 0) {
        if (errno == ELOOP && (extra_flags & O_NOFOLLOW)) throw Error(path + ": is a symbolic link (not followed)");
        throw Error(path + ": " + std::strerror(errno));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw Error(path + ": not a regular file");
    }
    // st_size is only a hint: sysfs attributes claim 4096 bytes and procfs files 0. The limit is enforced on
    // the bytes actually read.
    Bytes out;
    if (static_cast<std::uint64_t>(st.st_size) <= max_bytes) out.reserve(static_cast<std::size_t>(st.st_size));
    std::uint8_t buf[65536];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            ::close(fd);
            throw Error(path + ": " + std::strerror(e));
        }
        if (n == 0) break;
        if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
            ::close(fd);
            throw Error(path + ": more than the limit of " + std::to_string(max_bytes) + " bytes");
        }
        out.insert(out.end(), buf, buf + n);
    }
    ::close(fd);
    return out;
}
}  // namespace

Bytes read_file(const std::string& path, std::size_t max_bytes) { return read_file_flags(path, max_bytes, 0); }

Bytes read_file_nofollow(const std::string& path, std::size_t max_bytes) {
    return read_file_flags(path, max_bytes, O_NOFOLLOW);
}

void write_file(const std::string& path, ByteView data) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw Error(path + ": " + std::strerror(errno));
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            ::close(fd);
            throw Error(path + ": " + std::strerror(e));
        }
        done += static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0) throw Error(path + ": " + std::strerror(errno));
}

bool equal_ct(ByteView a, ByteView b) {
    if (a.size() != b.size()) return false;
    unsigned char acc = 0;
    for (std::size_t i = 0; i < a.size(); ++i) acc |= a[i] ^ b[i];
    return acc == 0;
}

}  // namespace kettle

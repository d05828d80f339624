// Safe extraction primitives shared by the input reader (guest) and the output reader (host).
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "format_internal.hpp"
#include "kettle/disk/format.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/text.hpp"

namespace kettle {

std::string normalize_member_path(std::string_view raw, std::size_t max_path) {
    std::string q(raw);
    if (q.empty()) throw Error("empty path");
    if (q[0] == '/') throw Error("absolute path " + quote_text(q));
    for (unsigned char c : q) {
        if (c < 0x20 || c == 0x7f) throw Error("control byte in path " + quote_text(q));
        if (c == '\\') throw Error("backslash in path " + quote_text(q));
    }
    if (std::size_t bad = first_invalid_utf8(q); bad != q.size())
        throw Error("path " + quote_text(q) + " is not valid UTF-8 (byte " + std::to_string(bad) + ")");
    std::string out;
    std::size_t i = 0;
    while (i <= q.size()) {
        std::size_t j = q.find('/', i);
        if (j == std::string::npos) j = q.size();
        std::string_view comp(q.data() + i, j - i);
        bool last = j == q.size();
        if (comp == "..") throw Error("\"..\" in path " + quote_text(q));
        if (comp.empty()) {
            // allow only a single trailing slash (directory entries)
            if (!(last && i > 0)) throw Error("empty component in path " + quote_text(q));
        } else if (comp != ".") {
            if (comp.size() > 255) throw Error("path component longer than 255 bytes");
            if (!out.empty()) out += '/';
            out.append(comp);
        }
        i = j + 1;
    }
    if (out.empty()) throw Error("empty path " + quote_text(q));
    if (out.size() > max_path) throw Error("path longer than " + std::to_string(max_path) + " bytes");
    return out;
}

namespace detail {

const char* entry_type_name(unsigned type) {
    switch (type) {
        case AE_IFREG: return "regular file";
        case AE_IFDIR: return "directory";
        case AE_IFLNK: return "symbolic link";
        case AE_IFCHR: return "character device";
        case AE_IFBLK: return "block device";
        case AE_IFIFO: return "FIFO";
        case AE_IFSOCK: return "socket";
        default: return "unknown entry type";
    }
}

void write_all(int fd, const void* data, std::size_t len, const std::string& what) {
    auto p = static_cast<const char*>(data);
    while (len > 0) {
        ssize_t n = ::write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw Error(what + ": write: " + std::strerror(errno));
        }
        p += n;
        len -= static_cast<std::size_t>(n);
    }
}

Bytes copy_entry_data(struct archive* a, int fd, std::uint64_t size, const std::string& what, bool hash) {
    Hasher h(HashAlg::sha256);
    std::uint64_t pos = 0;
    for (;;) {
        const void* buf = nullptr;
        size_t len = 0;
        la_int64_t off = 0;
        int r = archive_read_data_block(a, &buf, &len, &off);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_OK) {
            const char* es = archive_error_string(a);
            throw Error(what + ": " + (es ? es : "read error"));
        }
        if (off < 0 || static_cast<std::uint64_t>(off) != pos) throw Error(what + ": sparse entries are not supported");
        if (len > size - pos) throw Error(what + ": more data than the declared size");
        if (len == 0) continue;
        if (hash) h.update(ByteView(static_cast<const std::uint8_t*>(buf), len));
        if (fd >= 0) write_all(fd, buf, len, what);
        pos += len;
    }
    if (pos != size) throw Error(what + ": truncated (" + std::to_string(pos) + " of " + std::to_string(size) + " bytes)");
    return hash ? h.finish() : Bytes{};
}

SafeTree::SafeTree(std::string root, std::string what, TreePolicy policy, bool create)
    : root_(std::move(root)), what_(std::move(what)), policy_(policy) {
    if (create && ::mkdir(root_.c_str(), 0755) != 0)
        throw Error(what_ + ": cannot create " + root_ + ": " + std::strerror(errno));
    root_fd_ = ::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (root_fd_ < 0) throw Error(what_ + ": cannot open " + root_ + ": " + std::strerror(errno));
    if (!create) {
        int dfd = ::dup(root_fd_);
        DIR* d = dfd >= 0 ? ::fdopendir(dfd) : nullptr;
        if (!d) {
            if (dfd >= 0) ::close(dfd);
            ::close(root_fd_);
            throw Error(what_ + ": cannot list " + root_);
        }
        bool empty = true;
        while (dirent* de = ::readdir(d)) {
            if (std::strcmp(de->d_name, ".") && std::strcmp(de->d_name, "..")) empty = false;
        }
        ::closedir(d);
        if (!empty) {
            ::close(root_fd_);
            throw Error(what_ + ": destination " + root_ + " is not empty");
        }
    }
}

SafeTree::~SafeTree() {
    if (root_fd_ >= 0) ::close(root_fd_);
}

void SafeTree::fail(const std::string& rel, const std::string& why) const { throw Error(what_ + ": " + rel + ": " + why); }

void SafeTree::parents(const std::string& rel) {
    std::size_t i = 0;
    while ((i = rel.find('/', i)) != std::string::npos) {
        std::string pre = rel.substr(0, i);
        auto it = kinds_.find(pre);
        if (it == kinds_.end()) {
            if (::mkdirat(root_fd_, pre.c_str(), 0755) != 0) fail(rel, std::string("mkdir: ") + std::strerror(errno));
            kinds_.emplace(pre, Kind::implicit_dir);
        } else if (it->second == Kind::symlink) {
            fail(rel, "path goes through the symbolic link " + pre);
        } else if (it->second == Kind::file) {
            fail(rel, "parent " + pre + " is not a directory");
        }
        ++i;
    }
}

void SafeTree::claim(const std::string& rel, bool is_dir) {
    auto it = kinds_.find(rel);
    if (it != kinds_.end()) {
        if (is_dir && it->second == Kind::implicit_dir) {
            it->second = Kind::dir;
            return;
        }
        fail(rel, "duplicate name");
    }
    parents(rel);
}

void SafeTree::make_dir(const std::string& rel) {
    auto it = kinds_.find(rel);
    bool existed = it != kinds_.end() && it->second == Kind::implicit_dir;
    claim(rel, true);
    if (existed) return;
    if (::mkdirat(root_fd_, rel.c_str(), 0755) != 0) fail(rel, std::string("mkdir: ") + std::strerror(errno));
    kinds_[rel] = Kind::dir;
}

int SafeTree::create_file(const std::string& rel, bool exec) {
    claim(rel, false);
    int fd = ::openat(root_fd_, rel.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, exec ? 0755 : 0644);
    if (fd < 0) fail(rel, std::string("create: ") + std::strerror(errno));
    ::fchmod(fd, exec ? 0755 : 0644);  // independent of the umask
    kinds_[rel] = Kind::file;
    return fd;
}

void SafeTree::make_symlink(const std::string& rel, const std::string& target) {
    if (!policy_.symlinks) fail(rel, "symbolic links are not allowed here");
    if (target.empty()) fail(rel, "symbolic link with an empty target");
    if (target.size() > policy_.max_symlink_target) fail(rel, "symbolic link target too long");
    for (unsigned char c : target)
        if (c < 0x20 || c == 0x7f) fail(rel, "control byte in symbolic link target");
    if (!valid_utf8(target)) fail(rel, "symbolic link target " + quote_text(target) + " is not valid UTF-8");
    if (target[0] != '/') {
        // Resolve lexically from the link's directory; it must never climb above the root.
        long depth = 0;
        for (char c : rel) depth += c == '/';
        std::size_t i = 0;
        while (i <= target.size()) {
            std::size_t j = target.find('/', i);
            if (j == std::string::npos) j = target.size();
            std::string_view comp(target.data() + i, j - i);
            if (comp == "..") {
                if (--depth < 0) fail(rel, "symbolic link escapes the root (-> " + quote_text(target) + ")");
            } else if (!comp.empty() && comp != ".") {
                ++depth;
            }
            i = j + 1;
        }
    }
    // Absolute targets are kept: they resolve inside the rootfs after pivot_root, and PID 1 never follows them.
    claim(rel, false);
    if (::symlinkat(target.c_str(), root_fd_, rel.c_str()) != 0) fail(rel, std::string("symlink: ") + std::strerror(errno));
    kinds_[rel] = Kind::symlink;
}

void SafeTree::make_hardlink(const std::string& rel, const std::string& target_rel) {
    if (!policy_.hardlinks) fail(rel, "hard links are not allowed here");
    auto it = kinds_.find(target_rel);
    if (it == kinds_.end()) fail(rel, "hard link to a name outside the archive (" + target_rel + ")");
    if (it->second != Kind::file) fail(rel, "hard link to something other than a regular file (" + target_rel + ")");
    claim(rel, false);
    if (::linkat(root_fd_, target_rel.c_str(), root_fd_, rel.c_str(), 0) != 0)
        fail(rel, std::string("link: ") + std::strerror(errno));
    kinds_[rel] = Kind::file;
}

}  // namespace detail
}  // namespace kettle

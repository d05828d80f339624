// Link-refusing directory walk and file creation for the dependency layout (safe_fs.hpp).
#include "safe_fs.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kettle/core/error.hpp"

namespace kettle::pkgdeps::detail {

Fd::~Fd() {
    if (fd >= 0) ::close(fd);
}

int open_dir(int root_fd, const std::string& rel, bool create, const std::string& what) {
    int cur = ::fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
    if (cur < 0) throw Error(what + ": dup: " + std::strerror(errno));
    std::size_t i = 0;
    while (i < rel.size()) {
        std::size_t j = rel.find('/', i);
        if (j == std::string::npos) j = rel.size();
        std::string comp = rel.substr(i, j - i);
        i = j + 1;
        if (comp.empty() || comp == "." || comp == "..") {
            ::close(cur);
            throw Error(what + ": bad path component in " + rel);
        }
        if (create && ::mkdirat(cur, comp.c_str(), 0755) != 0 && errno != EEXIST) {
            int e = errno;
            ::close(cur);
            throw Error(what + ": mkdir " + rel + ": " + std::strerror(e));
        }
        int next = ::openat(cur, comp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int e = errno;
        ::close(cur);
        if (next < 0)
            throw Error(what + ": " + rel + ": " +
                        (e == ELOOP || e == ENOTDIR ? std::string("a component is a link or not a directory")
                                                    : std::string(std::strerror(e))));
        cur = next;
    }
    return cur;
}

int create_file(int root_fd, const std::string& rel, bool exec, const std::string& what) {
    auto slash = rel.rfind('/');
    Fd dir(slash == std::string::npos ? ::fcntl(root_fd, F_DUPFD_CLOEXEC, 0)
                                      : open_dir(root_fd, rel.substr(0, slash), true, what));
    if (dir.fd < 0) throw Error(what + ": dup: " + std::strerror(errno));
    std::string base = slash == std::string::npos ? rel : rel.substr(slash + 1);
    int fd = ::openat(dir.fd, base.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, exec ? 0755 : 0644);
    if (fd < 0) {
        if (errno == EEXIST) throw Error(what + ": " + rel + " appears twice (or overlaps another package)");
        throw Error(what + ": create " + rel + ": " + std::strerror(errno));
    }
    return fd;
}

}  // namespace kettle::pkgdeps::detail

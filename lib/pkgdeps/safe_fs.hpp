// File-system steps of the dependency layout that never follow a link: every directory is opened component by
// component with O_NOFOLLOW below a root descriptor (lib/pkgdeps, not public).
#pragma once
#include <cstdint>
#include <string>

namespace kettle::pkgdeps::detail {

/// Open (creating when `create`, mode 0755) the directory `rel` ("a/b/c", already normalized) below `root_fd`,
/// refusing a component that is a link or not a directory. Returns an O_DIRECTORY descriptor (caller closes).
/// Throws Error("<what>: ...").
int open_dir(int root_fd, const std::string& rel, bool create, const std::string& what);

/// Create the new regular file `rel` below `root_fd` (its parents are created), mode 0755 when `exec` else 0644,
/// O_EXCL|O_NOFOLLOW: an existing entry of that name is an error. Returns the descriptor (caller closes).
int create_file(int root_fd, const std::string& rel, bool exec, const std::string& what);

/// RAII close.
struct Fd {
    int fd = -1;
    explicit Fd(int f) : fd(f) {}
    ~Fd();
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
};

}  // namespace kettle::pkgdeps::detail

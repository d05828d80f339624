// Internal to the disk format code: a write-only tree that refuses every hostile entry, and the copy loop.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "kettle/core/bytes.hpp"
#include "kettle/core/hash.hpp"

struct archive;

namespace kettle::detail {

struct TreePolicy {
    bool symlinks = false;   ///< allow symbolic links (relative targets must stay inside the root)
    bool hardlinks = false;  ///< allow hard links to regular files extracted earlier from the same archive
    std::size_t max_symlink_target = 1024;
};

/// A directory tree that is only ever written through this object. It knows the kind of every name it created,
/// so it never writes through a symlink or over an existing name. `what` prefixes error messages.
class SafeTree {
public:
    /// `root` is created (it must not exist) when `create` is true, else it must exist and be empty.
    SafeTree(std::string root, std::string what, TreePolicy policy, bool create);
    ~SafeTree();
    SafeTree(const SafeTree&) = delete;
    SafeTree& operator=(const SafeTree&) = delete;

    void make_dir(const std::string& rel);
    /// Create a new regular file (mode 0755 when `exec`, else 0644) and return its fd (caller closes).
    int create_file(const std::string& rel, bool exec);
    void make_symlink(const std::string& rel, const std::string& target);
    void make_hardlink(const std::string& rel, const std::string& target_rel);
    const std::string& root() const { return root_; }

private:
    enum class Kind { dir, implicit_dir, file, symlink };
    void claim(const std::string& rel, bool is_dir);
    void parents(const std::string& rel);
    [[noreturn]] void fail(const std::string& rel, const std::string& why) const;
    std::string root_, what_;
    TreePolicy policy_;
    int root_fd_ = -1;
    std::unordered_map<std::string, Kind> kinds_;
};

/// Copy the data of the current entry of `a` to `fd` (or discard when fd < 0), hashing it. Rejects sparse
/// entries and checks that exactly `size` bytes arrive. Returns the SHA-256. Throws Error(what: ...).
/// With `hash` false the returned digest is empty (the toolchain's files: the nested member digest covers them).
Bytes copy_entry_data(struct archive* a, int fd, std::uint64_t size, const std::string& what, bool hash = true);

/// Full write or throw Error(what: ...).
void write_all(int fd, const void* data, std::size_t len, const std::string& what);

/// Human name of a libarchive file type (for errors): "character device", "FIFO", ...
const char* entry_type_name(unsigned type);

}  // namespace kettle::detail

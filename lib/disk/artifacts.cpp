// Artifact collection: walk the workspace with openat/O_NOFOLLOW, never leaving it through a link; a matched
// symbolic link is resolved only beneath the workspace (openat2 RESOLVE_BENEATH).
#include "kettle/disk/artifacts.hpp"

#include <linux/openat2.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cstdlib>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/text.hpp"

namespace kettle {

namespace {

std::vector<std::string_view> split(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i <= s.size()) {
        std::size_t j = s.find('/', i);
        if (j == std::string_view::npos) j = s.size();
        if (j > i) out.push_back(s.substr(i, j - i));
        i = j + 1;
    }
    return out;
}

/// The pattern's segments with every run of consecutive `**` collapsed into one (`**/**` matches what `**` does).
std::vector<std::string_view> compile(std::string_view pattern) {
    std::vector<std::string_view> out;
    for (auto seg : split(pattern))
        if (!(seg == "**" && !out.empty() && out.back() == "**")) out.push_back(seg);
    return out;
}

/// Dynamic programming over (pattern segment, path segment): ok[pi][si] is true when p[pi..] matches s[si..].
/// Each cell is computed once from the row below, so the cost is at most |p| x (|s| + 1) fnmatch calls, whatever
/// the number of `**` (the recursive matcher was exponential in them).
bool match_segs(const std::vector<std::string_view>& p, const std::vector<std::string_view>& s) {
    const std::size_t P = p.size(), S = s.size(), W = S + 1;
    std::vector<char> below(W, 0), row(W, 0);
    below[S] = 1;  // the empty pattern matches only the empty rest
    std::string ps, ss;
    for (std::size_t pi = P; pi-- > 0;) {
        if (p[pi] == "**") {
            row[S] = below[S];
            for (std::size_t si = S; si-- > 0;) row[si] = below[si] || row[si + 1];
        } else {
            row[S] = 0;
            ps.assign(p[pi]);
            for (std::size_t si = 0; si < S; ++si) {
                if (!below[si + 1]) {
                    row[si] = 0;
                    continue;
                }
                ss.assign(s[si]);
                row[si] = ::fnmatch(ps.c_str(), ss.c_str(), 0) == 0;
            }
        }
        std::swap(below, row);
    }
    return below[0] != 0;
}

std::uint64_t now_ms() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000 + static_cast<std::uint64_t>(ts.tv_nsec) / 1000000;
}

/// Open `rel` (a path relative to the directory `root_fd`, possibly a symbolic link or a chain of them) for reading
/// without ever leaving that directory: openat2(2) with RESOLVE_BENEATH (an absolute target or a ".." above the
/// root fails with EXDEV), RESOLVE_NO_MAGICLINKS (no /proc/PID/fd links) and RESOLVE_NO_XDEV (no other file system).
/// O_NONBLOCK: a FIFO target opens without waiting for a writer. Returns the fd, or -1 with errno set.
int open_beneath(int root_fd, const std::string& rel) {
    open_how how{};
    how.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
    long fd = ::syscall(SYS_openat2, root_fd, rel.c_str(), &how, sizeof how);
    return fd < 0 ? -1 : static_cast<int>(fd);
}

/// Why a matched link cannot be recorded, from the errno of open_beneath.
std::string link_refusal(int err) {
    switch (err) {
        case EXDEV: return "its target is absolute or leaves the workspace (only relative links inside it are followed)";
        case ELOOP: return "it is part of a loop of links (or a chain longer than the kernel's 40)";
        case ENOENT: return "its target does not exist";
        case ENOSYS: return "the kernel has no openat2(2)";
        default: return std::string("its target cannot be opened: ") + std::strerror(err);
    }
}

/// The path of the file `fd` is open on, relative to `root` ("" when it is not under root or cannot be read).
std::string path_below(int fd, const std::string& root) {
    char buf[4096];
    std::string proc = "/proc/self/fd/" + std::to_string(fd);
    ssize_t n = ::readlink(proc.c_str(), buf, sizeof buf - 1);
    if (n <= 0) return "";
    std::string p(buf, static_cast<std::size_t>(n));
    if (p.size() <= root.size() + 1 || p.compare(0, root.size(), root) != 0 || p[root.size()] != '/') return "";
    return p.substr(root.size() + 1);
}

struct Walker {
    const std::vector<std::string>& patterns;
    const ArtifactLimits& lim;
    std::vector<std::vector<std::string_view>> psegs;
    std::vector<bool> matched;
    std::vector<Artifact> out;
    std::uint64_t walked = 0, total = 0;
    std::string root;
    std::uint64_t deadline_ms = 0;
    int root_fd = -1;
    std::string root_real;              ///< realpath(root): what /proc/self/fd shows for files under it
    std::vector<std::string> warnings;  ///< matched links that were skipped, with the reason
    static constexpr std::size_t kMaxWarnings = 100;
    std::uint64_t warnings_dropped = 0;

    void check_time(const std::string& rel) {
        if (now_ms() >= deadline_ms)
            throw Error("artifacts: collection took longer than " + std::to_string(lim.max_seconds) + " s (at " +
                        quote_text(rel) + ", " + std::to_string(walked) + " entries visited)");
    }

    Bytes hash_fd(int fd, const std::string& name) {
        Hasher h(HashAlg::sha256);
        std::vector<std::uint8_t> buf(1 << 20);
        for (;;) {
            ssize_t n = ::read(fd, buf.data(), buf.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw Error("artifacts: " + name + ": read: " + std::strerror(errno));
            if (n == 0) break;
            h.update(ByteView(buf.data(), static_cast<std::size_t>(n)));
        }
        return h.finish();
    }

    void walk(int dfd, const std::string& rel, std::size_t depth) {
        if (depth > lim.max_depth) throw Error("artifacts: " + rel + ": directories nested deeper than the limit");
        int dup = ::dup(dfd);
        DIR* d = dup >= 0 ? ::fdopendir(dup) : nullptr;
        if (!d) {
            if (dup >= 0) ::close(dup);
            throw Error("artifacts: cannot list " + (rel.empty() ? std::string(".") : rel));
        }
        std::vector<std::string> names;
        while (dirent* de = ::readdir(d)) {
            if (!std::strcmp(de->d_name, ".") || !std::strcmp(de->d_name, "..")) continue;
            if (++walked > lim.max_walk_entries) {
                ::closedir(d);
                throw Error("artifacts: more than " + std::to_string(lim.max_walk_entries) + " entries in the workspace");
            }
            names.emplace_back(de->d_name);
        }
        ::closedir(d);
        std::sort(names.begin(), names.end());
        for (const auto& n : names) {
            std::string r = rel.empty() ? n : rel + "/" + n;
            check_time(r);
            struct stat st {};
            if (::fstatat(dfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // vanished
            if (S_ISDIR(st.st_mode)) {
                int sub = ::openat(dfd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub < 0) continue;
                try {
                    walk(sub, r, depth + 1);
                } catch (...) {
                    ::close(sub);
                    throw;
                }
                ::close(sub);
                continue;
            }
            const bool link = S_ISLNK(st.st_mode);
            if (!S_ISREG(st.st_mode) && !link) continue;  // devices, FIFOs, sockets never match
            std::vector<std::size_t> hits = patterns_matching(r);
            if (hits.empty()) continue;
            // The name becomes a subject name of the statement and a key of status.json: text only.
            if (!valid_utf8(r))
                throw Error("artifacts: the file name " + quote_text(r) + " matched by an artifact pattern is not valid UTF-8");
            int fd = link ? open_link(r) : ::openat(dfd, n.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
            if (fd < 0 && link) continue;  // open_link said why
            if (fd < 0) throw Error("artifacts: " + r + ": open: " + std::strerror(errno));
            std::string target;
            if (link && !link_target_ok(fd, r, target)) continue;
            add(fd, r, target);
            for (std::size_t i : hits) matched[i] = true;
        }
    }

    /// The indices of the patterns that match the relative path `r`.
    std::vector<std::size_t> patterns_matching(const std::string& r) {
        auto rsegs = split(r);
        std::vector<std::size_t> hits;
        for (std::size_t i = 0; i < psegs.size(); ++i)
            if (match_segs(psegs[i], rsegs)) hits.push_back(i);
        return hits;
    }

    /// Open the matched link `r` beneath the root; -1 (and a warning) when that is refused.
    int open_link(const std::string& r) {
        int fd = open_beneath(root_fd, r);
        if (fd < 0) warn("artifact link " + quote_text(r) + " skipped: " + link_refusal(errno));
        return fd;
    }

    /// Keep the first kMaxWarnings warnings; count the rest in one last line (a build could make millions of links).
    void warn(std::string w) {
        if (warnings.size() < kMaxWarnings) warnings.push_back(std::move(w));
        else if (++warnings_dropped == 1) warnings.push_back("");
        if (warnings_dropped) warnings.back() = "... and " + std::to_string(warnings_dropped) + " more skipped link(s)";
    }

    /// A link's target must be a regular file whose path below the root is known (`target`); otherwise close
    /// `fd`, warn, and return false.
    bool link_target_ok(int fd, const std::string& r, std::string& target) {
        struct stat fst {};
        std::string why;
        if (::fstat(fd, &fst) != 0) why = std::string("fstat: ") + std::strerror(errno);
        else if (S_ISDIR(fst.st_mode)) why = "its target is a directory";
        else if (!S_ISREG(fst.st_mode)) why = "its target is not a regular file (a device, FIFO or socket)";
        else if ((target = path_below(fd, root_real)).empty() || !valid_utf8(target))
            why = "the path of its target inside the workspace cannot be read as text";
        if (why.empty()) return true;
        ::close(fd);
        warn("artifact link " + quote_text(r) + " skipped: " + why);
        return false;
    }

    /// Record the regular file open on `fd` (closed here) as the artifact `r`; `target` is the file a link named
    /// `r` resolved to, relative to the root, or "" for the file itself.
    void add(int fd, const std::string& r, const std::string& target) {
        struct stat fst {};
        if (::fstat(fd, &fst) != 0 || !S_ISREG(fst.st_mode)) {
            ::close(fd);
            throw Error("artifacts: " + r + ": not a regular file");
        }
        if (out.size() >= lim.max_files) {
            ::close(fd);
            throw Error("artifacts: more than " + std::to_string(lim.max_files) + " artifacts");
        }
        auto size = static_cast<std::uint64_t>(fst.st_size);
        if (size > lim.max_total_bytes - total) {
            ::close(fd);
            throw Error("artifacts: total size over the limit of " + std::to_string(lim.max_total_bytes) + " bytes");
        }
        total += size;
        Bytes d;
        try {
            d = hash_fd(fd, r);
        } catch (...) {
            ::close(fd);
            throw;
        }
        ::close(fd);
        out.push_back({r, root + "/" + (target.empty() ? r : target), size, std::move(d), target});
    }
};

}  // namespace

bool glob_match(std::string_view pattern, std::string_view path) { return match_segs(compile(pattern), split(path)); }

void check_glob(std::string_view p) {
    if (p.empty() || p[0] == '/') throw Error("pattern " + quote_text(p) + " must be relative");
    if (p.size() > kMaxGlobBytes) throw Error("pattern " + quote_text(p) + " is longer than " + std::to_string(kMaxGlobBytes) + " bytes");
    if (!valid_utf8(p)) throw Error("pattern " + quote_text(p) + " is not valid UTF-8");
    auto segs = split(p);
    if (segs.empty()) throw Error("pattern " + quote_text(p) + " is empty");
    if (segs.size() > kMaxGlobSegments)
        throw Error("pattern " + quote_text(p) + " has more than " + std::to_string(kMaxGlobSegments) + " segments");
    for (auto s : segs)
        if (s == "..") throw Error("pattern " + quote_text(p) + " contains \"..\"");
}

ArtifactCollection gather_artifacts(const std::string& root, const std::vector<std::string>& patterns,
                                    const ArtifactLimits& limits) {
    Walker w{patterns, limits, {}, std::vector<bool>(patterns.size(), false), {}, 0, 0, root};
    w.deadline_ms = now_ms() + std::uint64_t{limits.max_seconds} * 1000;
    for (const auto& p : patterns) {
        try {
            check_glob(p);
        } catch (const Error& e) {
            throw Error(std::string("artifacts: ") + e.what());
        }
        w.psegs.push_back(compile(p));
    }
    int dfd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0) throw Error("artifacts: cannot open " + root + ": " + std::strerror(errno));
    w.root_fd = dfd;
    if (char* rp = ::realpath(root.c_str(), nullptr)) {
        w.root_real = rp;
        std::free(rp);
    }
    try {
        w.walk(dfd, "", 0);
    } catch (...) {
        ::close(dfd);
        throw;
    }
    ::close(dfd);
    ArtifactCollection c;
    c.artifacts = std::move(w.out);
    c.warnings = std::move(w.warnings);
    for (std::size_t i = 0; i < patterns.size(); ++i)
        if (!w.matched[i]) c.unmatched.push_back(patterns[i]);
    return c;
}

std::string unmatched_warning(const std::string& pattern) {
    return "artifact pattern " + quote_text(pattern) +
           " matched no regular file (nor a link to one inside the workspace); nothing was collected for it";
}

std::vector<Artifact> collect_artifacts(const std::string& root, const std::vector<std::string>& patterns,
                                        const ArtifactLimits& limits) {
    ArtifactCollection c = gather_artifacts(root, patterns, limits);
    if (!c.unmatched.empty())
        throw Error("artifacts: pattern " + quote_text(c.unmatched.front()) + " matched no regular file");
    return std::move(c.artifacts);
}

}  // namespace kettle

// Artifact collection: walk the workspace with openat/O_NOFOLLOW, never leaving it through a link.
#include "kettle/disk/artifacts.hpp"

#include <algorithm>
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

struct Walker {
    const std::vector<std::string>& patterns;
    const ArtifactLimits& lim;
    std::vector<std::vector<std::string_view>> psegs;
    std::vector<bool> matched;
    std::vector<Artifact> out;
    std::uint64_t walked = 0, total = 0;
    std::string root;
    std::uint64_t deadline_ms = 0;

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
            if (!S_ISREG(st.st_mode)) continue;  // symlinks, devices, FIFOs, sockets never match
            auto rsegs = split(r);
            bool hit = false;
            for (std::size_t i = 0; i < psegs.size(); ++i) {
                if (match_segs(psegs[i], rsegs)) {
                    matched[i] = true;
                    hit = true;
                }
            }
            if (!hit) continue;
            // The name becomes a subject name of the statement and a key of status.json: text only.
            if (!valid_utf8(r))
                throw Error("artifacts: the file name " + quote_text(r) + " matched by an artifact pattern is not valid UTF-8");
            int fd = ::openat(dfd, n.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
            if (fd < 0) throw Error("artifacts: " + r + ": open: " + std::strerror(errno));
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
            out.push_back({r, root + "/" + r, size, std::move(d)});
        }
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

std::vector<Artifact> collect_artifacts(const std::string& root, const std::vector<std::string>& patterns,
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
    try {
        w.walk(dfd, "", 0);
    } catch (...) {
        ::close(dfd);
        throw;
    }
    ::close(dfd);
    for (std::size_t i = 0; i < patterns.size(); ++i)
        if (!w.matched[i]) throw Error("artifacts: pattern " + quote_text(patterns[i]) + " matched no regular file");
    return std::move(w.out);
}

}  // namespace kettle

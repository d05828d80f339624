// Artifact collection: walk the workspace with openat/O_NOFOLLOW, never leaving it through a link.
#include "kettle/disk/artifacts.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"

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

bool match_segs(const std::vector<std::string_view>& p, std::size_t pi, const std::vector<std::string_view>& s,
                std::size_t si) {
    while (pi < p.size()) {
        if (p[pi] == "**") {
            for (std::size_t k = si; k <= s.size(); ++k)
                if (match_segs(p, pi + 1, s, k)) return true;
            return false;
        }
        if (si >= s.size()) return false;
        std::string ps(p[pi]), ss(s[si]);
        if (::fnmatch(ps.c_str(), ss.c_str(), 0) != 0) return false;
        ++pi;
        ++si;
    }
    return si == s.size();
}

struct Walker {
    const std::vector<std::string>& patterns;
    const ArtifactLimits& lim;
    std::vector<std::vector<std::string_view>> psegs;
    std::vector<bool> matched;
    std::vector<Artifact> out;
    std::uint64_t walked = 0, total = 0;
    std::string root;

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
                if (match_segs(psegs[i], 0, rsegs, 0)) {
                    matched[i] = true;
                    hit = true;
                }
            }
            if (!hit) continue;
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

bool glob_match(std::string_view pattern, std::string_view path) {
    return match_segs(split(pattern), 0, split(path), 0);
}

std::vector<Artifact> collect_artifacts(const std::string& root, const std::vector<std::string>& patterns,
                                        const ArtifactLimits& limits) {
    Walker w{patterns, limits, {}, std::vector<bool>(patterns.size(), false), {}, 0, 0, root};
    for (const auto& p : patterns) {
        if (p.empty() || p[0] == '/') throw Error("artifacts: pattern \"" + p + "\" must be relative");
        auto segs = split(p);
        for (auto s : segs)
            if (s == "..") throw Error("artifacts: pattern \"" + p + "\" contains \"..\"");
        if (segs.empty()) throw Error("artifacts: pattern \"" + p + "\" is empty");
        w.psegs.push_back(std::move(segs));
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
        if (!w.matched[i]) throw Error("artifacts: pattern \"" + patterns[i] + "\" matched no regular file");
    return std::move(w.out);
}

}  // namespace kettle

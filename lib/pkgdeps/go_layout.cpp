// The Go check in the guest (kettle/pkgdeps/package.hpp verify_and_lay_out): go.sum from the checkout, every module
// zip and go.mod file on the input disk checked against its h1: line, then laid out as the module cache the go
// command reads offline (https://go.dev/ref/mod#module-cache, the GOPROXY file layout of
// https://go.dev/ref/mod#goproxy-protocol under cache/download/).
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

#include "kettle/core/base64.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/text.hpp"
#include "kettle/pkgdeps/golang.hpp"
#include "safe_fs.hpp"
#include "store.hpp"

namespace kettle::pkgdeps {

namespace {

constexpr std::uint64_t kMaxGoModBytes = std::uint64_t{16} << 20;

std::string who(const GoSumEntry& e) { return e.module + "@" + e.version + (e.go_mod ? " (go.mod)" : " (zip)"); }

/// The whole regular file `fd` (at most `max` bytes).
std::string read_small(int fd, std::uint64_t max, const std::string& what) {
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) throw Error(what + ": not a regular file");
    if (static_cast<std::uint64_t>(st.st_size) > max) throw Error(what + ": larger than " + std::to_string(max) + " bytes");
    std::string text(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t got = 0;
    while (got < text.size()) {
        ssize_t n = ::pread(fd, text.data() + got, text.size() - got, static_cast<off_t>(got));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw Error(what + ": short read");
        got += static_cast<std::size_t>(n);
    }
    return text;
}

/// Copy the open file `in` to the new file `rel` below `root_fd` (never following a link).
void copy_to(int in, int root_fd, const std::string& rel, const std::string& what) {
    detail::Fd out(detail::create_file(root_fd, rel, false, what));
    std::vector<char> buf(1 << 20);
    const std::string write_what = what + ": write " + rel;
    off_t off = 0;
    for (;;) {
        ssize_t n = ::pread(in, buf.data(), buf.size(), off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw Error(what + ": read: " + std::strerror(errno));
        if (n == 0) break;
        off += n;
        for (ssize_t w = 0; w < n;) {
            ssize_t k = ::write(out.fd, buf.data() + w, static_cast<std::size_t>(n - w));
            if (k < 0 && errno == EINTR) continue;
            if (k <= 0) throw Error(write_what + ": " + std::strerror(errno));
            w += k;
        }
    }
}

void write_text(int root_fd, const std::string& rel, const std::string& text, const std::string& what) {
    detail::Fd out(detail::create_file(root_fd, rel, false, what));
    if (::write(out.fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
        throw Error(what + ": write " + rel + ": " + std::strerror(errno));
}

std::string cache_dir_of(const GoSumEntry& e) { return "cache/download/" + go_escape(e.module) + "/@v/"; }

/// The h1 of the package file `fd` as the entry `e` reads it: a go.mod file, or a module zip, which is repacked
/// as it is hashed into cache/download/.../<v>.zip below `root_fd` (the go command gets only the hashed bytes).
Bytes h1_of(int fd, const GoSumEntry& e, const DepsLimits& limits, int root_fd) {
    if (e.go_mod) return gomod_h1(read_small(fd, kMaxGoModBytes, "deps: go: " + who(e)));
    const std::string what = "deps: go: " + who(e);
    detail::Fd out(detail::create_file(root_fd, cache_dir_of(e) + go_escape(e.version) + ".zip", false, what));
    return module_zip_h1(fd, e.module, e.version, limits, out.fd);
}

/// Every go.sum entry has its file on the disk whose h1 is the one go.sum pins (each module zip repacked into the
/// cache below `root_fd` on the way); returns each entry's file index.
std::vector<std::size_t> match_all(const std::vector<GoSumEntry>& sum, detail::Store& store, const DepsLimits& limits,
                                   int root_fd) {
    std::map<std::string, std::size_t> by_name;
    for (std::size_t i = 0; i < store.files.size(); ++i) by_name[store.files[i].name] = i;
    std::vector<std::size_t> idx;
    for (const auto& e : sum) {
        try {
            check_module_path(e.module);
            check_module_version(e.module, e.version);
        } catch (const Error& x) {
            throw Error(std::string("deps: go: go.sum: ") + x.what());
        }
        auto it = by_name.find(go_member_name(e));
        if (it == by_name.end())
            throw Error("deps: go: missing module " + who(e) + ": no package file has go.sum's h1:" +
                        base64_encode(e.h1));
        detail::StoredFile& f = store.files[it->second];
        detail::Fd fd(::open((store.dir + "/" + f.name).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
        if (fd.fd < 0) throw Error("deps: go: cannot open " + f.name + ": " + std::strerror(errno));
        Bytes got;
        try {
            got = h1_of(fd.fd, e, limits, root_fd);
        } catch (const Error& x) {
            std::string m = x.what();
            throw Error(m.rfind("deps: ", 0) == 0 ? m : "deps: " + m);
        }
        if (got != e.h1)
            throw Error("deps: go: module " + who(e) + ": its file's h1:" + base64_encode(got) +
                        " is not go.sum's h1:" + base64_encode(e.h1));
        f.used = true;
        idx.push_back(it->second);
    }
    return idx;
}

/// The rest of cache/download/<escaped path>/@v/ below `root_fd` (the zips are there already, see h1_of): list,
/// <v>.info, <v>.mod, <v>.ziphash.
void lay_out(const std::vector<GoSumEntry>& sum, const std::vector<std::size_t>& idx, const detail::Store& store,
             int root_fd) {
    std::map<std::string, std::set<std::string>> versions;  // escaped path -> escaped versions
    for (std::size_t i = 0; i < sum.size(); ++i) {
        const GoSumEntry& e = sum[i];
        const std::string dir = cache_dir_of(e);
        const std::string v = go_escape(e.version);
        const std::string what = "deps: go: " + who(e);
        if (e.go_mod) {
            detail::Fd in(::open((store.dir + "/" + store.files[idx[i]].name).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
            if (in.fd < 0) throw Error(what + ": cannot open " + store.files[idx[i]].name + ": " + std::strerror(errno));
            copy_to(in.fd, root_fd, dir + v + ".mod", what);
            write_text(root_fd, dir + v + ".info", "{\"Version\":\"" + e.version + "\"}\n", what);
            versions[go_escape(e.module)].insert(e.version);
        } else {
            write_text(root_fd, dir + v + ".ziphash", "h1:" + base64_encode(e.h1), what);
        }
    }
    for (const auto& [path, vs] : versions) {
        std::string list;
        for (const auto& v : vs) list += v + "\n";
        write_text(root_fd, "cache/download/" + path + "/@v/list", list, "deps: go: " + path);
    }
}

}  // namespace

VerifiedSet verify_go(const std::string& src_dir, const std::string& pkg_dir, const DepsLimits& limits) {
    VerifiedSet v;
    v.ecosystem = "go";
    v.lockfile = kGoLockfile;
    std::vector<GoSumEntry> sum;
    try {
        std::string text = detail::read_lockfile(src_dir, kGoLockfile, limits);
        v.lockfile_sha256 = sha256(text);
        sum = parse_go_sum(text, limits);
    } catch (const Error& e) {
        throw Error(std::string("deps: go: ") + e.what());
    }
    detail::Store store = detail::hash_store(pkg_dir, {"sha256"}, "go", limits);
    struct stat st {};
    if (::lstat((src_dir + "/" + kGoModCacheDir).c_str(), &st) == 0)
        throw Error(std::string("deps: go: the commit already holds ") + kGoModCacheDir +
                    "; the module cache is laid out from go.sum only");
    detail::Fd src(::open(src_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (src.fd < 0) throw Error("deps: go: cannot open " + src_dir + ": " + std::strerror(errno));
    // Made before the check: the zips are repacked into it as they are hashed. A failed check ends the run in
    // phase deps, so a half-made cache is never built from.
    detail::Fd root(detail::open_dir(src.fd, kGoModCacheDir, true, "deps: go"));
    std::vector<std::size_t> idx = match_all(sum, store, limits, root.fd);
    store.require_all_used("go", kGoLockfile);
    lay_out(sum, idx, store, root.fd);
    for (const auto& e : sum)
        v.packages.push_back({golang_purl(e.module, e.version) + (e.go_mod ? "#go.mod" : ""), "dirHash", hex(e.h1)});
    std::sort(v.packages.begin(), v.packages.end());
    v.files = store.files.size();
    v.bytes = store.bytes;
    return v;
}

}  // namespace kettle::pkgdeps

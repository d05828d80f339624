// One npm tarball into node_modules (kettle/pkgdeps/npm.hpp): gzip + tar through libarchive, every entry checked.
#include <archive.h>
#include <archive_entry.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include "kettle/core/error.hpp"
#include "kettle/core/json.hpp"
#include "kettle/core/text.hpp"
#include "kettle/disk/format.hpp"
#include "kettle/pkgdeps/npm.hpp"
#include "safe_fs.hpp"

namespace kettle::pkgdeps {

namespace {

struct Reader {
    struct archive* a = archive_read_new();
    ~Reader() { archive_read_free(a); }
};

struct Ctx {
    const LockedPackage& p;
    const DepsLimits& lim;
    std::uint64_t& entries;
    std::uint64_t& bytes;
    std::string who;  // "npm package node_modules/x (x@1.0.0)"
    std::string manifest;
    bool have_manifest = false;
};

[[noreturn]] void fail(const Ctx& c, const std::string& why) { throw Error(c.who + ": " + why); }

void write_all(const Ctx& c, int fd, const char* p, std::size_t n) {
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) fail(c, std::string("write: ") + std::strerror(errno));
        p += w;
        n -= static_cast<std::size_t>(w);
    }
}

// Copy the current entry's data into `fd`, exactly `size` bytes; keep a copy when it is the package.json.
void copy_data(Ctx& c, struct archive* a, int fd, std::uint64_t size, bool keep) {
    char buf[65536];
    std::uint64_t got = 0;
    for (;;) {
        la_ssize_t n = archive_read_data(a, buf, sizeof buf);
        if (n < 0) fail(c, std::string("tarball: ") + archive_error_string(a));
        if (n == 0) break;
        got += static_cast<std::uint64_t>(n);
        if (got > size) fail(c, "tarball: an entry holds more data than its header says");
        c.bytes += static_cast<std::uint64_t>(n);
        if (c.bytes > c.lim.max_extracted_bytes)
            fail(c, "the packages hold more than " + std::to_string(c.lim.max_extracted_bytes) + " bytes");
        write_all(c, fd, buf, static_cast<std::size_t>(n));
        if (keep) c.manifest.append(buf, static_cast<std::size_t>(n));
    }
    if (got != size) fail(c, "tarball: an entry ends before its size");
}

// The entry's path below the tarball's top directory, normalized; "" for the top directory itself.
std::string inner_path(const Ctx& c, struct archive_entry* e) {
    const char* raw = archive_entry_pathname(e);
    if (!raw) fail(c, "tarball: an entry has no name");
    std::string n;
    try {
        n = normalize_member_path(raw, 1024);
    } catch (const Error& err) {
        fail(c, std::string("tarball: ") + err.what());
    }
    auto slash = n.find('/');
    return slash == std::string::npos ? std::string() : n.substr(slash + 1);
}

void one_entry(Ctx& c, struct archive* a, struct archive_entry* e, int pkg_fd) {
    if (++c.entries > c.lim.max_entries)
        fail(c, "the packages hold more than " + std::to_string(c.lim.max_entries) + " tar entries");
    std::string rel = inner_path(c, e);
    unsigned type = archive_entry_filetype(e);
    if (archive_entry_hardlink(e) || type == AE_IFLNK)
        fail(c, "tarball: " + quote_text(archive_entry_pathname(e)) + " is a link: links are not allowed in packages");
    if (type != AE_IFREG && type != AE_IFDIR)
        fail(c, "tarball: " + quote_text(archive_entry_pathname(e)) + " is neither a regular file nor a directory");
    if (rel.empty()) {
        if (type == AE_IFREG) fail(c, "tarball: a file lies outside the package directory");
        return;
    }
    if (type == AE_IFDIR) {
        detail::Fd d(detail::open_dir(pkg_fd, rel, true, c.who));
        return;
    }
    if (!archive_entry_size_is_set(e) || archive_entry_size(e) < 0) fail(c, "tarball: an entry has no size");
    auto size = static_cast<std::uint64_t>(archive_entry_size(e));
    if (size > c.lim.max_package_bytes) fail(c, "tarball: " + quote_text(rel) + " is too large");
    bool manifest = rel == "package.json";
    if (manifest && size > c.lim.max_manifest_bytes) fail(c, "package.json is larger than the limit");
    detail::Fd f(detail::create_file(pkg_fd, rel, (archive_entry_perm(e) & 0111) != 0, c.who));
    copy_data(c, a, f.fd, size, manifest);
    if (manifest) c.have_manifest = true;
}

// The package.json must name the locked package; returns its "bin" commands.
std::vector<std::pair<std::string, std::string>> check_manifest(const Ctx& c) {
    if (!c.have_manifest) fail(c, "the tarball has no package.json");
    Json m;
    try {
        m = parse_strict(c.manifest);
    } catch (const Error& e) {
        fail(c, std::string("its package.json: ") + e.what());
    }
    if (!m.is_object()) fail(c, "its package.json is not an object");
    auto name = m.find("name"), version = m.find("version");
    std::string n = name != m.end() && name->is_string() ? name->get<std::string>() : "";
    std::string v = version != m.end() && version->is_string() ? version->get<std::string>() : "";
    if (n != c.p.name || v != c.p.version)
        fail(c, "the tarball is " + quote_text(n) + "@" + quote_text(v) + ", not the locked " + c.p.name + "@" +
                    c.p.version + " (its digest matches the lockfile, but the lockfile names another package)");
    std::vector<std::pair<std::string, std::string>> bins;
    auto bin = m.find("bin");
    if (bin == m.end()) return bins;
    std::string base = n.substr(n.find('/') == std::string::npos ? 0 : n.find('/') + 1);
    if (bin->is_string()) bins.emplace_back(base, bin->get<std::string>());
    else if (bin->is_object())
        for (auto it = bin->begin(); it != bin->end(); ++it)
            if (it->is_string()) bins.emplace_back(it.key(), it->get<std::string>());
    return bins;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> extract_npm_tarball(int tar_fd, int root_fd, const std::string& dest_rel,
                                                                     const LockedPackage& expect,
                                                                     const DepsLimits& limits,
                                                                     std::uint64_t& entries, std::uint64_t& bytes) {
    Ctx c{expect, limits, entries, bytes, "npm package " + expect.install_path + " (" + expect.name + "@" +
                                              expect.version + ")", {}, false};
    detail::Fd pkg(detail::open_dir(root_fd, dest_rel, true, c.who));
    Reader r;
    archive_read_support_filter_gzip(r.a);
    archive_read_support_format_tar(r.a);
    if (::lseek(tar_fd, 0, SEEK_SET) != 0) fail(c, std::string("seek: ") + std::strerror(errno));
    if (archive_read_open_fd(r.a, tar_fd, 65536) != ARCHIVE_OK)
        fail(c, std::string("tarball: ") + archive_error_string(r.a));
    for (;;) {
        struct archive_entry* e = nullptr;
        int st = archive_read_next_header(r.a, &e);
        if (st == ARCHIVE_EOF) break;
        if (st < ARCHIVE_WARN) fail(c, std::string("tarball: ") + archive_error_string(r.a));
        one_entry(c, r.a, e, pkg.fd);
    }
    return check_manifest(c);
}

}  // namespace kettle::pkgdeps

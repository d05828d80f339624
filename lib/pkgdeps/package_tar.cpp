// The bounded package-archive extractor shared by npm and cargo (package_tar.hpp): gzip + tar through libarchive.
#include "package_tar.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/text.hpp"
#include "kettle/disk/format.hpp"
#include "safe_fs.hpp"

namespace kettle::pkgdeps::detail {

namespace {

constexpr std::size_t kMaxPath = 1024;  // bytes of a normalized entry path

struct Reader {
    struct archive* a = archive_read_new();
    ~Reader() { archive_read_free(a); }
};

struct Ctx {
    const PackageTarRules& rules;
    const DepsLimits& lim;
    std::uint64_t& entries;
    std::uint64_t& bytes;
    PackageTarResult out;
};

[[noreturn]] void fail(const Ctx& c, const std::string& why) { package_error(c.rules, why); }
/// An archive fault: "<label>: <why>".
[[noreturn]] void bad(const Ctx& c, const std::string& why) { fail(c, c.rules.label + ": " + why); }
/// libarchive's message for the last failure (it may have none).
std::string la_error(struct archive* a) {
    const char* s = archive_error_string(a);
    return s ? s : "unreadable archive";
}

void write_all(const Ctx& c, int fd, const char* p, std::size_t n) {
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) fail(c, std::string("write: ") + std::strerror(errno));
        p += w;
        n -= static_cast<std::size_t>(w);
    }
}

/// Copy the current entry's data into `fd`, exactly `size` bytes, counting them against the set's limit; hash it
/// when the rules ask; keep a copy when it is the manifest. Returns the lower-hex SHA-256, or "" when not hashed.
std::string copy_data(Ctx& c, struct archive* a, int fd, std::uint64_t size, bool keep) {
    char buf[65536];
    std::uint64_t got = 0;
    Hasher h(HashAlg::sha256);
    for (;;) {
        la_ssize_t n = archive_read_data(a, buf, sizeof buf);
        if (n < 0) bad(c, la_error(a));
        if (n == 0) break;
        got += static_cast<std::uint64_t>(n);
        if (got > size) bad(c, "an entry holds more data than its header says");
        c.bytes += static_cast<std::uint64_t>(n);
        if (c.bytes > c.lim.max_extracted_bytes)
            fail(c, "the packages hold more than " + std::to_string(c.lim.max_extracted_bytes) + " bytes");
        write_all(c, fd, buf, static_cast<std::size_t>(n));
        if (c.rules.hash_files) h.update(ByteView(reinterpret_cast<const std::uint8_t*>(buf), static_cast<std::size_t>(n)));
        if (keep) c.out.manifest.append(buf, static_cast<std::size_t>(n));
    }
    if (got != size) bad(c, "an entry ends before its size");
    return c.rules.hash_files ? hex(h.finish()) : std::string();
}

/// Refuse every type but a regular file or a directory; a hard link is refused whatever its type says.
void check_type(const Ctx& c, struct archive_entry* e) {
    unsigned type = archive_entry_filetype(e);
    const char* raw = archive_entry_pathname(e);
    std::string name = quote_text(raw ? raw : "");
    if (archive_entry_hardlink(e) || type == AE_IFLNK) bad(c, name + " is a link: links are not allowed in packages");
    if (type != AE_IFREG && type != AE_IFDIR) bad(c, name + " is neither a regular file nor a directory");
}

/// The entry's path below the top directory, normalized; "" for the top directory itself.
std::string inner_path(const Ctx& c, struct archive_entry* e) {
    const char* raw = archive_entry_pathname(e);
    if (!raw) bad(c, "an entry has no name");
    std::string n;
    try {
        n = normalize_member_path(raw, kMaxPath);
    } catch (const Error& err) {
        bad(c, err.what());
    }
    auto slash = n.find('/');
    if (!c.rules.top.empty() && n.substr(0, slash) != c.rules.top)
        bad(c, quote_text(raw) + " is not below the top directory " + c.rules.top + "/ of the locked package");
    return slash == std::string::npos ? std::string() : n.substr(slash + 1);
}

/// The header's size of a regular file, within the per-file limits.
std::uint64_t file_size(const Ctx& c, struct archive_entry* e, const std::string& rel, bool manifest) {
    if (!archive_entry_size_is_set(e) || archive_entry_size(e) < 0) bad(c, "an entry has no size");
    auto size = static_cast<std::uint64_t>(archive_entry_size(e));
    if (size > c.lim.max_package_bytes)
        bad(c, quote_text(rel) + " is too large (more than " + std::to_string(c.lim.max_package_bytes) + " bytes)");
    if (manifest && size > c.lim.max_manifest_bytes)
        fail(c, rel + " is larger than the limit of " + std::to_string(c.lim.max_manifest_bytes) + " bytes");
    return size;
}

void one_entry(Ctx& c, struct archive* a, struct archive_entry* e, int pkg_fd) {
    if (++c.entries > c.lim.max_entries)
        fail(c, "the packages hold more than " + std::to_string(c.lim.max_entries) + " tar entries");
    check_type(c, e);
    bool is_dir = archive_entry_filetype(e) == AE_IFDIR;
    std::string rel = inner_path(c, e);
    if (rel.empty()) {
        if (!is_dir) bad(c, quote_text(archive_entry_pathname(e)) + " is a file outside the package directory");
        return;
    }
    const auto& reserved = c.rules.reserved;
    if (std::find(reserved.begin(), reserved.end(), rel) != reserved.end()) bad(c, "it holds its own " + rel);
    if (is_dir) {
        Fd d(open_dir(pkg_fd, rel, true, c.rules.who));
        return;
    }
    bool manifest = rel == c.rules.manifest;
    std::uint64_t size = file_size(c, e, rel, manifest);
    Fd f(create_file(pkg_fd, rel, (archive_entry_perm(e) & 0111) != 0, c.rules.who));
    std::string sum = copy_data(c, a, f.fd, size, manifest);
    if (c.rules.hash_files) c.out.sha256[rel] = sum;
    if (manifest) c.out.have_manifest = true;
}

}  // namespace

void package_error(const PackageTarRules& rules, const std::string& why) { throw Error(rules.who + ": " + why); }

PackageTarResult extract_package_tar(int tar_fd, int root_fd, const std::string& dest_rel, const PackageTarRules& rules,
                                     const DepsLimits& limits, std::uint64_t& entries, std::uint64_t& bytes) {
    Ctx c{rules, limits, entries, bytes, {}};
    Fd pkg(open_dir(root_fd, dest_rel, true, rules.who));
    Reader r;
    archive_read_support_filter_gzip(r.a);
    archive_read_support_format_tar(r.a);
    if (::lseek(tar_fd, 0, SEEK_SET) != 0) fail(c, std::string("seek: ") + std::strerror(errno));
    if (archive_read_open_fd(r.a, tar_fd, 65536) != ARCHIVE_OK) bad(c, la_error(r.a));
    for (;;) {
        struct archive_entry* e = nullptr;
        int st = archive_read_next_header(r.a, &e);
        if (st == ARCHIVE_EOF) break;
        if (st < ARCHIVE_WARN) bad(c, la_error(r.a));
        one_entry(c, r.a, e, pkg.fd);
    }
    return std::move(c.out);
}

}  // namespace kettle::pkgdeps::detail

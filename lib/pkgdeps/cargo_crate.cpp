// One .crate into the vendor directory (kettle/pkgdeps/cargo.hpp): gzip + tar through libarchive, every entry
// checked, every file hashed for .cargo-checksum.json.
#include <archive.h>
#include <archive_entry.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/json.hpp"
#include "kettle/core/text.hpp"
#include "kettle/disk/format.hpp"
#include "kettle/pkgdeps/cargo.hpp"
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
    std::string who;  // "cargo crate serde@1.0.0"
    std::string top;  // "serde-1.0.0"
    std::map<std::string, std::string> files;
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

/// Copy the current entry's data into `fd`, exactly `size` bytes, hashing it; keep a copy of Cargo.toml.
std::string copy_data(Ctx& c, struct archive* a, int fd, std::uint64_t size, bool keep) {
    char buf[65536];
    std::uint64_t got = 0;
    Hasher h(HashAlg::sha256);
    for (;;) {
        la_ssize_t n = archive_read_data(a, buf, sizeof buf);
        if (n < 0) fail(c, std::string(".crate: ") + archive_error_string(a));
        if (n == 0) break;
        got += static_cast<std::uint64_t>(n);
        if (got > size) fail(c, ".crate: an entry holds more data than its header says");
        c.bytes += static_cast<std::uint64_t>(n);
        if (c.bytes > c.lim.max_extracted_bytes)
            fail(c, "the packages hold more than " + std::to_string(c.lim.max_extracted_bytes) + " bytes");
        write_all(c, fd, buf, static_cast<std::size_t>(n));
        h.update(ByteView(reinterpret_cast<const std::uint8_t*>(buf), static_cast<std::size_t>(n)));
        if (keep) c.manifest.append(buf, static_cast<std::size_t>(n));
    }
    if (got != size) fail(c, ".crate: an entry ends before its size");
    return hex(h.finish());
}

/// The entry's path below the top directory "<name>-<version>/", normalized; "" for the top directory itself.
std::string inner_path(const Ctx& c, struct archive_entry* e) {
    const char* raw = archive_entry_pathname(e);
    if (!raw) fail(c, ".crate: an entry has no name");
    std::string n;
    try {
        n = normalize_member_path(raw, 1024);
    } catch (const Error& err) {
        fail(c, std::string(".crate: ") + err.what());
    }
    auto slash = n.find('/');
    if (n.substr(0, slash) != c.top)
        fail(c, ".crate: " + quote_text(raw) + " is not below the top directory " + c.top + "/ (the crate must be "
                "the locked " + c.p.name + "@" + c.p.version + ")");
    return slash == std::string::npos ? std::string() : n.substr(slash + 1);
}

void one_entry(Ctx& c, struct archive* a, struct archive_entry* e, int pkg_fd) {
    if (++c.entries > c.lim.max_entries)
        fail(c, "the packages hold more than " + std::to_string(c.lim.max_entries) + " tar entries");
    unsigned type = archive_entry_filetype(e);
    const char* raw = archive_entry_pathname(e);
    if (archive_entry_hardlink(e) || type == AE_IFLNK)
        fail(c, ".crate: " + quote_text(raw ? raw : "") + " is a link: links are not allowed in crates");
    if (type != AE_IFREG && type != AE_IFDIR)
        fail(c, ".crate: " + quote_text(raw ? raw : "") + " is neither a regular file nor a directory");
    std::string rel = inner_path(c, e);
    if (rel.empty()) {
        if (type == AE_IFREG) fail(c, ".crate: the top directory " + c.top + " is a file");
        return;
    }
    if (rel == ".cargo-checksum.json") fail(c, ".crate: it holds its own .cargo-checksum.json");
    if (type == AE_IFDIR) {
        detail::Fd d(detail::open_dir(pkg_fd, rel, true, c.who));
        return;
    }
    if (!archive_entry_size_is_set(e) || archive_entry_size(e) < 0) fail(c, ".crate: an entry has no size");
    auto size = static_cast<std::uint64_t>(archive_entry_size(e));
    if (size > c.lim.max_package_bytes) fail(c, ".crate: " + quote_text(rel) + " is too large");
    bool manifest = rel == "Cargo.toml";
    if (manifest && size > c.lim.max_manifest_bytes) fail(c, "Cargo.toml is larger than the limit");
    detail::Fd f(detail::create_file(pkg_fd, rel, (archive_entry_perm(e) & 0111) != 0, c.who));
    c.files[rel] = copy_data(c, a, f.fd, size, manifest);
    if (manifest) c.have_manifest = true;
}

void check_manifest(const Ctx& c) {
    if (!c.have_manifest) fail(c, "the crate has no Cargo.toml");
    auto [name, version] = crate_manifest_identity(c.manifest);
    if (name != c.p.name || version != c.p.version)
        fail(c, "its Cargo.toml names " + quote_text(name) + "@" + quote_text(version) + ", not the locked " +
                    c.p.name + "@" + c.p.version + " (its digest matches Cargo.lock, but Cargo.lock names another crate)");
}

/// The string value of a `key = "value"` line (no escapes), or nullopt-like {false, ""}.
std::pair<bool, std::string> string_value(std::string_view line, std::string_view key) {
    if (line.substr(0, key.size()) != key) return {false, {}};
    std::string_view rest = line.substr(key.size());
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (rest.empty() || rest.front() != '=') return {false, {}};
    rest.remove_prefix(1);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\r')) rest.remove_suffix(1);
    if (rest.size() < 2 || rest.front() != '"' || rest.back() != '"') return {false, {}};
    rest = rest.substr(1, rest.size() - 2);
    if (rest.find_first_of("\"\\") != std::string_view::npos) return {false, {}};
    return {true, std::string(rest)};
}

}  // namespace

std::pair<std::string, std::string> crate_manifest_identity(std::string_view text) {
    std::string name, version;
    bool in_package = false;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t nl = text.find('\n', pos);
        std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? text.size() : nl + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (!line.empty() && line.front() == '[') {
            in_package = line == "[package]";
            continue;
        }
        if (!in_package) continue;
        if (auto [ok, v] = string_value(line, "name"); ok && name.empty()) name = v;
        if (auto [ok, v] = string_value(line, "version"); ok && version.empty()) version = v;
    }
    return {name, version};
}

std::string cargo_member_name(const LockedPackage& p) { return p.alg + "-" + hex(p.digest) + ".crate"; }

std::string cargo_checksum_json(const std::map<std::string, std::string>& files, const std::string& package_hex) {
    Json f = Json::object();
    for (const auto& [path, sum] : files) f[path] = sum;
    return dump_text(Json{{"files", f}, {"package", package_hex}});
}

std::string cargo_source_config(const std::string& vendor_dir) {
    return "# Written by Kettle's guest (docs/dependencies.md): every crate of Cargo.lock, checked against its\n"
           "# checksum, is in the directory source below; the build has no network.\n"
           "[source.crates-io]\nreplace-with = \"vendored-sources\"\n\n"
           "[source.vendored-sources]\ndirectory = \"" + vendor_dir + "\"\n\n"
           "[net]\noffline = true\n";
}

std::map<std::string, std::string> extract_crate(int tar_fd, int root_fd, const std::string& dest_rel,
                                                 const LockedPackage& expect, const DepsLimits& limits,
                                                 std::uint64_t& entries, std::uint64_t& bytes) {
    Ctx c{expect, limits, entries, bytes, "cargo crate " + expect.name + "@" + expect.version,
          expect.name + "-" + expect.version, {}, {}, false};
    detail::Fd pkg(detail::open_dir(root_fd, dest_rel, true, c.who));
    Reader r;
    archive_read_support_filter_gzip(r.a);
    archive_read_support_format_tar(r.a);
    if (::lseek(tar_fd, 0, SEEK_SET) != 0) fail(c, std::string("seek: ") + std::strerror(errno));
    if (archive_read_open_fd(r.a, tar_fd, 65536) != ARCHIVE_OK)
        fail(c, std::string(".crate: ") + archive_error_string(r.a));
    for (;;) {
        struct archive_entry* e = nullptr;
        int st = archive_read_next_header(r.a, &e);
        if (st == ARCHIVE_EOF) break;
        if (st < ARCHIVE_WARN) fail(c, std::string(".crate: ") + archive_error_string(r.a));
        one_entry(c, r.a, e, pkg.fd);
    }
    check_manifest(c);
    return std::move(c.files);
}

}  // namespace kettle::pkgdeps

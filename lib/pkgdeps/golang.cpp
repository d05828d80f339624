// go.sum and the h1: dirhash (kettle/pkgdeps/golang.hpp). The algorithm follows golang.org/x/mod/sumdb/dirhash
// Hash1 as documented there: written from its description, checked against h1: values of real go.sum files
// (tests/unit/pkgdeps/golang.cpp).
#include <algorithm>
#include <cctype>
#include <archive.h>
#include <archive_entry.h>
#include <set>
#include <unistd.h>

#include "kettle/core/base64.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/text.hpp"
#include "kettle/disk/format.hpp"
#include "kettle/pkgdeps/golang.hpp"

namespace kettle::pkgdeps {

namespace {

bool plain(std::string_view s) {
    if (s.empty() || s.size() > 1024) return false;
    for (unsigned char c : s)
        if (c <= 0x20 || c >= 0x7f) return false;
    return true;
}

struct Reader {
    struct archive* a = archive_read_new();
    ~Reader() { archive_read_free(a); }
};

}  // namespace

std::vector<GoSumEntry> parse_go_sum(std::string_view text, const DepsLimits& limits) {
    if (text.size() > limits.max_lockfile_bytes) throw Error("go.sum: larger than the limit");
    std::vector<GoSumEntry> out;
    std::set<std::string> seen;
    std::size_t pos = 0, line_no = 0;
    while (pos < text.size()) {
        std::size_t nl = text.find('\n', pos);
        std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? text.size() : nl + 1;
        ++line_no;
        if (line.empty()) continue;
        auto bad = [&](const std::string& why) -> Error {
            return Error("go.sum: line " + std::to_string(line_no) + ": " + why);
        };
        auto s1 = line.find(' '), s2 = s1 == std::string_view::npos ? s1 : line.find(' ', s1 + 1);
        if (s2 == std::string_view::npos || line.find(' ', s2 + 1) != std::string_view::npos)
            throw bad("not \"<module> <version> h1:<hash>\"");
        GoSumEntry e;
        e.module = std::string(line.substr(0, s1));
        e.version = std::string(line.substr(s1 + 1, s2 - s1 - 1));
        std::string_view hash = line.substr(s2 + 1);
        if (e.version.size() > 7 && e.version.compare(e.version.size() - 7, 7, "/go.mod") == 0) {
            e.go_mod = true;
            e.version.resize(e.version.size() - 7);
        }
        if (!plain(e.module) || !plain(e.version)) throw bad("module or version is not plain printable text");
        if (hash.substr(0, 3) != "h1:") throw bad("hash " + quote_text(hash) + " is not h1:");
        try {
            e.h1 = base64_decode(hash.substr(3), "h1", false, 64);
        } catch (const Error& x) {
            throw bad(x.what());
        }
        if (e.h1.size() != 32) throw bad("h1 hash is not 32 bytes");
        if (!seen.insert(e.module + " " + e.version + (e.go_mod ? "/go.mod" : "")).second)
            throw bad(e.module + " " + e.version + " listed twice");
        if (out.size() >= limits.max_packages) throw bad("more than " + std::to_string(limits.max_packages) + " lines");
        out.push_back(std::move(e));
    }
    return out;
}

Bytes dirhash_h1(std::vector<std::pair<std::string, Bytes>> files) {
    std::sort(files.begin(), files.end());
    Hasher h(HashAlg::sha256);
    for (const auto& [name, digest] : files) {
        if (name.find('\n') != std::string::npos) throw Error("dirhash: file name " + quote_text(name) + " holds a newline");
        h.update(hex(digest) + "  " + name + "\n");
    }
    return h.finish();
}

Bytes gomod_h1(std::string_view gomod) { return dirhash_h1({{"go.mod", sha256(gomod)}}); }

namespace {

/// A zip written by us (libarchive, stored, one fixed mtime), entry by entry, from the bytes module_zip_h1 hashes.
struct Repack {
    struct archive* a = nullptr;
    explicit Repack(int fd, const std::string& who) {
        if (fd < 0) return;
        a = archive_write_new();
        if (!a || archive_write_set_format_zip(a) != ARCHIVE_OK || archive_write_zip_set_compression_store(a) != ARCHIVE_OK ||
            archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK || archive_write_open_fd(a, fd) != ARCHIVE_OK)
            throw Error(who + ": repack: " + (a && archive_error_string(a) ? archive_error_string(a) : "cannot start"));
    }
    ~Repack() {
        if (a) archive_write_free(a);
    }
    Repack(const Repack&) = delete;
    Repack& operator=(const Repack&) = delete;
    void fail(const std::string& who) const {
        throw Error(who + ": repack: " + (archive_error_string(a) ? archive_error_string(a) : "write failed"));
    }
    void begin(const std::string& name, la_int64_t size, const std::string& who) const {
        if (!a) return;
        struct archive_entry* e = archive_entry_new();
        if (!e) fail(who);
        archive_entry_set_pathname(e, name.c_str());
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, size);
        archive_entry_set_mtime(e, 315532800, 0);  // 1980-01-01T00:00:00Z, the earliest time a zip can hold
        const int st = archive_write_header(a, e);
        archive_entry_free(e);
        if (st != ARCHIVE_OK) fail(who);
    }
    void data(const char* p, std::size_t n, const std::string& who) const {
        if (a && archive_write_data(a, p, n) != static_cast<la_ssize_t>(n)) fail(who);
    }
    void finish(const std::string& who) const {
        if (a && archive_write_close(a) != ARCHIVE_OK) fail(who);
    }
};

/// The entry's name, checked: under "<module>@<version>/", a clean relative path, a regular file, not seen before.
std::string checked_entry_name(struct archive_entry* e, const std::string& prefix, std::set<std::string>& names,
                               const std::string& who) {
    const char* raw = archive_entry_pathname(e);
    std::string name = raw ? raw : "";
    if (name.compare(0, prefix.size(), prefix) != 0 || name.size() == prefix.size())
        throw Error(who + ": zip entry " + quote_text(name) + " is not under " + prefix);
    std::string clean;
    try {
        clean = normalize_member_path(name, 4096);
    } catch (const Error& x) {
        throw Error(who + ": zip entry: " + x.what());
    }
    if (clean != name) throw Error(who + ": zip entry " + quote_text(name) + " is not a clean path");
    if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e) || archive_entry_symlink(e))
        throw Error(who + ": zip entry " + quote_text(name) + " is not a regular file");
    if (!names.insert(name).second) throw Error(who + ": zip entry " + quote_text(name) + " appears twice");
    if (!archive_entry_size_is_set(e) || archive_entry_size(e) < 0)
        throw Error(who + ": zip entry " + quote_text(name) + " has no size");
    return name;
}

}  // namespace

Bytes module_zip_h1(int fd, const std::string& module, const std::string& version, const DepsLimits& limits,
                    int repack_fd) {
    const std::string who = "go module " + module + "@" + version;
    const std::string prefix = module + "@" + version + "/";
    Reader r;
    archive_read_support_format_zip_seekable(r.a);
    if (::lseek(fd, 0, SEEK_SET) != 0 || archive_read_open_fd(r.a, fd, 65536) != ARCHIVE_OK)
        throw Error(who + ": zip: " + (archive_error_string(r.a) ? archive_error_string(r.a) : "cannot open"));
    Repack out(repack_fd, who);
    std::vector<std::pair<std::string, Bytes>> files;
    std::set<std::string> names;
    std::uint64_t total = 0;
    std::vector<char> buf(65536);
    for (;;) {
        struct archive_entry* e = nullptr;
        int st = archive_read_next_header(r.a, &e);
        if (st == ARCHIVE_EOF) break;
        // ARCHIVE_WARN too: libarchive warns when a local header and the central directory disagree (size, CRC),
        // and the two readers of this zip (ours here, the go command's central-directory reader) must not differ.
        if (st != ARCHIVE_OK) throw Error(who + ": zip: " + (archive_error_string(r.a) ? archive_error_string(r.a) : "bad entry"));
        if (files.size() >= limits.max_entries) throw Error(who + ": more than the entry limit");
        const std::string name = checked_entry_name(e, prefix, names, who);
        const la_int64_t size = archive_entry_size(e);
        out.begin(name, size, who);
        Hasher h(HashAlg::sha256);
        std::uint64_t got = 0;
        for (;;) {
            la_ssize_t n = archive_read_data(r.a, buf.data(), buf.size());
            if (n < 0) throw Error(who + ": zip: " + (archive_error_string(r.a) ? archive_error_string(r.a) : "read error"));
            if (n == 0) break;
            got += static_cast<std::uint64_t>(n);
            total += static_cast<std::uint64_t>(n);
            if (total > limits.max_extracted_bytes) throw Error(who + ": more than the byte limit");
            h.update(ByteView(reinterpret_cast<const std::uint8_t*>(buf.data()), static_cast<std::size_t>(n)));
            out.data(buf.data(), static_cast<std::size_t>(n), who);
        }
        if (got != static_cast<std::uint64_t>(size))
            throw Error(who + ": zip entry " + quote_text(name) + " holds " + std::to_string(got) + " bytes, its header says " +
                        std::to_string(size));
        files.emplace_back(name, h.finish());
    }
    out.finish(who);
    return dirhash_h1(std::move(files));
}

}  // namespace kettle::pkgdeps

namespace kettle::pkgdeps {

void check_module_path(std::string_view path) {
    auto bad = [&](const std::string& why) { return Error("go module " + quote_text(path) + ": " + why); };
    if (path.empty() || path.size() > 500) throw bad("path is empty or longer than 500 bytes");
    std::size_t i = 0;
    while (i <= path.size()) {
        std::size_t j = path.find('/', i);
        if (j == std::string_view::npos) j = path.size();
        std::string_view el = path.substr(i, j - i);
        if (el.empty()) throw bad("path has an empty element");
        if (el.front() == '.' || el.back() == '.') throw bad("path element " + quote_text(el) + " begins or ends with '.'");
        for (unsigned char c : el)
            if (!std::isalnum(c) && c != '-' && c != '.' && c != '_' && c != '~' && c != '+')
                throw bad("path holds the byte " + quote_text(std::string(1, static_cast<char>(c))));
        i = j + 1;
    }
}

void check_module_version(std::string_view module, std::string_view version) {
    auto bad = [&]() {
        return Error("go module " + std::string(module) + ": version " + quote_text(version) +
                     " is not 1..128 bytes of [A-Za-z0-9-.+] (not beginning with '.')");
    };
    if (version.empty() || version.size() > 128 || version.front() == '.') throw bad();
    for (unsigned char c : version)
        if (!std::isalnum(c) && c != '-' && c != '.' && c != '+') throw bad();
}

std::string go_escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '!') throw Error("go module path or version " + quote_text(s) + " holds '!'");
        if (c >= 'A' && c <= 'Z') {
            out.push_back('!');
            out.push_back(static_cast<char>(c - 'A' + 'a'));
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::string go_member_name(const GoSumEntry& e) { return "h1-" + hex(e.h1) + (e.go_mod ? ".mod" : ".zip"); }

}  // namespace kettle::pkgdeps

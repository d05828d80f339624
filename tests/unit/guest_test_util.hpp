// Test helpers for the disk format tests: a tar builder over libarchive's writer (so hostile archives are made at
// run time), temp directories, and a sha256sum oracle.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "test_support.hpp"

namespace kettle::test {

/// Builds a tar (pax restricted, like the real writer) in memory, entry by entry, with no sanitizing at all.
class TarBuilder {
public:
    explicit TarBuilder(const char* filter = nullptr) : a_(archive_write_new()) {
        archive_write_set_format_pax_restricted(a_);
        if (filter && std::string(filter) == "zstd") archive_write_add_filter_zstd(a_);
        else if (filter && std::string(filter) == "gzip") archive_write_add_filter_gzip(a_);
        else archive_write_add_filter_none(a_);
        archive_write_set_bytes_in_last_block(a_, 1);
        archive_write_open(a_, &out_, nullptr, &TarBuilder::cb, nullptr);
    }
    ~TarBuilder() {
        if (a_) archive_write_free(a_);
    }
    TarBuilder& file(const std::string& name, const std::string& data, unsigned perm = 0644) {
        auto e = entry(name, AE_IFREG, perm);
        archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
        put(e);
        if (!data.empty()) archive_write_data(a_, data.data(), data.size());
        return *this;
    }
    TarBuilder& dir(const std::string& name) {
        put(entry(name, AE_IFDIR, 0755));
        return *this;
    }
    TarBuilder& symlink(const std::string& name, const std::string& target) {
        auto e = entry(name, AE_IFLNK, 0777);
        archive_entry_set_symlink(e, target.c_str());
        put(e);
        return *this;
    }
    TarBuilder& hardlink(const std::string& name, const std::string& target) {
        auto e = entry(name, AE_IFREG, 0644);
        archive_entry_set_hardlink(e, target.c_str());
        archive_entry_set_size(e, 0);
        put(e);
        return *this;
    }
    TarBuilder& node(const std::string& name, unsigned type) {
        auto e = entry(name, type, 0666);
        archive_entry_set_rdevmajor(e, 1);
        archive_entry_set_rdevminor(e, 3);
        put(e);
        return *this;
    }
    std::string finish() {
        archive_write_close(a_);
        return out_;
    }

private:
    static la_ssize_t cb(struct archive*, void* ctx, const void* buf, size_t len) {
        static_cast<std::string*>(ctx)->append(static_cast<const char*>(buf), len);
        return static_cast<la_ssize_t>(len);
    }
    struct archive_entry* entry(const std::string& name, unsigned type, unsigned perm) {
        struct archive_entry* e = archive_entry_new();
        archive_entry_set_pathname(e, name.c_str());
        archive_entry_set_filetype(e, type);
        archive_entry_set_perm(e, perm);
        archive_entry_set_mtime(e, 0, 0);
        return e;
    }
    void put(struct archive_entry* e) {
        if (archive_write_header(a_, e) < ARCHIVE_WARN) {
            std::string es = archive_error_string(a_) ? archive_error_string(a_) : "?";
            archive_entry_free(e);
            throw Error("test tar writer: " + es);
        }
        archive_entry_free(e);
    }
    struct archive* a_;
    std::string out_;
};

/// SHA-256 of a file by the system's sha256sum (an outside oracle), lower-case hex.
inline std::string sha256sum(const std::string& path) {
    std::string cmd = "sha256sum '" + path + "'";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) throw Error("popen sha256sum");
    char buf[65] = {};
    size_t n = std::fread(buf, 1, 64, p);
    ::pclose(p);
    return std::string(buf, n);
}

inline bool have_tool(const char* name) {
    std::string cmd = std::string("command -v ") + name + " >/dev/null 2>&1";
    return std::system(cmd.c_str()) == 0;
}

/// An output disk built by hand, independently of lib/disk/format.cpp, as docs/formats.md section 2
/// describes it: the 4096-byte header, `payload`, padding to 512, the 512-byte complete trailer, then zeros up to
/// `disk_size` (0: no extra room).
inline std::string output_envelope(const std::string& payload, std::uint64_t disk_size = 0) {
    std::string hdr(4096, '\0');
    std::memcpy(hdr.data(), "KETTLE-OUTPUT\0\0\0", 16);
    Bytes f;
    put_le32(f, 1);
    put_le32(f, 0);
    put_le64(f, payload.size());
    std::memcpy(hdr.data() + 16, f.data(), 16);
    Bytes pd = sha256(payload);
    std::memcpy(hdr.data() + 32, pd.data(), 32);
    std::string tr(512, '\0');
    std::memcpy(tr.data(), "KETTLE-COMPLETE\0", 16);
    std::memcpy(tr.data() + 16, f.data(), 16);
    std::memcpy(tr.data() + 32, pd.data(), 32);
    Bytes hd = sha256(hdr);
    std::memcpy(tr.data() + 64, hd.data(), 32);
    std::string disk = hdr + payload;
    disk.resize(4096 + (payload.size() + 511) / 512 * 512, '\0');
    disk += tr;
    if (disk.size() < disk_size) disk.resize(disk_size, '\0');
    return disk;
}

}  // namespace kettle::test

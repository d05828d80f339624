// GCP disk packaging and the defensive reading of an exported disk. See cloud_disk.hpp.
#include "cloud_disk.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "kettle/core/error.hpp"
#include "kettle/disk/roles.hpp"
#include "progress.hpp"

namespace fs = std::filesystem;

namespace kettle::runner {

std::uint64_t DiskSizing::units_for(std::uint64_t bytes) const {
    return std::max<std::uint64_t>(bytes / unit + (bytes % unit != 0), min_units);
}

std::uint64_t pad_disk(const std::string& path, const DiskSizing& s) {
    const std::uint64_t units = s.units_for(fs::file_size(path));
    if (units > (std::uint64_t{64} << 40) / s.unit) throw Error(path + " would need more than 64 TiB");
    if (::truncate(path.c_str(), static_cast<off_t>(units * s.unit)) != 0) throw Error("cannot grow " + path);
    return units;
}

void pack_gcp_disk(const std::string& raw, const std::string& tar_gz, const std::string& scratch) {
    fs::create_directories(scratch);
    const std::string member = scratch + "/disk.raw", tar = scratch + "/disk.tar";
    std::error_code ec;
    fs::remove(member, ec);
    fs::create_hard_link(raw, member, ec);
    if (ec) {
        // GNU tar -S finds the holes again (SEEK_DATA/SEEK_HOLE); cp keeps them with --sparse=always.
        auto [st, out] = run_capture({"cp", "--sparse=always", raw, member});
        if (st != 0) throw Error("cannot copy " + raw + " to " + member);
    }
    auto [st, out] = run_capture({"tar", "--format=oldgnu", "-S", "--mtime=@0", "--owner=0", "--group=0",
                                  "--numeric-owner", "-C", scratch, "-cf", tar, "disk.raw"});
    fs::remove(member, ec);
    if (st != 0) throw Error("GNU tar failed to pack " + raw + " (is GNU tar installed?)");
    auto [gz, gout] = run_capture({"gzip", "-n", "-6", "-f", tar});
    if (gz != 0) throw Error("gzip failed on " + tar);
    fs::rename(tar + ".gz", tar_gz);
}

void write_blank_output_raw(const std::string& path, std::uint64_t bytes) {
    const Bytes label = blank_output_label();
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw Error("cannot create " + path);
    bool ok = ::write(fd, label.data(), label.size()) == static_cast<ssize_t>(label.size()) &&
              ::ftruncate(fd, static_cast<off_t>(bytes)) == 0;
    if (::close(fd) != 0 || !ok) throw Error("cannot write " + path);
}

namespace {

struct ArchiveReader {
    struct archive* a = archive_read_new();
    ~ArchiveReader() { if (a) archive_read_free(a); }
};

bool all_zero(const char* p, std::size_t n) {
    return std::all_of(p, p + n, [](char c) { return c == 0; });
}

// Copy the current entry's data blocks to `fd` at their offsets (sparse entries give holes), skipping zero blocks.
void copy_entry(struct archive* a, int fd, std::uint64_t max_bytes) {
    const void* buf;
    size_t len;
    la_int64_t off;
    int r;
    while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
        if (off < 0 || static_cast<std::uint64_t>(off) > max_bytes || len > max_bytes - static_cast<std::uint64_t>(off))
            throw Error("exported disk: data beyond " + std::to_string(max_bytes) + " bytes");
        if (len == 0 || all_zero(static_cast<const char*>(buf), len)) continue;
        if (::pwrite(fd, buf, len, off) != static_cast<ssize_t>(len)) throw Error("exported disk: write failed");
    }
    if (r != ARCHIVE_EOF) throw Error(std::string("exported disk: ") + archive_error_string(a));
}

}  // namespace

void extract_gcp_disk(const std::string& tar_gz, const std::string& raw, std::uint64_t max_bytes) {
    ArchiveReader r;
    if (!r.a) throw Error("exported disk: archive_read_new failed");
    archive_read_support_filter_gzip(r.a);
    archive_read_support_format_tar(r.a);
    if (archive_read_open_filename(r.a, tar_gz.c_str(), 1 << 16) != ARCHIVE_OK)
        throw Error(std::string("exported disk: ") + archive_error_string(r.a));
    struct archive_entry* e;
    if (archive_read_next_header(r.a, &e) != ARCHIVE_OK)
        throw Error(std::string("exported disk: no member (") + (archive_error_string(r.a) ? archive_error_string(r.a) : "empty") + ")");
    const char* name = archive_entry_pathname(e);
    std::string n = name ? name : "";
    if (n != "disk.raw" && n != "./disk.raw") throw Error("exported disk: the first member is not disk.raw");
    if (archive_entry_filetype(e) != AE_IFREG) throw Error("exported disk: disk.raw is not a regular file");
    if (!archive_entry_size_is_set(e) || archive_entry_size(e) < 0 ||
        static_cast<std::uint64_t>(archive_entry_size(e)) > max_bytes)
        throw Error("exported disk: disk.raw is larger than the " + std::to_string(max_bytes) + " bytes of the output disk");
    const auto size = static_cast<std::uint64_t>(archive_entry_size(e));
    int fd = ::open(raw.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) throw Error("cannot create " + raw);
    try {
        copy_entry(r.a, fd, size);
        if (::ftruncate(fd, static_cast<off_t>(size)) != 0) throw Error("exported disk: cannot size " + raw);
    } catch (...) {
        ::close(fd);
        throw;
    }
    if (::close(fd) != 0) throw Error("exported disk: cannot write " + raw);
    int next = archive_read_next_header(r.a, &e);
    if (next != ARCHIVE_EOF) throw Error("exported disk: more than one member");
}

}  // namespace kettle::runner

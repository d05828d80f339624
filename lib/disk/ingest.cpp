// Guest side of the input disk: one sequential pass over the raw device through libarchive, hashing every byte
// of the device and every member, extracting into a fresh tree, refusing hostile entries. See docs/formats.md.
// The device digest and the toolchain member digest are computed on two helper threads (PipelinedHasher).
#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <optional>
#include <thread>
#include <unistd.h>
#include <vector>

#include <archive.h>
#include <archive_entry.h>

#include "format_internal.hpp"
#include "kettle/disk/format.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/text.hpp"

namespace kettle {

namespace {

/// SHA-256 of a byte stream computed on its own thread, so hashing overlaps libarchive's parsing and the writes of
/// the extraction (the guest has 2 vCPUs; on one thread ingest hashed the whole device and the nested toolchain
/// member one after the other, about 0.6x the throughput of `sha256sum` + `tar -x`).
/// The producer owns kSlots buffers of kSlotBytes, used round robin: buffer() waits until the hasher thread has
/// finished with the next slot, the producer fills it, submit(n) queues its first n bytes. Chunks are hashed in
/// submission order, so the digest is that of the concatenated stream. libarchive may read a buffer returned by a
/// read callback only until its next call of that callback (its contract), and that call asks for a different
/// slot; the hasher's pending slots are never refilled. More slots let the reader run ahead of the hasher. The
/// bytes hashed are the very bytes parsed (read once): nothing is read twice from the device.
class PipelinedHasher {
public:
    static constexpr std::size_t kSlots = 4, kSlotBytes = std::size_t{1} << 20;

    PipelinedHasher() : thread_([this] { run(); }) {}
    ~PipelinedHasher() { stop(); }
    PipelinedHasher(const PipelinedHasher&) = delete;
    PipelinedHasher& operator=(const PipelinedHasher&) = delete;

    /// The next slot to fill (kSlotBytes bytes), once the hasher is done with it.
    char* buffer() {
        std::unique_lock<std::mutex> l(m_);
        cv_.wait(l, [&] { return submitted_ - hashed_ < kSlots; });
        return slots_[submitted_ % kSlots].data();
    }
    /// Queues the first n bytes of the slot last returned by buffer().
    void submit(std::size_t n) {
        {
            std::lock_guard<std::mutex> l(m_);
            len_[submitted_ % kSlots] = n;
            ++submitted_;
        }
        cv_.notify_all();
    }
    /// Waits for every queued chunk and returns the SHA-256 (32 bytes). Call once.
    Bytes finish() {
        stop();
        return h_.finish();
    }

private:
    void run() {
        std::unique_lock<std::mutex> l(m_);
        for (;;) {
            cv_.wait(l, [&] { return stop_ || hashed_ < submitted_; });
            if (hashed_ == submitted_) return;  // stopping, and nothing left
            std::size_t slot = hashed_ % kSlots, n = len_[slot];
            l.unlock();
            h_.update(ByteView(reinterpret_cast<const std::uint8_t*>(slots_[slot].data()), n));
            l.lock();
            ++hashed_;
            cv_.notify_all();
        }
    }
    void stop() {
        {
            std::lock_guard<std::mutex> l(m_);
            stop_ = true;
        }
        cv_.notify_all();
        if (thread_.joinable()) thread_.join();
    }

    std::vector<std::vector<char>> slots_ = std::vector<std::vector<char>>(kSlots, std::vector<char>(kSlotBytes));
    std::size_t len_[kSlots] = {};
    std::uint64_t submitted_ = 0, hashed_ = 0;  // chunk counts
    bool stop_ = false;
    std::mutex m_;
    std::condition_variable cv_;
    Hasher h_{HashAlg::sha256};
    std::thread thread_;  // last: starts after every other member exists
};

struct DeviceSource {
    int fd = -1;
    std::uint64_t size = 0, pos = 0;
    std::optional<PipelinedHasher> h;  ///< absent when the reader's caller hashes the stream (ingest_stream)
    std::vector<char> plain;           ///< the read buffer when `h` is absent
    const IngestProgress* progress = nullptr;
    std::string error;
};

la_ssize_t device_read(struct archive*, void* ctx, const void** out) {
    auto* s = static_cast<DeviceSource*>(ctx);
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(PipelinedHasher::kSlotBytes, s->size - s->pos));
    if (want == 0) return 0;
    char* buf = s->h ? s->h->buffer() : s->plain.data();
    ssize_t n;
    do n = ::read(s->fd, buf, want);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        s->error = std::string("input: device read: ") + std::strerror(errno);
        return -1;
    }
    if (n == 0) {
        s->error = "input: device ended before its size";
        return -1;
    }
    if (s->h) s->h->submit(static_cast<std::size_t>(n));
    s->pos += static_cast<std::uint64_t>(n);
    if (s->progress && *s->progress) (*s->progress)(s->pos, s->size);
    *out = buf;
    return n;
}

/// Reads the data of the current outer member (the nested toolchain archive), hashing it.
struct NestedSource {
    struct archive* outer = nullptr;
    PipelinedHasher h;
    std::uint64_t got = 0;
    std::string error;
};

la_ssize_t nested_read(struct archive*, void* ctx, const void** out) {
    auto* s = static_cast<NestedSource*>(ctx);
    char* buf = s->h.buffer();
    la_ssize_t n = archive_read_data(s->outer, buf, PipelinedHasher::kSlotBytes);
    if (n < 0) {
        const char* es = archive_error_string(s->outer);
        s->error = es ? es : "read error";
        return -1;
    }
    s->h.submit(static_cast<std::size_t>(n));
    s->got += static_cast<std::uint64_t>(n);
    *out = buf;
    return n;
}

struct ArchiveReader {
    struct archive* a = archive_read_new();
    ~ArchiveReader() {
        if (a) archive_read_free(a);
    }
};

struct Ingest {
    const IngestLimits& lim;
    IngestResult res;
    std::uint64_t entries = 0, total = 0;

    void count_entry(const std::string& where) {
        if (++entries > lim.max_entries)
            throw Error("input: " + where + ": more than " + std::to_string(lim.max_entries) + " entries");
    }
    /// `what` is the whole message prefix ("input: <member>").
    void count_bytes(const std::string& what, std::uint64_t size) {
        if (size > lim.max_member_bytes)
            throw Error(what + ": size " + std::to_string(size) + " is over the member limit of " +
                        std::to_string(lim.max_member_bytes) + " bytes");
        if (size > lim.max_total_bytes - total)
            throw Error(what + ": total extracted size is over the limit of " + std::to_string(lim.max_total_bytes) +
                        " bytes");
        total += size;
    }
};

[[noreturn]] void archive_fail(struct archive* a, const std::string& where, const std::string& src_error) {
    const char* es = archive_error_string(a);
    throw Error("input: " + where + ": " + (!src_error.empty() ? src_error : (es ? es : "malformed archive")));
}

std::string entry_name(struct archive_entry* e, std::size_t max_path, const std::string& where) {
    const char* raw = archive_entry_pathname(e);
    if (!raw) throw Error("input: " + where + ": entry without a name");
    try {
        return normalize_member_path(raw, max_path);
    } catch (const Error& ex) {
        throw Error("input: " + where + ": entry " + quote_text(raw) + ": " + ex.what());
    }
}

std::uint64_t entry_size(struct archive_entry* e, const std::string& name) {
    if (!archive_entry_size_is_set(e)) return 0;
    la_int64_t s = archive_entry_size(e);
    if (s < 0) throw Error("input: " + name + ": negative size");
    return static_cast<std::uint64_t>(s);
}

/// GNU sparse members (old-style type 'S', pax GNU.sparse.*) declare their expanded size, so they are refused by
/// name before any size check could misreport them.
void refuse_sparse(struct archive_entry* e, const std::string& where) {
    if (archive_entry_sparse_count(e) > 0) throw Error("input: " + where + ": sparse entries are not supported");
}

/// Check that a member of `size` bytes whose header starts at `hpos` fits in a container of `container` bytes.
void check_fits(std::uint64_t hpos, std::uint64_t size, std::uint64_t container, const std::string& name,
                const char* container_name) {
    if (hpos + 512 > container || size > container - hpos - 512)
        throw Error("input: " + name + ": size " + std::to_string(size) + " runs past the end of the " + container_name);
}

void extract_toolchain(Ingest& ing, struct archive* outer, const std::string& member, std::uint64_t member_size,
                       const std::string& dest) {
    NestedSource ns;
    ns.outer = outer;
    ArchiveReader in;
    archive_read_support_format_tar(in.a);
    bool compressed = member != "toolchain.tar";
    if (member == "toolchain.tar.zst") archive_read_support_filter_zstd(in.a);
    if (member == "toolchain.tar.gz") archive_read_support_filter_gzip(in.a);
    if (archive_read_open(in.a, &ns, nullptr, nested_read, nullptr) != ARCHIVE_OK)
        archive_fail(in.a, member, ns.error);
    detail::TreePolicy pol;
    pol.symlinks = true;
    pol.hardlinks = true;
    pol.max_symlink_target = ing.lim.max_symlink_target;
    detail::SafeTree tree(dest + "/rootfs", "input: " + member, pol, true);
    for (;;) {
        struct archive_entry* e = nullptr;
        int r = archive_read_next_header(in.a, &e);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN) archive_fail(in.a, member, ns.error);
        ing.count_entry(member);
        const char* raw = archive_entry_pathname(e);
        unsigned type = archive_entry_filetype(e);
        if (raw && type == AE_IFDIR && (!std::strcmp(raw, ".") || !std::strcmp(raw, "./"))) continue;  // the root
        std::string name = entry_name(e, ing.lim.max_path, member);
        std::string where = member + ": " + name;
        refuse_sparse(e, where);
        std::uint64_t size = entry_size(e, "input: " + where);
        if (!compressed) {
            auto hpos = static_cast<std::uint64_t>(std::max<la_int64_t>(0, archive_read_header_position(in.a)));
            check_fits(hpos, size, member_size, where, member.c_str());
        }
        if (const char* hl = archive_entry_hardlink(e)) {
            std::string target;
            try {
                target = normalize_member_path(hl, ing.lim.max_path);
            } catch (const Error& ex) {
                throw Error("input: " + where + ": hard link target: " + ex.what());
            }
            tree.make_hardlink(name, target);
            continue;
        }
        switch (type) {
            case AE_IFDIR: tree.make_dir(name); break;
            case AE_IFLNK: {
                const char* t = archive_entry_symlink(e);
                tree.make_symlink(name, t ? t : "");
                break;
            }
            case AE_IFREG: {
                ing.count_bytes("input: " + where, size);
                int fd = tree.create_file(name, (archive_entry_perm(e) & 0111) != 0);
                try {
                    detail::copy_entry_data(in.a, fd, size, "input: " + where, false);
                } catch (...) {
                    ::close(fd);
                    if (!ns.error.empty()) throw Error("input: " + where + ": " + ns.error);
                    throw;
                }
                ::close(fd);
                break;
            }
            default:
                throw Error("input: " + where + ": " + detail::entry_type_name(type) + " is not allowed");
        }
    }
    // The rest of the member (end-of-archive blocks, padding) is hashed too.
    const void* dummy = nullptr;
    while (nested_read(nullptr, &ns, &dummy) > 0) {
    }
    if (!ns.error.empty()) throw Error("input: " + member + ": " + ns.error);
    if (ns.got != member_size)
        throw Error("input: " + member + ": read " + std::to_string(ns.got) + " of " + std::to_string(member_size) + " bytes");
    ing.res.toolchain = {member, member_size, ns.h.finish()};
}

/// A file libgit2 would follow out of the repository: `commondir` and `gitdir` (worktree links) and the object
/// alternates, at any depth below source/, except below refs/ and logs/ (where the names are ref names).
bool is_repository_link(const std::string& rel) {
    if (rel.rfind("refs/", 0) == 0 || rel.rfind("logs/", 0) == 0) return false;
    std::string_view base(rel);
    if (auto slash = base.rfind('/'); slash != std::string_view::npos) base.remove_prefix(slash + 1);
    return base == "commondir" || base == "gitdir" || base == "alternates" || base == "http-alternates";
}

// The one pass over the input disk's members (docs/formats.md): where each goes, and what was found so far.
struct InputPass {
    Ingest& ing;
    struct archive* a;
    DeviceSource& dev;
    const std::string& dest_dir;
    detail::SafeTree source, files, deps;
    std::vector<std::pair<std::string, std::string>> source_digests;  // (path under source/, hex SHA-256)
    bool have_toolchain = false;
};

struct Member {
    std::string name;
    unsigned type = 0;
    std::uint64_t size = 0;
};

// The header of the next member: counted, named, sized within the device, and only a regular file or a directory.
Member read_member_header(InputPass& in, struct archive_entry* e) {
    in.ing.count_entry("input disk");
    Member m;
    m.name = entry_name(e, in.ing.lim.max_path, "input disk");
    refuse_sparse(e, m.name);
    m.type = archive_entry_filetype(e);
    m.size = entry_size(e, "input: " + m.name);
    auto hpos = static_cast<std::uint64_t>(std::max<la_int64_t>(0, archive_read_header_position(in.a)));
    check_fits(hpos, m.size, in.dev.size, m.name, "device");
    if (archive_entry_hardlink(e))
        throw Error("input: " + m.name + ": hard links are not allowed on the input disk (only in the toolchain)");
    if (m.type != AE_IFREG && m.type != AE_IFDIR)
        throw Error("input: " + m.name + ": " + detail::entry_type_name(m.type) + " is not allowed on the input disk");
    return m;
}

// The first member, request.json (at most max_request_bytes): hashed and parsed.
void read_request(InputPass& in, const Member& m) {
    if (m.name != "request.json" || m.type != AE_IFREG)
        throw Error("input: the first member must be request.json, found " + m.name);
    if (m.size > in.ing.lim.max_request_bytes) throw Error("input: request.json: larger than the limit");
    std::string text(static_cast<std::size_t>(m.size), '\0');
    la_ssize_t got = m.size ? archive_read_data(in.a, text.data(), text.size()) : 0;
    if (got < 0 || static_cast<std::uint64_t>(got) != m.size) archive_fail(in.a, "request.json", in.dev.error);
    in.ing.res.request_member = {m.name, m.size, sha256(text)};
    in.ing.res.request = parse_request(text);
}

// Extract the current member's data into `tree` at `rel` (a new file), within the size limits. Returns its SHA-256.
Bytes extract_file(InputPass& in, detail::SafeTree& tree, const std::string& rel, bool exec, const Member& m) {
    in.ing.count_bytes("input: " + m.name, m.size);
    int ofd = tree.create_file(rel, exec);
    Bytes d;
    try {
        d = detail::copy_entry_data(in.a, ofd, m.size, "input: " + m.name);
    } catch (...) {
        ::close(ofd);
        if (!in.dev.error.empty()) throw Error("input: " + m.name + ": " + in.dev.error);
        throw;
    }
    ::close(ofd);
    return d;
}

// A member under source/ (the bare repository; no alternates, commondir or gitdir) or files/ (the extra inputs).
void ingest_tree_member(InputPass& in, const Member& m, struct archive_entry* e, const std::string& top,
                        const std::string& rest) {
    bool is_source = top == "source";
    if (rest.empty()) {
        if (m.type != AE_IFDIR) throw Error("input: " + top + ": must be a directory");
        return;
    }
    if (is_source && is_repository_link(rest))
        throw Error("input: " + m.name + ": git alternates, commondir and gitdir files are not allowed");
    detail::SafeTree& tree = is_source ? in.source : in.files;
    if (m.type == AE_IFDIR) {
        tree.make_dir(rest);
    } else if (is_source) {
        Bytes d = extract_file(in, tree, rest, false, m);
        in.source_digests.emplace_back(rest, hex(d));
        ++in.ing.res.source_files;
    } else {
        if (in.ing.res.files.size() >= in.ing.lim.max_files)
            throw Error("input: " + m.name + ": more than " + std::to_string(in.ing.lim.max_files) + " files under files/");
        Bytes d = extract_file(in, tree, rest, (archive_entry_perm(e) & 0111) != 0, m);
        in.ing.res.files.push_back({m.name, m.size, std::move(d)});
    }
}

// A member under deps/: deps/<ecosystem>/ directories and deps/<ecosystem>/<file> regular files, for an ecosystem
// the request names (docs/formats.md 1.8). The files are checked against the lockfile after the checkout.
void ingest_dep_member(InputPass& in, const Member& m, const std::string& rest) {
    if (rest.empty()) {
        if (m.type != AE_IFDIR) throw Error("input: deps: must be a directory");
        return;
    }
    const auto& eco = in.ing.res.request.dependencies;
    std::string top = rest.substr(0, rest.find('/'));
    if (std::find(eco.begin(), eco.end(), top) == eco.end())
        throw Error("input: " + m.name + ": the request names no " + quote_text(top) + " dependencies");
    bool nested = rest.find('/') != std::string::npos;
    if (m.type == AE_IFDIR) {
        if (nested) throw Error("input: " + m.name + ": deps/<ecosystem>/ holds files only, no directories");
        in.deps.make_dir(rest);
        return;
    }
    if (!nested) throw Error("input: " + m.name + ": must be a directory");
    if (rest.find('/') != rest.rfind('/'))
        throw Error("input: " + m.name + ": deps/<ecosystem>/ holds files only, no directories");
    if (in.ing.res.dep_files >= in.ing.lim.max_dep_files)
        throw Error("input: " + m.name + ": more than " + std::to_string(in.ing.lim.max_dep_files) + " files under deps/");
    extract_file(in, in.deps, rest, false, m);
    ++in.ing.res.dep_files;
}

// Any member after request.json: source/..., the toolchain archive (once), files/..., deps/...; nothing else.
void ingest_member(InputPass& in, const Member& m, struct archive_entry* e) {
    const std::string& name = m.name;
    std::string top = name.substr(0, name.find('/'));
    std::string rest = name.size() > top.size() ? name.substr(top.size() + 1) : std::string();
    if (name == "request.json") throw Error("input: request.json: duplicate name");
    if (top == "source" || top == "files") {
        ingest_tree_member(in, m, e, top, rest);
    } else if (top == "deps") {
        ingest_dep_member(in, m, rest);
    } else if (name == "toolchain.tar" || name == "toolchain.tar.zst" || name == "toolchain.tar.gz") {
        if (m.type != AE_IFREG) throw Error("input: " + name + ": must be a regular file");
        if (in.have_toolchain) throw Error("input: " + name + ": duplicate toolchain");
        if (in.ing.res.request.toolchain_image)
            throw Error("input: " + name + ": the request names a toolchain image; a toolchain member is not allowed too");
        in.have_toolchain = true;
        extract_toolchain(in.ing, in.a, name, m.size, in.dest_dir);
    } else {
        throw Error("input: " + name + ": unexpected member (allowed: request.json, source/, toolchain.tar[.zst|.gz], files/, deps/)");
    }
}

// SHA-256 over "<path>\0<sha256 hex>\n" of every source/ file, sorted by path.
Bytes source_tree_digest(std::vector<std::pair<std::string, std::string>> digests) {
    std::sort(digests.begin(), digests.end());
    Hasher sh(HashAlg::sha256);
    for (const auto& [n, d] : digests) {
        sh.update(n);
        sh.update(std::string_view("\0", 1));
        sh.update(d);
        sh.update("\n");
    }
    return sh.finish();
}

IngestResult ingest_any(int fd, std::uint64_t device_size, const std::string& dest_dir, const IngestLimits& limits,
                        const IngestProgress& progress, bool hash_device) {
    Ingest ing{limits, {}};
    DeviceSource dev;
    if (hash_device) dev.h.emplace();
    else dev.plain.resize(PipelinedHasher::kSlotBytes);
    dev.fd = fd;
    dev.size = device_size;
    dev.progress = &progress;
    if (device_size < 1024) throw Error("input: the input disk is too small (" + std::to_string(device_size) + " bytes)");

    ArchiveReader ar;
    archive_read_support_format_tar(ar.a);
    if (archive_read_open(ar.a, &dev, nullptr, device_read, nullptr) != ARCHIVE_OK) archive_fail(ar.a, "archive", dev.error);

    InputPass in{ing, ar.a, dev, dest_dir, detail::SafeTree(dest_dir + "/source.git", "input: source", {}, true),
                 detail::SafeTree(dest_dir + "/files", "input: files", {}, true),
                 detail::SafeTree(dest_dir + "/deps", "input: deps", {}, true), {}, false};
    bool first = true;
    for (;;) {
        struct archive_entry* e = nullptr;
        int r = archive_read_next_header(ar.a, &e);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN) archive_fail(ar.a, first ? "archive" : "archive after the last good member", dev.error);
        Member m = read_member_header(in, e);
        if (first) read_request(in, m);
        else ingest_member(in, m, e);
        first = false;
    }
    if (first) throw Error("input: the input disk holds no members (request.json missing)");
    if (!in.have_toolchain && !in.ing.res.request.toolchain_image)
        throw Error("input: toolchain.tar[.zst|.gz] is missing (and the request names no toolchain image)");
    if (ing.res.source_files == 0) throw Error("input: source/ holds no files");

    // Hash the rest of the device (tar end blocks, padding): the device digest covers every byte.
    const void* dummy = nullptr;
    for (;;) {
        la_ssize_t n = device_read(nullptr, &dev, &dummy);
        if (n < 0) throw Error(dev.error);
        if (n == 0) break;
    }
    ing.res.source_digest = source_tree_digest(std::move(in.source_digests));
    ing.res.device_size = device_size;
    if (dev.h) ing.res.device_sha256 = dev.h->finish();
    ing.res.entries = ing.entries;
    ing.res.extracted_bytes = ing.total;
    return ing.res;
}

}  // namespace

IngestResult ingest_input(int fd, std::uint64_t device_size, const std::string& dest_dir, const IngestLimits& limits,
                          const IngestProgress& progress) {
    return ingest_any(fd, device_size, dest_dir, limits, progress, true);
}

IngestResult ingest_stream(int fd, std::uint64_t device_size, const std::string& dest_dir, const IngestLimits& limits) {
    return ingest_any(fd, device_size, dest_dir, limits, {}, false);
}

IngestResult ingest_input_path(const std::string& path, const std::string& dest_dir, const IngestLimits& limits,
                               const IngestProgress& progress) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Error("input: " + path + ": " + std::strerror(errno));
    try {
        std::uint64_t size = fd_size(fd, "input: " + path);
        IngestResult r = ingest_input(fd, size, dest_dir, limits, progress);
        ::close(fd);
        return r;
    } catch (...) {
        ::close(fd);
        throw;
    }
}

}  // namespace kettle

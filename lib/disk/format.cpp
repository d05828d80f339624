// Build request, input disk writer (host), output disk writer (guest) and reader (host). See docs/formats.md.
#include "kettle/disk/format.hpp"
#include "kettle/disk/artifacts.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "format_internal.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/text.hpp"

namespace kettle {

using detail::write_all;

// ---------------------------------------------------------------------------------------------------------------
// Request

Json request_to_json(const BuildRequest& r) {
    Json j = Json::object();
    j["version"] = kInputFormatVersion;
    j["argv"] = r.argv;
    Json env = Json::object();
    for (const auto& [k, v] : r.env) env[k] = v;
    j["env"] = env;
    j["workdir"] = r.workdir;
    j["artifacts"] = r.artifacts;
    j["timeout_seconds"] = r.timeout_seconds;
    j["memory_limit_mib"] = r.memory_limit_mib;
    j["pids_limit"] = r.pids_limit;
    j["log_limit_bytes"] = r.log_limit_bytes;
    j["nonce"] = r.nonce;
    j["source_uri"] = r.source_uri;
    j["source_ref"] = r.source_ref;
    if (!r.requested_ref.empty()) j["requested_ref"] = r.requested_ref;
    if (r.require_artifacts) j["require_artifacts"] = true;
    if (r.toolchain_image)
        j["toolchain_image"] = Json{{"root_hash", hex(r.toolchain_image->root_hash)},
                                    {"data_blocks", r.toolchain_image->data_blocks}};
    if (!r.dependencies.empty()) j["dependencies"] = r.dependencies;
    return j;
}

namespace {

[[noreturn]] void bad(const std::string& field, const std::string& why) { throw Error("request: " + field + ": " + why); }

std::string get_string(const Json& j, const char* key, std::size_t max, bool required) {
    auto it = j.find(key);
    if (it == j.end()) {
        if (required) bad(key, "missing");
        return {};
    }
    if (!it->is_string()) bad(key, "not a string");
    std::string s = it->get<std::string>();
    if (s.size() > max) bad(key, "longer than " + std::to_string(max) + " bytes");
    if (s.find('\0') != std::string::npos) bad(key, "contains NUL");
    return s;
}

std::uint64_t get_uint(const Json& j, const char* key, std::uint64_t lo, std::uint64_t hi, std::uint64_t def) {
    auto it = j.find(key);
    if (it == j.end()) return def;
    if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<std::int64_t>() >= 0))
        bad(key, "not a non-negative integer");
    std::uint64_t v = it->get<std::uint64_t>();
    if (v < lo || v > hi) bad(key, "out of range " + std::to_string(lo) + ".." + std::to_string(hi));
    return v;
}

/// "toolchain_image": exactly {"root_hash": 64 lower-case hex, "data_blocks": 1 .. 2^28}.
ToolchainImageRef get_toolchain_image(const Json& t) {
    if (!t.is_object()) bad("toolchain_image", "not an object");
    for (auto it = t.begin(); it != t.end(); ++it)
        if (it.key() != "root_hash" && it.key() != "data_blocks") bad("toolchain_image", it.key() + ": unknown key");
    std::string root = get_string(t, "root_hash", 64, true);
    if (root.size() != 64 || root.find_first_not_of("0123456789abcdef") != std::string::npos)
        bad("toolchain_image", "root_hash is not 64 lower-case hex characters");
    if (!t.contains("data_blocks")) bad("toolchain_image", "data_blocks: missing");
    ToolchainImageRef ref;
    ref.root_hash = unhex(root);
    ref.data_blocks = get_uint(t, "data_blocks", kToolchainImageMinBlocks, kToolchainImageMaxBlocks, 0);
    return ref;
}

/// "dependencies": the ecosystems the guest verifies, each of "npm", "cargo", "go", "debian" at most once, sorted.
std::vector<std::string> get_dependencies(const Json& d) {
    if (!d.is_array()) bad("dependencies", "not an array");
    std::vector<std::string> out;
    for (const auto& e : d) {
        if (!e.is_string()) bad("dependencies", "element is not a string");
        std::string s = e.get<std::string>();
        if (s != "npm" && s != "cargo" && s != "go" && s != "debian") bad("dependencies", "unknown ecosystem \"" + s.substr(0, 32) + "\"");
        if (std::find(out.begin(), out.end(), s) != out.end()) bad("dependencies", s + " given twice");
        out.push_back(std::move(s));
    }
    std::sort(out.begin(), out.end());
    if (out.empty()) bad("dependencies", "empty (leave the key out)");
    return out;
}

void check_relative(const std::string& field, const std::string& p, bool allow_dot) {
    if (allow_dot && (p == "." || p.empty())) return;
    try {
        normalize_member_path(p, 1024);
    } catch (const Error& e) {
        bad(field, e.what());
    }
}

}  // namespace

bool is_go_locked_env(std::string_view name) {
    return std::any_of(std::begin(kGoLockedEnv), std::end(kGoLockedEnv), [&](const char* v) { return name == v; });
}

void check_dependency_env(const BuildRequest& r) {
    if (std::find(r.dependencies.begin(), r.dependencies.end(), "go") == r.dependencies.end()) return;
    for (const auto& [k, v] : r.env)
        if (is_go_locked_env(k))
            bad("env", k + " may not be set when dependencies include go: the build must use the module cache the "
                           "guest checked against go.sum, and Kettle sets the Go variables itself (docs/dependencies.md §6)");
}

BuildRequest request_from_json(const Json& j) {
    if (!j.is_object()) throw Error("request: not a JSON object");
    static const char* known[] = {"version", "argv", "env", "workdir", "artifacts", "timeout_seconds",
                                  "memory_limit_mib", "pids_limit", "log_limit_bytes", "nonce", "source_uri",
                                  "source_ref", "toolchain_image", "requested_ref", "require_artifacts",
                                  "dependencies"};
    for (auto it = j.begin(); it != j.end(); ++it) {
        if (std::find_if(std::begin(known), std::end(known), [&](const char* k) { return it.key() == k; }) ==
            std::end(known))
            bad(it.key(), "unknown key");
    }
    if (get_uint(j, "version", 0, 1u << 30, 0) != static_cast<std::uint64_t>(kInputFormatVersion))
        bad("version", "must be " + std::to_string(kInputFormatVersion));
    BuildRequest r;
    auto argv = j.find("argv");
    if (argv == j.end() || !argv->is_array() || argv->empty()) bad("argv", "must be a non-empty array of strings");
    if (argv->size() > 4096) bad("argv", "more than 4096 elements");
    for (const auto& a : *argv) {
        if (!a.is_string()) bad("argv", "element is not a string");
        std::string s = a.get<std::string>();
        if (s.find('\0') != std::string::npos || s.size() > 65536) bad("argv", "element contains NUL or is too long");
        r.argv.push_back(std::move(s));
    }
    if (r.argv[0].empty()) bad("argv", "argv[0] is empty");
    if (auto env = j.find("env"); env != j.end()) {
        if (!env->is_object()) bad("env", "not an object");
        if (env->size() > 4096) bad("env", "more than 4096 variables");
        for (auto it = env->begin(); it != env->end(); ++it) {
            const std::string& k = it.key();
            if (k.empty() || k.find('=') != std::string::npos || k.find('\0') != std::string::npos)
                bad("env", "bad variable name \"" + k + "\"");
            if (!it->is_string()) bad("env", k + " is not a string");
            std::string v = it->get<std::string>();
            if (v.find('\0') != std::string::npos || v.size() > 65536) bad("env", k + " contains NUL or is too long");
            r.env[k] = std::move(v);
        }
    }
    r.workdir = get_string(j, "workdir", 1024, false);
    if (r.workdir.empty()) r.workdir = ".";
    check_relative("workdir", r.workdir, true);
    if (auto arts = j.find("artifacts"); arts != j.end()) {
        if (!arts->is_array()) bad("artifacts", "not an array");
        if (arts->size() > 1024) bad("artifacts", "more than 1024 patterns");
        for (const auto& a : *arts) {
            if (!a.is_string()) bad("artifacts", "pattern is not a string");
            std::string s = a.get<std::string>();
            check_relative("artifacts", s, false);
            try {
                check_glob(s);
            } catch (const Error& e) {
                bad("artifacts", e.what());
            }
            r.artifacts.push_back(std::move(s));
        }
    }
    r.timeout_seconds = static_cast<std::uint32_t>(get_uint(j, "timeout_seconds", 1, 86400, 600));
    r.memory_limit_mib = get_uint(j, "memory_limit_mib", 0, 1u << 24, 0);
    r.pids_limit = static_cast<std::uint32_t>(get_uint(j, "pids_limit", 8, 65536, 512));
    r.log_limit_bytes = get_uint(j, "log_limit_bytes", 4096, 64u << 20, 8u << 20);
    r.nonce = get_string(j, "nonce", 1024, false);
    r.source_uri = get_string(j, "source_uri", 4096, false);
    r.source_ref = get_string(j, "source_ref", 1024, true);
    if (r.source_ref.empty()) bad("source_ref", "empty");
    if (auto t = j.find("toolchain_image"); t != j.end()) r.toolchain_image = get_toolchain_image(*t);
    r.requested_ref = get_string(j, "requested_ref", 1024, false);
    if (auto ra = j.find("require_artifacts"); ra != j.end()) {
        if (!ra->is_boolean()) bad("require_artifacts", "not true or false");
        r.require_artifacts = ra->get<bool>();
    }
    if (auto d = j.find("dependencies"); d != j.end()) r.dependencies = get_dependencies(*d);
    check_dependency_env(r);
    return r;
}

BuildRequest parse_request(std::string_view text) { return request_from_json(parse_strict(text)); }

// ---------------------------------------------------------------------------------------------------------------
// Sizes

std::uint64_t fd_size(int fd, const std::string& what) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) throw Error(what + ": fstat: " + std::strerror(errno));
    if (S_ISREG(st.st_mode)) return static_cast<std::uint64_t>(st.st_size);
    if (S_ISBLK(st.st_mode)) {
        std::uint64_t n = 0;
        if (::ioctl(fd, BLKGETSIZE64, &n) != 0) throw Error(what + ": BLKGETSIZE64: " + std::strerror(errno));
        return n;
    }
    throw Error(what + ": not a regular file or block device");
}

// ---------------------------------------------------------------------------------------------------------------
// Writing tar members (host input writer and guest output writer)

namespace {

struct ArchiveWriter {
    struct archive* a = nullptr;
    std::string what;
    explicit ArchiveWriter(std::string w) : a(archive_write_new()), what(std::move(w)) {
        if (!a) throw Error(what + ": archive_write_new failed");
        if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK || archive_write_add_filter_none(a) != ARCHIVE_OK ||
            archive_write_set_bytes_per_block(a, 65536) != ARCHIVE_OK ||
            archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK)
            fail("setup");
    }
    ~ArchiveWriter() {
        if (a) archive_write_free(a);
    }
    [[noreturn]] void fail(const std::string& step) {
        const char* es = archive_error_string(a);
        throw Error(what + ": " + step + ": " + (es ? es : "libarchive error"));
    }
    void header(const std::string& name, unsigned type, std::uint64_t size, unsigned perm) {
        struct archive_entry* e = archive_entry_new();
        archive_entry_set_pathname(e, name.c_str());
        archive_entry_set_filetype(e, type);
        archive_entry_set_perm(e, perm);
        archive_entry_set_size(e, type == AE_IFREG ? static_cast<la_int64_t>(size) : 0);
        archive_entry_set_mtime(e, 0, 0);
        archive_entry_set_uid(e, 0);
        archive_entry_set_gid(e, 0);
        int r = archive_write_header(a, e);
        archive_entry_free(e);
        if (r != ARCHIVE_OK) fail("header of " + name);
    }
    void data(const void* p, std::size_t n, const std::string& name) {
        while (n > 0) {
            la_ssize_t w = archive_write_data(a, p, n);
            if (w <= 0) fail("data of " + name);
            p = static_cast<const char*>(p) + w;
            n -= static_cast<std::size_t>(w);
        }
    }
    /// Stream a file already opened; returns its digest. Fails if the size changes while reading.
    DiskMember file_fd(const std::string& name, int fd, std::uint64_t size, bool exec) {
        header(name, AE_IFREG, size, exec ? 0755 : 0644);
        Hasher h(HashAlg::sha256);
        std::vector<char> buf(1 << 20);
        std::uint64_t done = 0;
        while (done < size) {
            ssize_t n = ::read(fd, buf.data(), static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), size - done)));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) throw Error(what + ": " + name + ": file shrank or could not be read");
            h.update(ByteView(reinterpret_cast<const std::uint8_t*>(buf.data()), static_cast<std::size_t>(n)));
            data(buf.data(), static_cast<std::size_t>(n), name);
            done += static_cast<std::uint64_t>(n);
        }
        return {name, size, h.finish()};
    }
    DiskMember file_path(const std::string& name, const std::string& path) {
        int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) throw Error(what + ": " + path + ": " + std::strerror(errno));
        struct stat st {};
        if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            ::close(fd);
            throw Error(what + ": " + path + ": not a regular file");
        }
        try {
            DiskMember m = file_fd(name, fd, static_cast<std::uint64_t>(st.st_size), (st.st_mode & 0100) != 0);
            ::close(fd);
            return m;
        } catch (...) {
            ::close(fd);
            throw;
        }
    }
};

struct HashingFdSink {
    int fd = -1;
    Hasher h{HashAlg::sha256};
    std::uint64_t written = 0;
    std::string error;
};

la_ssize_t sink_write(struct archive*, void* ctx, const void* buf, size_t len) {
    auto* s = static_cast<HashingFdSink*>(ctx);
    try {
        write_all(s->fd, buf, len, "input disk");
    } catch (const Error& e) {
        s->error = e.what();
        return -1;
    }
    s->h.update(ByteView(static_cast<const std::uint8_t*>(buf), len));
    s->written += len;
    return static_cast<la_ssize_t>(len);
}

void walk_source(const std::string& dir, const std::string& rel, std::vector<std::pair<std::string, bool>>& out,
                 std::size_t depth) {
    if (depth > 64) throw Error("input disk: source: directories nested too deep at " + rel);
    DIR* d = ::opendir(dir.c_str());
    if (!d) throw Error("input disk: source: cannot open " + dir + ": " + std::strerror(errno));
    std::vector<std::string> names;
    while (dirent* de = ::readdir(d)) {
        if (!std::strcmp(de->d_name, ".") || !std::strcmp(de->d_name, "..")) continue;
        names.emplace_back(de->d_name);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
        std::string p = dir;
        p.append("/").append(n);
        std::string r = rel;
        if (!r.empty()) r += '/';
        r += n;
        struct stat st {};
        if (::lstat(p.c_str(), &st) != 0) throw Error("input disk: source: " + p + ": " + std::strerror(errno));
        if (S_ISDIR(st.st_mode)) {
            out.emplace_back(r, true);
            walk_source(p, r, out, depth + 1);
        } else if (S_ISREG(st.st_mode)) {
            out.emplace_back(r, false);
        } else {
            throw Error("input disk: source: " + p + ": only directories and regular files are allowed");
        }
    }
}

bool ends_with(const std::string& s, const char* suf) {
    std::size_t n = std::strlen(suf);
    return s.size() >= n && s.compare(s.size() - n, n, suf) == 0;
}

/// The deps/ members, sorted: "<ecosystem>/<file>" names (one directory level, docs/formats.md 1.8), no duplicate.
std::vector<std::pair<std::string, std::string>> dependency_members(const InputDiskSpec& spec) {
    std::vector<std::pair<std::string, std::string>> deps;
    for (const auto& [name, path] : spec.deps) {
        std::string n;
        try {
            n = normalize_member_path(name, 1000);
        } catch (const Error& e) {
            throw Error("input disk: dependency file name \"" + name + "\": " + e.what());
        }
        if (std::count(n.begin(), n.end(), '/') != 1)
            throw Error("input disk: dependency file name \"" + n + "\" is not <ecosystem>/<file>");
        deps.emplace_back(n, path);
    }
    std::sort(deps.begin(), deps.end());
    for (std::size_t i = 1; i < deps.size(); ++i)
        if (deps[i].first == deps[i - 1].first) throw Error("input disk: duplicate dependency file " + deps[i].first);
    return deps;
}

}  // namespace

InputDiskInfo write_input_disk(const InputDiskSpec& spec, const std::string& out_path) {
    std::string req = request_to_json(spec.request).dump(2) + "\n";
    request_from_json(parse_strict(req));  // the guest must accept what we write
    std::string tc_name;  // empty: the toolchain is an image on its own disk, named in the request
    if (spec.request.toolchain_image) {
        if (!spec.toolchain_path.empty())
            throw Error("input disk: the request names a toolchain image, so no toolchain tarball may be given too");
    } else {
        const std::string& t = spec.toolchain_path;
        if (ends_with(t, ".tar.zst") || ends_with(t, ".tzst")) tc_name = "toolchain.tar.zst";
        else if (ends_with(t, ".tar.gz") || ends_with(t, ".tgz")) tc_name = "toolchain.tar.gz";
        else if (ends_with(t, ".tar")) tc_name = "toolchain.tar";
        else throw Error("input disk: toolchain " + t + ": name must end in .tar, .tar.zst or .tar.gz");
    }
    struct stat st {};
    if (::stat(spec.source_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        throw Error("input disk: source " + spec.source_dir + ": not a directory");
    if (::stat((spec.source_dir + "/objects").c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        throw Error("input disk: source " + spec.source_dir + ": not a bare git repository (no objects/)");
    std::vector<std::pair<std::string, bool>> src;
    walk_source(spec.source_dir, "", src, 0);
    std::vector<std::pair<std::string, std::string>> files;
    for (const auto& [name, path] : spec.files) {
        std::string n;
        try {
            n = normalize_member_path(name, 1000);
        } catch (const Error& e) {
            throw Error("input disk: extra file name \"" + name + "\": " + e.what());
        }
        files.emplace_back(n, path);
    }
    std::sort(files.begin(), files.end());
    for (std::size_t i = 1; i < files.size(); ++i)
        if (files[i].first == files[i - 1].first) throw Error("input disk: duplicate extra file " + files[i].first);

    const std::vector<std::pair<std::string, std::string>> deps = dependency_members(spec);
    int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw Error("input disk: " + out_path + ": " + std::strerror(errno));
    InputDiskInfo info;
    try {
        HashingFdSink sink;
        sink.fd = fd;
        ArchiveWriter w("input disk");
        if (archive_write_open(w.a, &sink, nullptr, sink_write, nullptr) != ARCHIVE_OK) {
            if (!sink.error.empty()) throw Error(sink.error);
            w.fail("open");
        }
        w.header("request.json", AE_IFREG, req.size(), 0644);
        w.data(req.data(), req.size(), "request.json");
        info.members.push_back({"request.json", req.size(), sha256(req)});
        w.header("source/", AE_IFDIR, 0, 0755);
        for (const auto& [r, is_dir] : src) {
            if (is_dir) w.header("source/" + r + "/", AE_IFDIR, 0, 0755);
            else w.file_path("source/" + r, spec.source_dir + "/" + r);
        }
        if (!tc_name.empty()) info.members.push_back(w.file_path(tc_name, spec.toolchain_path));
        for (const auto& [n, path] : files) info.members.push_back(w.file_path("files/" + n, path));
        for (const auto& [n, path] : deps) info.members.push_back(w.file_path("deps/" + n, path));
        if (archive_write_close(w.a) != ARCHIVE_OK) {
            if (!sink.error.empty()) throw Error(sink.error);
            w.fail("close");
        }
        // Pad to a multiple of 512 (it already is; keep the guarantee explicit).
        static const char zero[512] = {};
        if (sink.written % 512) {
            std::size_t pad = 512 - sink.written % 512;
            write_all(fd, zero, pad, "input disk");
            sink.h.update(ByteView(reinterpret_cast<const std::uint8_t*>(zero), pad));
            sink.written += pad;
        }
        info.size = sink.written;
        info.sha256 = sink.h.finish();
        if (::fsync(fd) != 0 && errno != EINVAL) throw Error("input disk: fsync: " + std::string(std::strerror(errno)));
    } catch (...) {
        ::close(fd);
        throw;
    }
    ::close(fd);
    return info;
}

// ---------------------------------------------------------------------------------------------------------------
// Output disk: guest writer

struct OutputWriter::Impl {
    int fd = -1;
    std::uint64_t device_size = 0;
    std::uint64_t capacity = 0;  // max payload bytes
    std::uint64_t pos = 0;       // payload bytes written
    Hasher h{HashAlg::sha256};
    std::string error;
    std::unique_ptr<ArchiveWriter> w;
    std::vector<std::string> names;
    bool finished = false;
};

namespace {

la_ssize_t out_write(struct archive*, void* ctx, const void* buf, size_t len) {
    auto* im = static_cast<OutputWriter::Impl*>(ctx);
    if (len > im->capacity - im->pos) {
        im->error = "output: the output disk is full (" + std::to_string(im->capacity) + " payload bytes)";
        return -1;
    }
    const char* p = static_cast<const char*>(buf);
    std::size_t left = len;
    std::uint64_t off = kOutputHeaderSize + im->pos;
    while (left > 0) {
        ssize_t n = ::pwrite(im->fd, p, left, static_cast<off_t>(off));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            im->error = std::string("output: write: ") + (n < 0 ? std::strerror(errno) : "short write");
            return -1;
        }
        p += n;
        left -= static_cast<std::size_t>(n);
        off += static_cast<std::uint64_t>(n);
    }
    im->h.update(ByteView(static_cast<const std::uint8_t*>(buf), len));
    im->pos += len;
    return static_cast<la_ssize_t>(len);
}

void pwrite_all(int fd, const void* data, std::size_t len, std::uint64_t off, const std::string& what) {
    auto p = static_cast<const char*>(data);
    while (len > 0) {
        ssize_t n = ::pwrite(fd, p, len, static_cast<off_t>(off));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw Error(what + ": write: " + (n < 0 ? std::strerror(errno) : "short write"));
        p += n;
        len -= static_cast<std::size_t>(n);
        off += static_cast<std::uint64_t>(n);
    }
}

}  // namespace

OutputWriter::OutputWriter(int fd, std::uint64_t device_size) : impl_(std::make_unique<Impl>()) {
    impl_->fd = fd;
    impl_->device_size = device_size;
    if (device_size < kOutputHeaderSize + kOutputTrailerSize + 4096)
        throw Error("output: the output disk is too small (" + std::to_string(device_size) + " bytes)");
    // Leave room for the trailer after rounding the payload up to 512.
    impl_->capacity = (device_size - kOutputHeaderSize - kOutputTrailerSize) / 512 * 512;
    // Invalidate any earlier header first, so a crash mid-write never leaves an old complete disk behind.
    static const char zero[kOutputHeaderSize] = {};
    pwrite_all(fd, zero, sizeof zero, 0, "output");
    impl_->w = std::make_unique<ArchiveWriter>("output");
    if (archive_write_open(impl_->w->a, impl_.get(), nullptr, out_write, nullptr) != ARCHIVE_OK) {
        if (!impl_->error.empty()) throw Error(impl_->error);
        impl_->w->fail("open");
    }
}

OutputWriter::~OutputWriter() = default;

std::uint64_t OutputWriter::remaining() const {
    std::uint64_t used = impl_->pos + 2048;
    return used >= impl_->capacity ? 0 : impl_->capacity - used;
}

namespace {
void check_out_name(OutputWriter::Impl& im, const std::string& name) {
    if (im.finished) throw Error("output: writer already finished");
    std::string n = normalize_member_path(name, 1024);
    if (n != name) throw Error("output: member name \"" + name + "\" is not normalized");
    if (std::find(im.names.begin(), im.names.end(), n) != im.names.end()) throw Error("output: duplicate member " + n);
}
}  // namespace

DiskMember OutputWriter::add_bytes(const std::string& name, ByteView data) {
    check_out_name(*impl_, name);
    try {
        impl_->w->header(name, AE_IFREG, data.size(), 0644);
        impl_->w->data(data.data(), data.size(), name);
    } catch (const Error&) {
        if (!impl_->error.empty()) throw Error(impl_->error + " while writing " + name);
        throw;
    }
    impl_->names.push_back(name);
    return {name, data.size(), sha256(data)};
}

DiskMember OutputWriter::add_file(const std::string& name, const std::string& path) {
    check_out_name(*impl_, name);
    try {
        DiskMember m = impl_->w->file_path(name, path);
        impl_->names.push_back(name);
        return m;
    } catch (const Error&) {
        if (!impl_->error.empty()) throw Error(impl_->error + " while writing " + name);
        throw;
    }
}

std::uint64_t OutputWriter::finish() {
    auto& im = *impl_;
    if (im.finished) throw Error("output: writer already finished");
    if (archive_write_close(im.w->a) != ARCHIVE_OK) {
        if (!im.error.empty()) throw Error(im.error);
        im.w->fail("close");
    }
    im.finished = true;
    Bytes digest = im.h.finish();
    Bytes header(kOutputHeaderSize, 0);
    std::memcpy(header.data(), kOutputMagic, 16);
    Bytes fields;
    put_le32(fields, kOutputFormatVersion);
    put_le32(fields, 0);
    put_le64(fields, im.pos);
    std::memcpy(header.data() + 16, fields.data(), fields.size());
    std::memcpy(header.data() + 32, digest.data(), 32);
    Bytes trailer(kOutputTrailerSize, 0);
    std::memcpy(trailer.data(), kCompleteMagic, 16);
    std::memcpy(trailer.data() + 16, fields.data(), fields.size());
    std::memcpy(trailer.data() + 32, digest.data(), 32);
    Bytes hh = sha256(header);
    std::memcpy(trailer.data() + 64, hh.data(), 32);
    std::uint64_t toff = kOutputHeaderSize + (im.pos + 511) / 512 * 512;
    // Payload first (already written), then header, then the trailer: the "complete" marker goes last.
    if (::fsync(im.fd) != 0 && errno != EINVAL) throw Error(std::string("output: fsync: ") + std::strerror(errno));
    pwrite_all(im.fd, header.data(), header.size(), 0, "output");
    if (::fsync(im.fd) != 0 && errno != EINVAL) throw Error(std::string("output: fsync: ") + std::strerror(errno));
    pwrite_all(im.fd, trailer.data(), trailer.size(), toff, "output");
    if (::fsync(im.fd) != 0 && errno != EINVAL) throw Error(std::string("output: fsync: ") + std::strerror(errno));
    return im.pos;
}

// ---------------------------------------------------------------------------------------------------------------
// Output disk: host reader

namespace {

struct FdCloser {
    int fd;
    ~FdCloser() {
        if (fd >= 0) ::close(fd);
    }
};

void pread_all(int fd, void* buf, std::size_t len, std::uint64_t off) {
    auto p = static_cast<char*>(buf);
    while (len > 0) {
        ssize_t n = ::pread(fd, p, len, static_cast<off_t>(off));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw Error(std::string("output disk: read: ") + (n < 0 ? std::strerror(errno) : "unexpected end"));
        p += n;
        len -= static_cast<std::size_t>(n);
        off += static_cast<std::uint64_t>(n);
    }
}

struct PayloadSource {
    int fd = -1;
    std::uint64_t len = 0, pos = 0;
    std::vector<char> buf = std::vector<char>(1 << 20);
    std::string error;
};

la_ssize_t payload_read(struct archive*, void* ctx, const void** out) {
    auto* s = static_cast<PayloadSource*>(ctx);
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(s->buf.size(), s->len - s->pos));
    if (n == 0) return 0;
    try {
        pread_all(s->fd, s->buf.data(), n, kOutputHeaderSize + s->pos);
    } catch (const Error& e) {
        s->error = e.what();
        return -1;
    }
    s->pos += n;
    *out = s->buf.data();
    return static_cast<la_ssize_t>(n);
}

// The frame of the output disk (docs/formats.md): a header (magic, version, flags 0, payload length, payload
// SHA-256, reserved zero) and, after the payload rounded up to 512 bytes, a trailer that repeats those fields, adds
// the header's SHA-256 and is written last ("complete"). Returns the header; `plen` gets the payload length, checked
// against the disk size and the limits.
Bytes read_frame(int fd, std::uint64_t size, const OutputLimits& limits, std::uint64_t& plen) {
    if (size < kOutputHeaderSize + kOutputTrailerSize) throw Error("output disk: too small to hold a header and trailer");
    Bytes header(kOutputHeaderSize);
    pread_all(fd, header.data(), header.size(), 0);
    if (std::memcmp(header.data(), kOutputMagic, 16) != 0)
        throw Error("output disk: no header magic (the guest never finished writing; incomplete)");
    std::uint32_t version = le32(header, 16), flags = le32(header, 20);
    plen = le64(header, 24);
    if (version != static_cast<std::uint32_t>(kOutputFormatVersion))
        throw Error("output disk: version " + std::to_string(version) + " is not supported");
    if (flags != 0) throw Error("output disk: unknown flags");
    for (std::size_t i = 64; i < kOutputHeaderSize; ++i)
        if (header[i] != 0) throw Error("output disk: non-zero reserved header bytes");
    std::uint64_t room = size - kOutputHeaderSize - kOutputTrailerSize;
    if (plen > room || (plen + 511) / 512 * 512 > room)
        throw Error("output disk: payload length " + std::to_string(plen) + " runs past the end of the disk");
    std::uint64_t toff = kOutputHeaderSize + (plen + 511) / 512 * 512;
    Bytes trailer(kOutputTrailerSize);
    pread_all(fd, trailer.data(), trailer.size(), toff);
    if (std::memcmp(trailer.data(), kCompleteMagic, 16) != 0)
        throw Error("output disk: no complete marker (the guest did not finish writing)");
    if (!std::equal(trailer.begin() + 16, trailer.begin() + 64, header.begin() + 16))
        throw Error("output disk: trailer does not match the header");
    Bytes hh = sha256(header);
    if (!std::equal(hh.begin(), hh.end(), trailer.begin() + 64)) throw Error("output disk: header digest mismatch");
    for (std::size_t i = 96; i < kOutputTrailerSize; ++i)
        if (trailer[i] != 0) throw Error("output disk: non-zero reserved trailer bytes");
    if (plen > limits.max_total_bytes + 1024 * (limits.max_members + 2))
        throw Error("output disk: payload larger than the configured limit");
    return header;
}

// Pass 1: the payload's SHA-256 equals the header's (bytes 32..64), before anything is extracted.
void check_payload_digest(int fd, std::uint64_t plen, const Bytes& header) {
    Hasher h(HashAlg::sha256);
    std::vector<std::uint8_t> buf(1 << 20);
    for (std::uint64_t off = 0; off < plen;) {
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), plen - off));
        pread_all(fd, buf.data(), n, kOutputHeaderSize + off);
        h.update(ByteView(buf.data(), n));
        off += n;
    }
    Bytes d = h.finish();
    if (!std::equal(d.begin(), d.end(), header.begin() + 32)) throw Error("output disk: payload digest mismatch");
}

// Pass 2, one member: a directory, or a regular file with a safe name within the payload and the limits. Artifacts
// keep only "executable or not"; status.json is also read back (at most max_status_bytes).
struct PayloadExtract {
    const std::string& dest_dir;
    const OutputLimits& limits;
    std::uint64_t plen = 0, total = 0, entries = 0;
    detail::SafeTree tree;
    OutputDisk out;
    std::string status_text;
    bool have_status = false;
};

void extract_output_member(PayloadExtract& x, struct archive* a, struct archive_entry* e) {
    const OutputLimits& limits = x.limits;
    // Every entry counts (directories too: they cost the host a mkdir each).
    if (++x.entries > limits.max_members) throw Error("output disk: more than " + std::to_string(limits.max_members) + " members");
    const char* raw = archive_entry_pathname(e);
    if (!raw) throw Error("output disk: member without a name");
    std::string name;
    try {
        name = normalize_member_path(raw, limits.max_path);
    } catch (const Error& ex) {
        throw Error("output disk: member " + quote_text(raw) + ": " + ex.what());
    }
    unsigned type = archive_entry_filetype(e);
    if (archive_entry_hardlink(e)) throw Error("output disk: " + name + ": hard links are not allowed");
    if (type == AE_IFDIR) {
        x.tree.make_dir(name);
        return;
    }
    if (type != AE_IFREG)
        throw Error("output disk: " + name + ": " + detail::entry_type_name(type) + " is not allowed");
    if (archive_entry_sparse_count(e) > 0) throw Error("output disk: " + name + ": sparse entries are not supported");
    la_int64_t sz = archive_entry_size(e);
    if (sz < 0) throw Error("output disk: " + name + ": negative size");
    std::uint64_t usz = static_cast<std::uint64_t>(sz);
    std::uint64_t hpos = static_cast<std::uint64_t>(std::max<la_int64_t>(0, archive_read_header_position(a)));
    if (hpos + 512 > x.plen || usz > x.plen - hpos - 512)
        throw Error("output disk: " + name + ": size " + std::to_string(usz) + " runs past the end of the payload");
    if (usz > limits.max_member_bytes) throw Error("output disk: " + name + ": larger than the member limit");
    if (usz > limits.max_total_bytes - x.total) throw Error("output disk: members larger than the total limit");
    x.total += usz;
    // Artifacts keep only "executable or not" (0755 / 0644); never set-id bits, owners or times.
    bool exec = name.rfind("artifacts/", 0) == 0 && (archive_entry_perm(e) & 0111) != 0;
    int ofd = x.tree.create_file(name, exec);
    FdCloser oc{ofd};
    Bytes d = detail::copy_entry_data(a, ofd, usz, "output disk: " + name);
    if (name == "status.json") {
        if (usz > limits.max_status_bytes) throw Error("output disk: status.json larger than the limit");
        Bytes sb = read_file(x.dest_dir + "/status.json", limits.max_status_bytes);
        x.status_text = to_string(sb);
        x.have_status = true;
    }
    x.out.members.push_back({name, usz, std::move(d)});
}

}  // namespace

OutputDisk read_output_disk(const std::string& path, const std::string& dest_dir, const OutputLimits& limits) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Error("output disk: " + path + ": " + std::strerror(errno));
    FdCloser closer{fd};
    std::uint64_t plen = 0;
    Bytes header = read_frame(fd, fd_size(fd, "output disk"), limits, plen);
    check_payload_digest(fd, plen, header);

    // Pass 2: extract, refusing anything but directories and regular files with safe names.
    PayloadExtract x{dest_dir, limits, plen, 0, 0, detail::SafeTree(dest_dir, "output disk", {}, false), {}, {}, false};
    x.out.payload_length = plen;
    x.out.payload_sha256.assign(header.begin() + 32, header.begin() + 64);
    PayloadSource src;
    src.fd = fd;
    src.len = plen;
    struct archive* a = archive_read_new();
    archive_read_support_format_tar(a);
    struct ArFree {
        struct archive* a;
        ~ArFree() { archive_read_free(a); }
    } arfree{a};
    if (archive_read_open(a, &src, nullptr, payload_read, nullptr) != ARCHIVE_OK)
        throw Error(std::string("output disk: payload: ") + (archive_error_string(a) ? archive_error_string(a) : "not a tar"));
    for (;;) {
        struct archive_entry* e = nullptr;
        int r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN) {
            const char* es = archive_error_string(a);
            throw Error(std::string("output disk: payload: ") + (src.error.empty() ? (es ? es : "bad tar") : src.error));
        }
        extract_output_member(x, a, e);
    }
    if (!x.have_status) throw Error("output disk: status.json is missing");
    x.out.status = parse_strict(x.status_text);
    if (!x.out.status.is_object()) throw Error("output disk: status.json is not an object");
    return std::move(x.out);
}

}  // namespace kettle

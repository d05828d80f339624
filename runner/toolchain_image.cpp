// `kettle toolchain pack`: rootfs tarball -> EROFS + dm-verity image with Debian's tools. See toolchain_image.hpp.
#include "toolchain_image.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "progress.hpp"

namespace fs = std::filesystem;

namespace kettle::runner {

namespace {

/// Directories hold at most this depth: a deeper tree is refused rather than recursed into without bound.
constexpr int kMaxDepth = 256;

const char* kind_name(mode_t m) {
    if (S_ISCHR(m)) return "character device";
    if (S_ISBLK(m)) return "block device";
    if (S_ISFIFO(m)) return "FIFO";
    if (S_ISSOCK(m)) return "socket";
    return "special file";
}

void normalize_tree(const std::string& dir, const std::string& rel, int depth) {
    if (depth > kMaxDepth) throw Error("toolchain pack: " + rel + ": directories nested deeper than 256");
    if (::chmod(dir.c_str(), 0755) != 0) throw Error("toolchain pack: chmod " + dir + ": " + std::strerror(errno));
    DIR* d = ::opendir(dir.c_str());
    if (!d) throw Error("toolchain pack: " + dir + ": " + std::strerror(errno));
    struct Closer {
        DIR* d;
        ~Closer() { ::closedir(d); }
    } closer{d};
    while (dirent* de = ::readdir(d)) {
        if (!std::strcmp(de->d_name, ".") || !std::strcmp(de->d_name, "..")) continue;
        std::string p = dir + "/" + de->d_name, r = rel + "/" + de->d_name;
        struct stat st {};
        if (::lstat(p.c_str(), &st) != 0) throw Error("toolchain pack: " + p + ": " + std::strerror(errno));
        if (S_ISDIR(st.st_mode)) {
            normalize_tree(p, r, depth + 1);
        } else if (S_ISREG(st.st_mode)) {
            if (::chmod(p.c_str(), (st.st_mode & 0111) ? 0755 : 0644) != 0)
                throw Error("toolchain pack: chmod " + p + ": " + std::strerror(errno));
        } else if (!S_ISLNK(st.st_mode)) {
            throw Error("toolchain pack: " + r + ": a " + kind_name(st.st_mode) +
                        " is not allowed in a toolchain (the build sandbox brings its own /dev)");
        }
    }
}

/// The absolute path of a host tool: PATH first, then /usr/sbin and /sbin (veritysetup lives in /usr/sbin, which a
/// user's PATH on Debian does not hold).
std::string host_tool(const std::string& name, const char* package) {
    std::vector<std::string> dirs;
    if (const char* p = std::getenv("PATH")) {
        std::string s = p;
        for (std::size_t i = 0; i <= s.size();) {
            std::size_t j = s.find(':', i);
            if (j == std::string::npos) j = s.size();
            if (j > i) dirs.push_back(s.substr(i, j - i));
            i = j + 1;
        }
    }
    dirs.insert(dirs.end(), {"/usr/sbin", "/sbin"});
    for (const auto& d : dirs)
        if (::access((d + "/" + name).c_str(), X_OK) == 0) return d + "/" + name;
    throw Error("toolchain pack: " + name + " not found: install Debian's " + package + " (tools/deps/install-prereqs)");
}

void run_tool(const std::vector<std::string>& argv, std::string* out = nullptr) {
    auto [st, o] = run_capture(argv);
    if (st == -1) throw Error("toolchain pack: cannot run " + argv[0]);
    if (st != 0) throw Error("toolchain pack: " + argv[0] + " failed (status " + std::to_string(st) + "; its message is above)");
    if (out) *out = std::move(o);
}

/// The "Root hash:" value veritysetup format printed.
std::string printed_root_hash(const std::string& out) {
    auto p = out.find("Root hash:");
    if (p == std::string::npos) throw Error("toolchain pack: veritysetup printed no root hash");
    p = out.find_first_not_of(" \t", p + 10);
    std::string h = p == std::string::npos ? "" : out.substr(p, 64);
    if (h.size() != 64 || h.find_first_not_of("0123456789abcdef") != std::string::npos)
        throw Error("toolchain pack: cannot read the root hash veritysetup printed");
    return h;
}

/// A scratch directory next to `out` (not in /tmp, which may be a small tmpfs), removed with everything in it.
struct Scratch {
    std::string path;
    explicit Scratch(const std::string& out) {
        std::string tmpl = (fs::absolute(out).parent_path() / ".kettle-pack-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) throw Error("toolchain pack: cannot create " + tmpl + ": " + std::strerror(errno));
        path = tmpl;
    }
    ~Scratch() {
        std::error_code ec;
        fs::permissions(path, fs::perms::owner_all, fs::perm_options::add, ec);
        fs::remove_all(path, ec);
    }
};

}  // namespace

void normalize_rootfs(const std::string& root) {
    normalize_tree(root, "", 0);
    for (const char* m : kSandboxMountPoints) {
        std::string p = root + "/" + m;
        struct stat st {};
        if (::lstat(p.c_str(), &st) == 0) {
            if (!S_ISDIR(st.st_mode))
                throw Error(std::string("toolchain pack: /") + m + " is not a directory: the build sandbox mounts over "
                            "/src, /dev, /proc, /tmp and /inputs, which must be directories (or absent) in a toolchain");
        } else if (::mkdir(p.c_str(), 0755) != 0) {
            throw Error("toolchain pack: mkdir " + p + ": " + std::strerror(errno));
        }
    }
}

std::string pack_tool_versions() {
    std::string v;
    for (const char* pkg : {"erofs-utils", "cryptsetup-bin"}) {
        // mkfs.erofs 1.5 has no --version; the Debian package version names both tools exactly.
        auto [st, o] = run_capture({"sh", "-c", std::string("dpkg-query -W -f='${Version}' ") + pkg + " 2>/dev/null"});
        v += (v.empty() ? "" : ", ") + std::string(pkg) + " " + (st == 0 && !o.empty() ? o : "(version unknown)");
    }
    return v;
}

ToolchainImageInfo pack_toolchain_image(const std::string& tarball, const std::string& out, std::uint64_t epoch) {
    struct stat st {};
    if (::stat(tarball.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
        throw Error("toolchain pack: " + tarball + " is not a regular file");
    std::string mkfs = host_tool("mkfs.erofs", "erofs-utils"), verity = host_tool("veritysetup", "cryptsetup-bin");
    Scratch scratch(out);
    std::string root = scratch.path + "/rootfs", img = scratch.path + "/image";
    fs::create_directory(root);
    // GNU tar: never absolute names or "..", no owners or permissions taken over (normalize_rootfs sets modes,
    // mkfs.erofs --all-root the owners), no extended attributes or ACLs.
    run_tool({"tar", "-x", "-f", tarball, "-C", root, "--no-same-owner", "--no-same-permissions", "--no-xattrs",
              "--no-acls", "--no-selinux"});
    normalize_rootfs(root);
    run_tool({mkfs, "--quiet", "-T" + std::to_string(epoch), std::string("-U") + kToolchainImageUuid, "--all-root",
              "-x", "-1", img, root});
    std::uint64_t data_bytes = fs::file_size(img);
    if (data_bytes % kVerityBlockSize) throw Error("toolchain pack: mkfs.erofs wrote a size that is not a multiple of 4096");
    std::uint64_t d = data_bytes / kVerityBlockSize;
    std::string printed;
    run_tool({verity, "format", "--hash=sha256", "--format=1", "--data-block-size=4096", "--hash-block-size=4096",
              "--salt=" + hex(verity_salt()), std::string("--uuid=") + kToolchainImageUuid,
              "--data-blocks=" + std::to_string(d), "--hash-offset=" + std::to_string(data_bytes), img, img},
             &printed);
    ToolchainImageInfo info = read_toolchain_image(img);
    if (hex(info.ref.root_hash) != printed_root_hash(printed))
        throw Error("toolchain pack: the root hash read back from the image differs from the one veritysetup printed");
    if (info.file_bytes != info.image_bytes)
        throw Error("toolchain pack: the image is " + std::to_string(info.file_bytes) + " bytes, expected " +
                    std::to_string(info.image_bytes));
    fs::rename(img, out);
    return info;
}

}  // namespace kettle::runner

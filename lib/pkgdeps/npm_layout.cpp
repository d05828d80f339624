// The npm check in the guest (kettle/pkgdeps/package.hpp verify_and_lay_out): package-lock.json from the checkout,
// every tarball found by its pinned digest, extracted to its install path under node_modules/, with the
// node_modules/.bin links npm would make.
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/text.hpp"
#include "kettle/disk/format.hpp"
#include "kettle/pkgdeps/npm.hpp"
#include "safe_fs.hpp"
#include "store.hpp"

namespace kettle::pkgdeps {

namespace {

std::string who(const LockedPackage& p) { return p.install_path + " (" + p.name + "@" + p.version + ")"; }

bool safe_command(std::string_view c) {
    if (c.empty() || c.size() > 214 || c == "." || c == "..") return false;
    for (unsigned char ch : c)
        if (ch <= 0x20 || ch >= 0x7f || ch == '/' || ch == '\\') return false;
    return true;
}

/// node_modules/.bin/<command> -> ../<name>/<path> beside the package (the parent node_modules directory), and the
/// target made executable, as npm's bin-links does. A command name already taken keeps its first package (install
/// paths are visited in sorted order, so the outcome is deterministic); a missing target makes no link.
void link_bins(int root_fd, const LockedPackage& p, const std::vector<std::pair<std::string, std::string>>& bins) {
    const std::string nm = p.install_path.substr(0, p.install_path.size() - npm_name_from_path(p.install_path).size());
    const std::string dir_name = p.install_path.substr(nm.size());
    for (const auto& [cmd, raw] : bins) {
        std::string cmd_base = cmd.substr(cmd.find('/') == std::string::npos ? 0 : cmd.find('/') + 1);
        std::string path;
        try {
            path = normalize_member_path(raw, 1024);
        } catch (const Error&) {
            throw Error("deps: npm: " + who(p) + ": bin " + quote_text(cmd) + " points outside the package");
        }
        if (!safe_command(cmd_base)) throw Error("deps: npm: " + who(p) + ": bin name " + quote_text(cmd) + " is unsafe");
        auto slash = path.rfind('/');
        detail::Fd pkg(detail::open_dir(root_fd, p.install_path, false, "deps: npm: " + who(p)));
        int tdir = slash == std::string::npos ? ::fcntl(pkg.fd, F_DUPFD_CLOEXEC, 0) : -1;
        if (slash != std::string::npos) {
            try {
                tdir = detail::open_dir(pkg.fd, path.substr(0, slash), false, "bin");
            } catch (const Error&) {
                continue;  // the target's directory is not in the package
            }
        }
        detail::Fd td(tdir);
        detail::Fd target(::openat(td.fd, path.substr(slash + 1).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
        struct stat st {};
        if (target.fd < 0 || ::fstat(target.fd, &st) != 0 || !S_ISREG(st.st_mode)) continue;
        ::fchmod(target.fd, 0755);
        detail::Fd bin(detail::open_dir(root_fd, nm + ".bin", true, "deps: npm: " + who(p)));
        std::string link = "../" + dir_name + "/" + path;
        if (::symlinkat(link.c_str(), bin.fd, cmd_base.c_str()) != 0 && errno != EEXIST)
            throw Error("deps: npm: " + who(p) + ": bin link " + cmd_base + ": " + std::strerror(errno));
    }
}

/// Every locked package has its file; same name@version twice must mean the same bytes.
std::vector<const detail::StoredFile*> match_all(const std::vector<LockedPackage>& pkgs, detail::Store& store,
                                                 std::vector<ResolvedPackage>& out) {
    std::vector<const detail::StoredFile*> files;
    std::map<std::string, std::string> digest_of;  // purl -> alg:hex
    for (const auto& p : pkgs) {
        detail::StoredFile* f = store.find(p.alg, p.digest);
        if (!f)
            throw Error("deps: npm: missing package " + who(p) + ": no package file has the locked " + p.alg +
                        " digest " + hex(p.digest));
        f->used = true;
        files.push_back(f);
        ResolvedPackage r{npm_purl(p.name, p.version), p.alg, hex(p.digest)};
        auto [it, fresh] = digest_of.emplace(r.purl, r.alg + ":" + r.hex);
        if (!fresh && it->second != r.alg + ":" + r.hex)
            throw Error("deps: npm: package-lock.json pins " + p.name + "@" + p.version +
                        " twice with different digests (at " + p.install_path + ")");
        if (fresh) out.push_back(std::move(r));
    }
    return files;
}

}  // namespace

VerifiedSet verify_npm(const std::string& src_dir, const std::string& pkg_dir, const DepsLimits& limits) {
    VerifiedSet v;
    v.ecosystem = "npm";
    v.lockfile = kNpmLockfile;
    std::vector<LockedPackage> pkgs;
    try {
        std::string text = detail::read_lockfile(src_dir, kNpmLockfile, limits);
        v.lockfile_sha256 = sha256(text);
        pkgs = parse_npm_lock(text, limits);
    } catch (const Error& e) {
        throw Error(std::string("deps: npm: ") + e.what());
    }
    std::set<std::string> algs;
    for (const auto& p : pkgs) algs.insert(p.alg);
    detail::Store store = detail::hash_store(pkg_dir, algs, "npm", limits);
    std::vector<const detail::StoredFile*> files = match_all(pkgs, store, v.packages);
    store.require_all_used("npm", kNpmLockfile);
    struct stat st {};
    if (::lstat((src_dir + "/node_modules").c_str(), &st) == 0)
        throw Error("deps: npm: the commit already holds node_modules/; the packages are laid out from the lockfile only");
    detail::Fd root(::open(src_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (root.fd < 0) throw Error("deps: npm: cannot open " + src_dir + ": " + std::strerror(errno));
    std::uint64_t entries = 0, bytes = 0;
    for (std::size_t i = 0; i < pkgs.size(); ++i) {
        detail::Fd tar(::open((pkg_dir + "/" + files[i]->name).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        if (tar.fd < 0) throw Error("deps: npm: cannot open " + files[i]->name + ": " + std::strerror(errno));
        try {
            auto bins = extract_npm_tarball(tar.fd, root.fd, pkgs[i].install_path, pkgs[i], limits, entries, bytes);
            link_bins(root.fd, pkgs[i], bins);
        } catch (const Error& e) {
            std::string m = e.what();
            throw Error(m.rfind("deps: ", 0) == 0 ? m : "deps: " + m);
        }
    }
    std::sort(v.packages.begin(), v.packages.end());
    v.files = store.files.size();
    v.bytes = store.bytes;
    return v;
}

}  // namespace kettle::pkgdeps

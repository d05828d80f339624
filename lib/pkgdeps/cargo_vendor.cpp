// The cargo check in the guest (kettle/pkgdeps/package.hpp verify_and_lay_out): Cargo.lock from the checkout,
// every .crate found by its pinned SHA-256, unpacked into a vendor directory (a cargo directory source with its
// .cargo-checksum.json files) and a .cargo/config.toml that replaces crates.io with it.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/text.hpp"
#include "kettle/pkgdeps/cargo.hpp"
#include "safe_fs.hpp"
#include "store.hpp"

namespace kettle::pkgdeps {

namespace {

void write_text(int root_fd, const std::string& rel, const std::string& text, const std::string& what) {
    detail::Fd f(detail::create_file(root_fd, rel, false, what));
    std::size_t off = 0;
    while (off < text.size()) {
        ssize_t w = ::write(f.fd, text.data() + off, text.size() - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) throw Error(what + ": write " + rel + ": " + std::strerror(errno));
        off += static_cast<std::size_t>(w);
    }
}

/// The commit must not bring its own cargo configuration or vendor directory: the layout comes from Cargo.lock only.
void refuse_existing(int root_fd) {
    for (const char* rel : {".cargo/config.toml", ".cargo/config", kCargoVendorDir}) {
        struct stat st {};
        if (::fstatat(root_fd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0)
            throw Error(std::string("deps: cargo: the commit already holds ") + rel + "; Kettle writes the vendor "
                        "directory and the source replacement there from Cargo.lock only");
    }
}

/// Every locked crate has its file (Cargo.lock lists each name@version once: parse_cargo_lock refuses twice).
std::vector<const detail::StoredFile*> match_all(const std::vector<LockedPackage>& pkgs, detail::Store& store,
                                                 std::vector<ResolvedPackage>& out) {
    std::vector<const detail::StoredFile*> files;
    for (const auto& p : pkgs) {
        detail::StoredFile* f = store.find(p.alg, p.digest);
        if (!f)
            throw Error("deps: cargo: missing crate " + p.name + "@" + p.version +
                        ": no package file has the sha256 checksum Cargo.lock pins, " + hex(p.digest));
        f->used = true;
        files.push_back(f);
        out.push_back({cargo_purl(p.name, p.version), p.alg, hex(p.digest)});
    }
    return files;
}

}  // namespace

VerifiedSet verify_cargo(const std::string& src_dir, const std::string& pkg_dir, const DepsLimits& limits) {
    VerifiedSet v;
    v.ecosystem = "cargo";
    v.lockfile = kCargoLockfile;
    std::vector<LockedPackage> pkgs;
    try {
        std::string text = detail::read_lockfile(src_dir, kCargoLockfile, limits);
        v.lockfile_sha256 = sha256(text);
        pkgs = parse_cargo_lock(text, limits);
    } catch (const Error& e) {
        throw Error(std::string("deps: cargo: ") + e.what());
    }
    detail::Store store = detail::hash_store(pkg_dir, {"sha256"}, "cargo", limits);
    std::vector<const detail::StoredFile*> files = match_all(pkgs, store, v.packages);
    store.require_all_used("cargo", kCargoLockfile);
    v.files = store.files.size();
    v.bytes = store.bytes;
    if (pkgs.empty()) return v;  // a workspace without registry crates: nothing to lay out, no config written
    detail::Fd root(::open(src_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (root.fd < 0) throw Error("deps: cargo: cannot open " + src_dir + ": " + std::strerror(errno));
    refuse_existing(root.fd);
    const std::string what = "deps: cargo";
    detail::Fd vendor(detail::open_dir(root.fd, kCargoVendorDir, true, what));
    std::uint64_t entries = 0, bytes = 0;
    for (std::size_t i = 0; i < pkgs.size(); ++i) {
        const LockedPackage& p = pkgs[i];
        detail::Fd crate(::open((pkg_dir + "/" + files[i]->name).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        if (crate.fd < 0) throw Error(what + ": cannot open " + files[i]->name + ": " + std::strerror(errno));
        const std::string dir = p.name + "-" + p.version;
        try {
            auto sums = extract_crate(crate.fd, vendor.fd, dir, p, limits, entries, bytes);
            write_text(vendor.fd, dir + "/.cargo-checksum.json", cargo_checksum_json(sums, hex(p.digest)), what);
        } catch (const Error& e) {
            std::string m = e.what();
            throw Error(m.rfind("deps: ", 0) == 0 ? m : "deps: " + m);
        }
    }
    write_text(root.fd, kCargoConfig, cargo_source_config(kCargoVendorDir), what);
    std::sort(v.packages.begin(), v.packages.end());
    return v;
}

}  // namespace kettle::pkgdeps

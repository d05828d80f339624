// Fuzz target: the guest's whole npm dependency check as the deps phase runs it (pkgdeps::verify_and_lay_out,
// lib/pkgdeps: the lockfile read from the checkout, the package store hashed and indexed by digest, the tarball
// extracted into node_modules/, the node_modules/.bin links; docs/dependencies.md). The input is the one package
// file the host sent; the harness writes the checkout's package-lock.json pinning it (mkdirp@1.0.4 at
// node_modules/mkdirp, integrity sha512 of the input), since the fuzzer cannot forge a digest. Scratch under
// /dev/shm, emptied after every input.
// Invariants: only node_modules/ is added to the checkout; the only links are node_modules/.bin/<command>, each
// pointing at a regular file inside node_modules/mkdirp; an accepted set records the one package with the input's
// sha512 and size.
#include <sys/stat.h>

#include <filesystem>

#include "fuzz.hpp"
#include "kettle/core/base64.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/pkgdeps/npm.hpp"

using namespace kettle;
namespace fs = std::filesystem;

namespace {
void check_layout(const std::string& src) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(src, ec)) {
        const auto n = e.path().filename();
        KETTLE_FUZZ_CHECK(n == "package-lock.json" || n == "node_modules", "added to the checkout: " + n.string());
    }
    const fs::path nm = fs::weakly_canonical(src + "/node_modules/mkdirp", ec);
    for (auto it = fs::recursive_directory_iterator(src, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
        auto st = it->symlink_status(ec);
        if (!fs::is_symlink(st)) {
            KETTLE_FUZZ_CHECK(fs::is_regular_file(st) || fs::is_directory(st), "not a file or directory: " + it->path().string());
            continue;
        }
        KETTLE_FUZZ_CHECK(it->path().parent_path() == fs::path(src) / "node_modules" / ".bin",
                          "a link outside node_modules/.bin: " + it->path().string());
        const fs::path target = fs::weakly_canonical(it->path(), ec);
        const std::string t = target.string(), base = nm.string() + "/";
        KETTLE_FUZZ_CHECK(t.compare(0, base.size(), base) == 0, "a bin link leaves the package: " + t);
        KETTLE_FUZZ_CHECK(fs::is_regular_file(fs::symlink_status(target, ec)), "a bin link to a non-file: " + t);
    }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string root = fuzz::scratch_dir("deps-npm");
    const std::string src = root + "/src", pkg = root + "/pkg";
    ::mkdir(src.c_str(), 0700);
    ::mkdir(pkg.c_str(), 0700);
    const ByteView input(data, size);
    const Bytes digest = sha512(input);
    write_file(pkg + "/p.tgz", std::string_view(reinterpret_cast<const char*>(data), size));
    write_file(src + "/package-lock.json",
               R"({"name":"f","version":"1.0.0","lockfileVersion":3,"requires":true,"packages":{"":{"name":"f"},)"
               R"("node_modules/mkdirp":{"version":"1.0.4","resolved":"https://registry.npmjs.org/mkdirp/-/mkdirp-1.0.4.tgz",)"
               R"("integrity":"sha512-)" + base64_encode(digest) + R"("}}})");
    pkgdeps::DepsLimits lim;
    lim.max_entries = 4096;
    lim.max_package_bytes = 8u << 20;
    lim.max_extracted_bytes = 32u << 20;
    lim.max_manifest_bytes = 64u << 10;
    pkgdeps::VerifiedSet v;
    bool ok = fuzz::accepts([&] { v = pkgdeps::verify_and_lay_out("npm", src, pkg, lim); });
    check_layout(src);
    if (ok) {
        KETTLE_FUZZ_CHECK(v.packages.size() == 1 && v.files == 1 && v.bytes == size, std::to_string(v.packages.size()));
        KETTLE_FUZZ_CHECK(v.packages[0].purl == "pkg:npm/mkdirp@1.0.4" && v.packages[0].alg == "sha512" &&
                              v.packages[0].hex == hex(digest),
                          v.packages[0].purl);
    }
    fuzz::empty_dir(root);
    return 0;
}

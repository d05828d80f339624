// `kettle toolchain debian`: a reproducible Debian rootfs tarball for builds, made with Debian's
// mmdebstrap under a fixed SOURCE_DATE_EPOCH (mmdebstrap then clamps mtimes and writes a
// deterministic tar; zstd compression is single-threaded and deterministic).
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "commands.hpp"
#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "progress.hpp"

namespace fs = std::filesystem;

namespace kettle::cli {

static const char* kToolchainHelp =
    "usage: kettle toolchain debian --suite SUITE --packages LIST -o ROOTFS.tar[.zst]\n"
    "                               [--variant V] [--mirror URL] [--epoch SECS] [--arch ARCH]\n"
    "\n"
    "Make a reproducible Debian rootfs with mmdebstrap and print its SHA-256.\n"
    "\n"
    "  --suite SUITE       Debian suite, e.g. bookworm\n"
    "  --packages LIST     comma-separated packages to include (e.g. busybox-static,make,gcc)\n"
    "  -o, --output FILE   output tarball; .tar.zst is zstd-compressed, .tar is plain\n"
    "  --variant V         mmdebstrap variant (default essential; custom installs only LIST)\n"
    "  --mirror URL        archive (default http://deb.debian.org/debian)\n"
    "  --epoch SECS        SOURCE_DATE_EPOCH (default: $SOURCE_DATE_EPOCH, else 1704067200 = 2024-01-01)\n"
    "  --arch ARCH         architecture (default amd64)\n"
    "  -h, --help          this text\n"
    "\n"
    "Two runs against the same package versions give the same SHA-256. Device nodes are left out\n(--skip=output/dev): the guest refuses them and the build sandbox brings its own /dev.\n"
    "Prints: sha256:<hex>  <FILE>\n"
    "\n"
    "exit codes: 0 ok, 2 usage error, 3 mmdebstrap failed (archive unreachable, unknown package)\n";

int cmd_toolchain(const Args& args) {
    if (args.empty() || args[0] == "-h" || args[0] == "--help") {
        std::fputs(kToolchainHelp, args.empty() ? stderr : stdout);
        return args.empty() ? kUsage : kOk;
    }
    if (args[0] != "debian") {
        std::fprintf(stderr, "kettle toolchain: unknown kind '%s' (only 'debian')\n", args[0].c_str());
        return kUsage;
    }
    std::string suite, packages, out, variant = "essential", mirror = "http://deb.debian.org/debian", arch = "amd64";
    std::string epoch;
    if (const char* e = std::getenv("SOURCE_DATE_EPOCH"); e && *e) epoch = e;
    else epoch = "1704067200";
    for (std::size_t i = 1; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "-h" || a == "--help") { std::fputs(kToolchainHelp, stdout); return kOk; }
        auto val = [&]() -> std::string {
            if (i + 1 >= args.size()) throw Error(a + " needs a value");
            return args[++i];
        };
        if (a == "--suite") suite = val();
        else if (a == "--packages") packages = val();
        else if (a == "-o" || a == "--output") out = val();
        else if (a == "--variant") variant = val();
        else if (a == "--mirror") mirror = val();
        else if (a == "--epoch") epoch = val();
        else if (a == "--arch") arch = val();
        else {
            std::fprintf(stderr, "kettle toolchain: unknown option '%s'\n", a.c_str());
            return kUsage;
        }
    }
    auto bad = [](const std::string& m) {
        std::fprintf(stderr, "kettle toolchain: %s\n", m.c_str());
        return kUsage;
    };
    if (suite.empty() || out.empty()) return bad("--suite and -o are required");
    for (char c : suite) if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return bad("bad --suite");
    for (char c : packages)
        if (!std::isalnum(static_cast<unsigned char>(c)) && !std::strchr(",.+-:=~", c)) return bad("bad --packages");
    for (char c : epoch) if (c < '0' || c > '9') return bad("--epoch must be seconds since 1970");
    if (epoch.empty() || epoch.size() > 11) return bad("--epoch must be seconds since 1970");
    auto ends = [&](const char* s) { std::string x(s); return out.size() >= x.size() && out.compare(out.size() - x.size(), x.size(), x) == 0; };
    if (!ends(".tar") && !ends(".tar.zst")) return bad("-o must end in .tar or .tar.zst");

    // mmdebstrap picks the format from the file name; write to a temporary name and rename when done.
    std::string tmp = out + ".tmp-" + std::to_string(::getpid()) + (ends(".tar.zst") ? ".tar.zst" : ".tar");
    std::vector<std::string> argv{"env", "SOURCE_DATE_EPOCH=" + epoch, "mmdebstrap", "--quiet", "--variant=" + variant,
                                  "--architectures=" + arch, "--format=tar",
                                  // No device nodes: the guest refuses them on the input disk, and the build
                                  // sandbox mounts its own minimal /dev.
                                  "--skip=output/dev"};
    if (!packages.empty()) argv.push_back("--include=" + packages);
    argv.insert(argv.end(), {suite, tmp, mirror});
    std::fprintf(stderr, "kettle toolchain: mmdebstrap %s (%s) with SOURCE_DATE_EPOCH=%s\n", suite.c_str(),
                 packages.empty() ? "no extra packages" : packages.c_str(), epoch.c_str());
    auto [st, o] = runner::run_capture(argv);
    if (st != 0) {
        std::error_code ec;
        fs::remove(tmp, ec);
        std::fprintf(stderr, "kettle toolchain: mmdebstrap failed (status %d)\n", st);
        return kInfra;
    }
    fs::rename(tmp, out);
    std::printf("sha256:%s  %s\n", hex(sha256_file(out)).c_str(), out.c_str());
    return kOk;
}

}  // namespace kettle::cli

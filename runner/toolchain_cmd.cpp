// `kettle toolchain debian|pack|info`: reproducible toolchains. `debian` makes a Debian rootfs with Debian's
// mmdebstrap under a fixed SOURCE_DATE_EPOCH (mmdebstrap then clamps mtimes and writes a deterministic tar; zstd
// compression is single-threaded and deterministic) and, unless the output is a tarball, packs it into a toolchain
// image (toolchain_image.hpp); `pack` makes an image from an existing rootfs tarball; `info` prints an image's
// identity.
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "commands.hpp"
#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/json.hpp"
#include "kettle/core/x509.hpp"
#include "progress.hpp"
#include "run_options.hpp"
#include "toolchain_image.hpp"
#include "toolchain_recipe.hpp"

namespace fs = std::filesystem;

namespace kettle::cli {

static const char* kToolchainHelp =
    "usage: kettle toolchain debian --suite SUITE --packages LIST -o OUT\n"
    "                               [--variant V] [--mirror URL] [--epoch SECS] [--arch ARCH]\n"
    "       kettle toolchain pack ROOTFS.tar[.zst|.gz] -o IMAGE [--epoch SECS]\n"
    "       kettle toolchain info IMAGE\n"
    "\n"
    "debian: make a reproducible Debian rootfs with mmdebstrap. OUT ending in .tar or .tar.zst is that\n"
    "rootfs tarball (prints sha256:<hex>  OUT); any other name (e.g. tc.img) is a toolchain image, the\n"
    "default: the rootfs packed as by `pack` (prints root_hash=<hex> data_blocks=<D>  OUT).\n"
    "pack: make a toolchain image from a rootfs tarball (and ROOTFS.recipe.json, if there, becomes\n"
    "IMAGE.recipe.json): a read-only EROFS filesystem (mkfs.erofs, Debian's\n"
    "erofs-utils) followed by its dm-verity hash tree (veritysetup, Debian's cryptsetup-bin): SHA-256,\n"
    "4096-byte blocks, a fixed salt and UUID, every timestamp SECS. File modes are normalized as the guest\n"
    "does for tarballs (0755/0644, all owned by root), and empty /src /dev /proc /tmp /inputs are added.\n"
    "info: print an image's identity as JSON (root hash, data blocks, sizes).\n"
    "\n"
    "  --suite SUITE       Debian suite, e.g. bookworm\n"
    "  --packages LIST     comma-separated packages to include (e.g. busybox-static,make,gcc)\n"
    "  -o, --output FILE   the output (see above); written under a temporary name, then renamed\n"
    "  --variant V         mmdebstrap variant (default essential; custom installs only LIST)\n"
    "  --mirror URL        archive (default http://deb.debian.org/debian)\n"
    "  --epoch SECS        SOURCE_DATE_EPOCH (default: $SOURCE_DATE_EPOCH, else 1704067200 = 2024-01-01)\n"
    "  --arch ARCH         architecture (default amd64)\n"
    "  -h, --help          this text\n"
    "\n"
    "debian also writes OUT.recipe.json, the recipe (kettle-toolchain-recipe/v2: suite, variant, mirror,\n"
    "packages asked for, SOURCE_DATE_EPOCH, when the archive was read, the mmdebstrap version, the SHA-256 of\n"
    "OUT, the InRelease files apt verified (SHA-256, Date; their signatures checked again with gpgv against\n"
    "/usr/share/keyrings/debian-archive-keyring.gpg) and every installed package with its version,\n"
    "architecture, pool Filename and the .deb's SHA256 as the verified Packages index lists it). An installed\n"
    "package that is in no verified index is an error (exit 3). Keep the recipe beside OUT: `kettle run\n"
    "--toolchain OUT` puts it on the input disk, the guest checks its package list against the toolchain's\n"
    "dpkg database and the statement lists every package as pkg:deb (docs/dependencies.md §5); a recipe\n"
    "whose SHA-256 is not OUT's is refused there.\n"
    "\n"
    "Two runs against the same package versions give the same SHA-256 (tarball) or the same root hash\n"
    "(image, with the same erofs-utils and cryptsetup versions). Device nodes are left out\n"
    "(--skip=output/dev): the guest refuses them and the build sandbox brings its own /dev.\n"
    "Use an image for anything but tiny toolchains: the guest reads only the blocks the build uses, checked\n"
    "by dm-verity, while a tarball is hashed and unpacked into guest memory before the build (docs/formats.md).\n"
    "\n"
    "exit codes: 0 ok, 2 usage error or bad input, 3 mmdebstrap failed (archive unreachable, unknown package)\n"
    "or the package manifest cannot be made (bad signature or index, a package in no index)\n";

namespace {

int usage(const std::string& m) {
    std::fprintf(stderr, "kettle toolchain: %s\n(see `kettle toolchain --help`)\n", m.c_str());
    return kUsage;
}

bool ends_with(const std::string& s, const char* suf) {
    std::size_t n = std::strlen(suf);
    return s.size() >= n && s.compare(s.size() - n, n, suf) == 0;
}

std::string default_epoch() {
    const char* e = std::getenv("SOURCE_DATE_EPOCH");
    return e && *e ? e : "1704067200";
}

bool valid_epoch(const std::string& e) {
    return !e.empty() && e.size() <= 11 && e.find_first_not_of("0123456789") == std::string::npos;
}

void print_image(const ToolchainImageInfo& i, const std::string& out) {
    std::printf("root_hash=%s data_blocks=%llu  %s\n", hex(i.ref.root_hash).c_str(),
                static_cast<unsigned long long>(i.ref.data_blocks), out.c_str());
}

void write_recipe(Json recipe, const std::string& out);

/// `pack`: a recipe beside the rootfs tarball `in` (that describes it) describes the image `out` too: copy it,
/// noting the tarball it was packed from.
void carry_recipe(const std::string& in, const std::string& out) {
    if (runner::checked_recipe_for(in).empty()) return;
    Json r = parse_strict(to_string(read_file(runner::recipe_path(in), runner::kMaxRecipeBytes)));
    r["packed_from"] = {{"sha256", r["toolchain_sha256"]}, {"tool", "kettle toolchain pack"}};
    write_recipe(r, out);
}

int pack_cmd(const Args& args) {
    std::string in, out, epoch = default_epoch();
    for (std::size_t i = 1; i < args.size(); ++i) {
        const std::string& a = args[i];
        if ((a == "-o" || a == "--output" || a == "--epoch") && i + 1 >= args.size()) return usage(a + " needs a value");
        if (a == "-o" || a == "--output") out = args[++i];
        else if (a == "--epoch") epoch = args[++i];
        else if (!a.empty() && a[0] == '-') return usage("unknown option '" + a + "'");
        else if (in.empty()) in = a;
        else return usage("one rootfs tarball only");
    }
    if (in.empty() || out.empty()) return usage("pack needs ROOTFS.tar[.zst|.gz] and -o IMAGE");
    if (!runner::is_tarball_name(in)) return usage("pack: " + in + " must end in .tar, .tar.zst or .tar.gz");
    if (runner::is_tarball_name(out)) return usage("pack: -o names the image; it must not end in .tar, .tar.zst or .tar.gz");
    if (!valid_epoch(epoch)) return usage("--epoch must be seconds since 1970");
    try {
        std::fprintf(stderr, "kettle toolchain: packing %s (%s)\n", in.c_str(), runner::pack_tool_versions().c_str());
        ToolchainImageInfo info = runner::pack_toolchain_image(in, out, std::stoull(epoch));
        carry_recipe(in, out);
        print_image(info, out);
    } catch (const Error& e) {
        std::fprintf(stderr, "kettle toolchain: %s\n", e.what());
        return kUsage;
    }
    return kOk;
}

int info_cmd(const Args& args) {
    if (args.size() != 2) return usage("info needs exactly one IMAGE");
    try {
        ToolchainImageInfo i = read_toolchain_image(args[1]);
        Json j{{"format", kToolchainImageFormat}, {"root_hash", hex(i.ref.root_hash)},
               {"data_blocks", i.ref.data_blocks}, {"hash_start_block", verity_hash_start_block(i.ref.data_blocks)},
               {"salt", hex(verity_salt())}, {"image_bytes", i.image_bytes}, {"file_bytes", i.file_bytes}};
        std::printf("%s\n", j.dump(2).c_str());
    } catch (const Error& e) {
        std::fprintf(stderr, "kettle toolchain: %s\n", e.what());
        return kUsage;
    }
    return kOk;
}

struct DebianOptions {
    std::string suite, packages, out, variant = "essential", mirror = "http://deb.debian.org/debian", arch = "amd64";
    std::string epoch = default_epoch();
};

/// Parse `debian` options; returns an error message, or "" when they are valid.
std::string parse_debian(const Args& args, DebianOptions& o) {
    for (std::size_t i = 1; i < args.size(); ++i) {
        const std::string& a = args[i];
        std::string* dst = a == "--suite" ? &o.suite : a == "--packages" ? &o.packages
                         : (a == "-o" || a == "--output") ? &o.out : a == "--variant" ? &o.variant
                         : a == "--mirror" ? &o.mirror : a == "--epoch" ? &o.epoch : a == "--arch" ? &o.arch : nullptr;
        if (!dst) return "unknown option '" + a + "'";
        if (i + 1 >= args.size()) return a + " needs a value";
        *dst = args[++i];
    }
    if (o.suite.empty() || o.out.empty()) return "--suite and -o are required";
    for (char c : o.suite) if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return "bad --suite";
    for (char c : o.packages)
        if (!std::isalnum(static_cast<unsigned char>(c)) && !std::strchr(",.+-:=~", c)) return "bad --packages";
    if (!valid_epoch(o.epoch)) return "--epoch must be seconds since 1970";
    if (ends_with(o.out, ".tar.gz")) return "-o: .tar.gz is not made here; use .tar, .tar.zst or an image name";
    return "";
}

/// The recipe of the rootfs tarball `rootfs` that mmdebstrap just made from `o` (toolchain_recipe.hpp), without
/// toolchain_sha256 (known once the output is written). `read_at`: when mmdebstrap started reading the mirror;
/// `lists`: the apt lists directory copied out of the run (its InRelease and Packages files).
Json debian_recipe(const DebianOptions& o, const std::string& rootfs, const std::string& read_at,
                   const std::string& lists) {
    auto [vs, ver] = runner::run_capture({"mmdebstrap", "--version"});
    while (!ver.empty() && (ver.back() == '\n' || ver.back() == '\r')) ver.pop_back();
    auto [ts, status] = runner::run_capture({"tar", "-xOf", rootfs, "./var/lib/dpkg/status"}, 64u << 20);
    if (ts != 0) throw Error("cannot read var/lib/dpkg/status from the rootfs " + rootfs);
    Json include = Json::array();
    for (std::size_t p = 0; p < o.packages.size();) {
        std::size_t c = o.packages.find(',', p);
        std::string name = o.packages.substr(p, c == std::string::npos ? std::string::npos : c - p);
        if (!name.empty()) include.push_back(name);
        if (c == std::string::npos) break;
        p = c + 1;
    }
    Json m = runner::debian_manifest(status, lists, runner::kDebianArchiveKeyring);
    return Json{{"schema", "kettle-toolchain-recipe/v2"}, {"tool", "kettle toolchain debian"}, {"suite", o.suite},
                {"variant", o.variant}, {"architecture", o.arch}, {"mirror", o.mirror}, {"include", include},
                {"source_date_epoch", std::stoull(o.epoch)}, {"archive_read_at", read_at},
                {"mmdebstrap", vs == 0 ? ver : "unknown"}, {"apt_index", m["apt_index"]}, {"packages", m["packages"]}};
}

/// Complete `recipe` with the SHA-256 of the finished toolchain `out` and write it beside it (recipe_path).
void write_recipe(Json recipe, const std::string& out) {
    recipe["toolchain_sha256"] = hex(sha256_file(out));
    const std::string p = runner::recipe_path(out);
    write_file(p + ".tmp", recipe.dump(2) + "\n");
    fs::rename(p + ".tmp", p);
    std::fprintf(stderr, "kettle toolchain: recipe (%zu packages) in %s\n", recipe["packages"].size(), p.c_str());
}

int debian_cmd(const Args& args) {
    DebianOptions o;
    if (std::string err = parse_debian(args, o); !err.empty()) return usage(err);
    bool image = !ends_with(o.out, ".tar") && !ends_with(o.out, ".tar.zst");
    // mmdebstrap picks the format from the file name; write to a temporary name and rename when done. An image
    // is packed from an uncompressed temporary tarball, removed afterwards.
    std::string tmp = o.out + ".tmp-" + std::to_string(::getpid()) + (ends_with(o.out, ".tar.zst") ? ".tar.zst" : ".tar");
    // Where the apt lists are copied out to: a fresh directory without blanks (mmdebstrap splits the hook on them).
    std::string lists_tmpl = (fs::temp_directory_path() / "kettle-apt-lists-XXXXXX").string();
    if (lists_tmpl.find_first_of(" \t\n\"'\\") != std::string::npos || !::mkdtemp(lists_tmpl.data()))
        return usage("cannot make a temporary directory for the apt lists without blanks (check TMPDIR)");
    const std::string lists_out = lists_tmpl;
    const std::string lists = lists_out + "/lists";  // copy-out of the directory lists into DIR makes DIR/lists
    std::vector<std::string> argv{"env", "SOURCE_DATE_EPOCH=" + o.epoch, "mmdebstrap", "--quiet", "--variant=" + o.variant,
                                  "--architectures=" + o.arch, "--format=tar",
                                  // No device nodes: the guest refuses them on the input disk, and the build
                                  // sandbox mounts its own minimal /dev.
                                  "--skip=output/dev",
                                  // The apt lists (InRelease, Packages) the run verified, copied out before
                                  // mmdebstrap's cleanup for the recipe's manifest. An extract hook runs for every
                                  // variant (customize hooks do not run for `extract`); it reads only, so the
                                  // rootfs is byte for byte the same as without it.
                                  "--extract-hook=copy-out /var/lib/apt/lists " + lists_out};
    if (!o.packages.empty()) argv.push_back("--include=" + o.packages);
    argv.insert(argv.end(), {o.suite, tmp, o.mirror});
    std::fprintf(stderr, "kettle toolchain: mmdebstrap %s (%s) with SOURCE_DATE_EPOCH=%s\n", o.suite.c_str(),
                 o.packages.empty() ? "no extra packages" : o.packages.c_str(), o.epoch.c_str());
    const std::string read_at = x509::format_rfc3339(x509::now_seconds());
    auto [st, ignored] = runner::run_capture(argv);
    std::error_code ec;
    struct RemoveLists {
        std::string dir;
        ~RemoveLists() { std::error_code e; fs::remove_all(dir, e); }
    } cleanup{lists_out};
    if (st != 0) {
        fs::remove(tmp, ec);
        std::fprintf(stderr, "kettle toolchain: mmdebstrap failed (status %d)\n", st);
        return kInfra;
    }
    Json recipe;
    try {
        recipe = debian_recipe(o, tmp, read_at, lists);
    } catch (const Error& e) {
        fs::remove(tmp, ec);
        std::fprintf(stderr, "kettle toolchain: %s\n", e.what());
        return kInfra;
    }
    if (!image) {
        fs::rename(tmp, o.out);
        write_recipe(recipe, o.out);
        std::printf("sha256:%s  %s\n", hex(sha256_file(o.out)).c_str(), o.out.c_str());
        return kOk;
    }
    try {
        std::fprintf(stderr, "kettle toolchain: packing the rootfs into %s (%s)\n", o.out.c_str(),
                     runner::pack_tool_versions().c_str());
        ToolchainImageInfo info = runner::pack_toolchain_image(tmp, o.out, std::stoull(o.epoch));
        fs::remove(tmp, ec);
        write_recipe(recipe, o.out);
        print_image(info, o.out);
    } catch (const Error& e) {
        fs::remove(tmp, ec);
        std::fprintf(stderr, "kettle toolchain: %s\n", e.what());
        return kInfra;
    }
    return kOk;
}

}  // namespace

int cmd_toolchain(const Args& args) {
    if (args.empty() || args[0] == "-h" || args[0] == "--help") {
        std::fputs(kToolchainHelp, args.empty() ? stderr : stdout);
        return args.empty() ? kUsage : kOk;
    }
    for (const auto& a : args)
        if (a == "-h" || a == "--help") {
            std::fputs(kToolchainHelp, stdout);
            return kOk;
        }
    if (args[0] == "debian") return debian_cmd(args);
    if (args[0] == "pack") return pack_cmd(args);
    if (args[0] == "info") return info_cmd(args);
    std::fprintf(stderr, "kettle toolchain: unknown kind '%s' (debian, pack or info)\n", args[0].c_str());
    return kUsage;
}

}  // namespace kettle::cli

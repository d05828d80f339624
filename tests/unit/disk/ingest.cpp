// Input disk: the host writer and the guest's streaming reader, with hostile archives made at run time.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <fcntl.h>
#include <functional>
#include <sys/stat.h>
#include <unistd.h>

#include "guest_test_util.hpp"
#include "kettle/disk/format.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"

using namespace kettle;
using kettle::test::TarBuilder;
using kettle::test::TempDir;
using Catch::Matchers::ContainsSubstring;

namespace {

const std::string kReq = R"({"version":1,"argv":["/bin/sh","-c","true"],"source_ref":"main"})";

void request(TarBuilder& t) { t.file("request.json", kReq); }
void source(TarBuilder& t) {
    t.dir("source/");
    t.file("source/HEAD", "ref: refs/heads/main\n");
    t.dir("source/objects/");
}
std::string small_toolchain() { return TarBuilder().dir("bin/").file("bin/sh", "#!", 0755).finish(); }
void toolchain(TarBuilder& t) { t.file("toolchain.tar", small_toolchain()); }
std::string inner(const std::function<void(TarBuilder&)>& f, const char* filter = nullptr) {
    TarBuilder t(filter);
    f(t);
    return t.finish();
}

struct Case {
    const char* name;
    std::function<std::string()> disk;
    const char* expect;
    IngestLimits limits = {};
};

std::string outer(const std::function<void(TarBuilder&)>& f) {
    TarBuilder t;
    f(t);
    return t.finish();
}

void run_ingest(const std::string& disk, const IngestLimits& lim) {
    TempDir d;
    write_file(d / "disk.img", disk);
    ::mkdir((d / "out").c_str(), 0755);
    ingest_input_path(d / "disk.img", d / "out", lim);
}

}  // namespace

TEST_CASE("ingest rejects hostile input disks, each with its own error", "[ingest]") {
    IngestLimits tiny_member;
    tiny_member.max_member_bytes = 1000;
    IngestLimits tiny_total;
    tiny_total.max_total_bytes = 1 << 20;
    IngestLimits few_entries;
    few_entries.max_entries = 5;
    IngestLimits short_paths;
    short_paths.max_path = 40;

    std::vector<Case> cases = {
        {"absolute path on the input disk",
         [] { return outer([](TarBuilder& t) { request(t); source(t); t.file("/etc/passwd", "x"); toolchain(t); }); },
         "absolute path"},
        {"dot-dot in an extra file",
         [] { return outer([](TarBuilder& t) { request(t); source(t); toolchain(t); t.file("files/../../etc/x", "x"); }); },
         "\"..\" in path"},
        {"dot-dot inside the toolchain",
         [] { return outer([](TarBuilder& t) { request(t); source(t); t.file("toolchain.tar", inner([](TarBuilder& i) { i.file("../escape", "x"); })); }); },
         "\"..\" in path"},
        {"absolute path inside the toolchain",
         [] { return outer([](TarBuilder& t) { request(t); source(t); t.file("toolchain.tar", inner([](TarBuilder& i) { i.file("/etc/shadow", "x"); })); }); },
         "absolute path"},
        {"relative symlink escaping the toolchain root",
         [] { return outer([](TarBuilder& t) { request(t); source(t); t.file("toolchain.tar", inner([](TarBuilder& i) { i.dir("lib/"); i.symlink("lib/evil", "../../etc"); })); }); },
         "escapes the root"},
        {"write through a symlink to a directory",
         [] { return outer([](TarBuilder& t) { request(t); source(t); t.file("toolchain.tar", inner([](TarBuilder& i) { i.dir("d/"); i.symlink("l", "d"); i.file("l/x", "x"); })); }); },
         "goes through the symbolic link l"},
        {"write through an absolute symlink",
         [] { return outer([](TarBuilder& t) { request(t); source(t); t.file("toolchain.tar", inner([](TarBuilder& i) { i.symlink("etc", "/etc"); i.file("etc/passwd", "root::0:0::/:/bin/sh"); })); }); },
         "goes through the symbolic link etc"},
        {"hard link to a name outside the archive",
         [] { return outer([](TarBuilder& t) { request(t); source(t); t.file("toolchain.tar", inner([](TarBuilder& i) { i.hardlink("shadow", "etc/shadow"); })); }); },
         "outside the archive"},
        {"hard link to an absolute name",
         [] { return outer([](TarBuilder& t) { request(t); source(t); t.file("toolchain.tar", inner([](TarBuilder& i) { i.hardlink("shadow", "/etc/shadow"); })); }); },
         "hard link target: absolute path"},
        {"hard link on the input disk itself",
         [] { return outer([](TarBuilder& t) { request(t); source(t); toolchain(t); t.hardlink("files/x", "request.json"); }); },
         "hard links are not allowed on the input disk"},
        {"character device in the toolchain",
         [] { return outer([](TarBuilder& t) { request(t); source(t); t.file("toolchain.tar", inner([](TarBuilder& i) { i.node("dev/mem", AE_IFCHR); })); }); },
         "character device is not allowed"},
        {"block device in the extra files",
         [] { return outer([](TarBuilder& t) { request(t); source(t); toolchain(t); t.node("files/vda", AE_IFBLK); }); },
         "block device is not allowed"},
        {"FIFO in the toolchain",
         [] { return outer([](TarBuilder& t) { request(t); source(t); t.file("toolchain.tar", inner([](TarBuilder& i) { i.node("fifo", AE_IFIFO); })); }); },
         "FIFO is not allowed"},
        {"symlink on the input disk",
         [] { return outer([](TarBuilder& t) { request(t); source(t); toolchain(t); t.symlink("files/l", "/dev/vda"); }); },
         "symbolic link is not allowed on the input disk"},
        {"duplicate extra file",
         [] { return outer([](TarBuilder& t) { request(t); source(t); toolchain(t); t.file("files/a", "1"); t.file("files/./a", "2"); }); },
         "duplicate name"},
        {"duplicate name inside the toolchain",
         [] { return outer([](TarBuilder& t) { request(t); source(t); t.file("toolchain.tar", inner([](TarBuilder& i) { i.file("bin", "1"); i.file("bin", "2"); })); }); },
         "duplicate name"},
        {"two toolchains",
         [] { return outer([](TarBuilder& t) { request(t); source(t); toolchain(t); t.file("toolchain.tar.gz", "x"); }); },
         "duplicate toolchain"},
        {"a second request.json",
         [] { return outer([](TarBuilder& t) { request(t); request(t); source(t); toolchain(t); }); },
         "request.json: duplicate name"},
        {"request.json not first",
         [] { return outer([](TarBuilder& t) { source(t); request(t); toolchain(t); }); },
         "first member must be request.json"},
        {"member size past the device end",
         [] {
             std::string d = outer([](TarBuilder& t) { request(t); source(t); t.file("files/big", std::string(100000, 'a')); toolchain(t); });
             // keep request.json (512 + 512) and the source/ entries, cut inside files/big
             auto pos = d.find("files/big");
             d.resize((pos / 512 + 1) * 512 + 4096);
             return d;
         },
         "runs past the end of the device"},
        {"toolchain member size past the toolchain end",
         [] {
             std::string tc = inner([](TarBuilder& i) { i.file("big", std::string(10000, 'a')); });
             tc.resize(2048);
             return outer([&](TarBuilder& t) { request(t); source(t); t.file("toolchain.tar", tc); });
         },
         "runs past the end of the toolchain.tar"},
        {"member over the member limit",
         [] { return outer([](TarBuilder& t) { request(t); source(t); toolchain(t); t.file("files/big", std::string(2000, 'b')); }); },
         "over the member limit", tiny_member},
        {"zstd bomb over the total limit",
         [] { return outer([](TarBuilder& t) { request(t); source(t); t.file("toolchain.tar.zst", inner([](TarBuilder& i) { i.file("z1", std::string(900 << 10, '\0')); i.file("z2", std::string(900 << 10, '\0')); }, "zstd")); }); },
         "total extracted size is over the limit", tiny_total},
        {"too many entries",
         [] { return outer([](TarBuilder& t) { request(t); source(t); toolchain(t); for (int k = 0; k < 10; ++k) t.file("files/f" + std::to_string(k), "x"); }); },
         "more than 5 entries", few_entries},
        {"path over the length limit",
         [] { return outer([](TarBuilder& t) { request(t); source(t); toolchain(t); t.file("files/" + std::string(60, 'p'), "x"); }); },
         "path longer than 40 bytes", short_paths},
        {"unexpected top-level member",
         [] { return outer([](TarBuilder& t) { request(t); source(t); toolchain(t); t.file("init", "x"); }); },
         "unexpected member"},
        {"missing toolchain",
         [] { return outer([](TarBuilder& t) { request(t); source(t); }); },
         "toolchain.tar[.zst|.gz] is missing"},
        {"git alternates in the source",
         [] { return outer([](TarBuilder& t) { request(t); source(t); t.file("source/objects/info/alternates", "/\n"); toolchain(t); }); },
         "git alternates, commondir and gitdir files are not allowed"},
        {"request with a duplicate key",
         [] { return outer([](TarBuilder& t) { t.file("request.json", R"({"version":1,"version":1,"argv":["x"],"source_ref":"a"})"); source(t); toolchain(t); }); },
         "json:"},
        {"request with an unknown key",
         [] { return outer([](TarBuilder& t) { t.file("request.json", R"({"version":1,"argv":["x"],"source_ref":"a","privileged":true})"); source(t); toolchain(t); }); },
         "privileged: unknown key"},
        {"request with an escaping workdir",
         [] { return outer([](TarBuilder& t) { t.file("request.json", R"({"version":1,"argv":["x"],"source_ref":"a","workdir":"../.."})"); source(t); toolchain(t); }); },
         "request: workdir"},
        {"file then a child of that file",
         [] { return outer([](TarBuilder& t) { request(t); source(t); toolchain(t); t.file("files/a", "1"); t.file("files/a/b", "2"); }); },
         "parent a is not a directory"},
        {"gzip data in an uncompressed toolchain member",
         [] { return outer([](TarBuilder& t) { request(t); source(t); t.file("toolchain.tar", inner([](TarBuilder& i) { i.file("x", "y"); }, "gzip")); }); },
         "input: toolchain.tar:"},
        {"garbage instead of a tar",
         [] { return std::string(8192, 'G'); },
         "input: archive:"},
        {"an all-zero disk",
         [] { return std::string(8192, '\0'); },
         "holds no members"},
        {"control byte in a name",
         [] { return outer([](TarBuilder& t) { request(t); source(t); toolchain(t); t.file("files/a\nb", "x"); }); },
         "control byte"},
    };
    REQUIRE(cases.size() >= 20);
    for (const auto& c : cases) {
        INFO("case: " << c.name);
        std::string disk = c.disk();
        REQUIRE_THROWS_WITH(run_ingest(disk, c.limits), ContainsSubstring(c.expect));
    }
}

TEST_CASE("ingest accepts a minimal disk made by the test builder", "[ingest]") {
    std::string disk = outer([](TarBuilder& t) {
        request(t);
        source(t);
        t.file("toolchain.tar", inner([](TarBuilder& i) {
            i.dir("./");
            i.dir("./bin/");
            i.file("./bin/busybox", "ELF", 0755);
            i.symlink("./bin/sh", "busybox");
            i.symlink("./bin/abs", "/bin/busybox");
            i.hardlink("./bin/ash", "bin/busybox");
        }));
        t.file("files/notes.txt", "hello\n");
    });
    TempDir d;
    write_file(d / "disk.img", disk);
    ::mkdir((d / "out").c_str(), 0755);
    std::vector<std::uint64_t> progress;
    IngestResult r = ingest_input_path(d / "disk.img", d / "out", {}, [&](std::uint64_t a, std::uint64_t) { progress.push_back(a); });
    CHECK(r.request.argv == std::vector<std::string>{"/bin/sh", "-c", "true"});
    CHECK(r.request.source_ref == "main");
    CHECK(hex(r.device_sha256) == test::sha256sum(d / "disk.img"));
    CHECK(r.device_size == disk.size());
    REQUIRE_FALSE(progress.empty());
    CHECK(progress.back() == disk.size());
    CHECK(r.source_files == 1);
    CHECK(to_string(read_file(d / "out/source.git/HEAD")) == "ref: refs/heads/main\n");
    CHECK(to_string(read_file(d / "out/files/notes.txt")) == "hello\n");
    REQUIRE(r.files.size() == 1);
    CHECK(hex(r.files[0].sha256) == test::sha256sum(d / "out/files/notes.txt"));
    struct stat st {};
    REQUIRE(::stat((d / "out/rootfs/bin/busybox").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0755);
    CHECK(st.st_nlink == 2);  // the hard link
    char buf[64] = {};
    REQUIRE(::readlink((d / "out/rootfs/bin/sh").c_str(), buf, sizeof buf - 1) > 0);
    CHECK(std::string(buf) == "busybox");
}

TEST_CASE("input disk writer round trip with a real git repository", "[ingest]") {
    if (!test::have_tool("git")) SKIP("git not installed");
    TempDir d;
    std::string repo = d / "repo";
    std::string cmd = "set -e; git init -q -b main '" + repo + "' && cd '" + repo +
                      "' && echo 'int main(){}' > main.c && git add main.c && "
                      "git -c user.name=t -c user.email=t@example.org commit -q -m one && git gc -q";
    REQUIRE(std::system(cmd.c_str()) == 0);
    write_file(d / "tc.tar", TarBuilder().dir("bin/").file("bin/sh", "#!x", 0755).finish());
    write_file(d / "extra.bin", std::string(3000, 'e'));

    InputDiskSpec spec;
    spec.request.argv = {"/bin/sh", "-c", "cc main.c"};
    spec.request.env = {{"PATH", "/bin"}};
    spec.request.artifacts = {"a.out"};
    spec.request.nonce = "n-123";
    spec.request.source_ref = "main";
    spec.source_dir = repo + "/.git";
    spec.toolchain_path = d / "tc.tar";
    spec.files = {{"extra.bin", d / "extra.bin"}};
    InputDiskInfo info = write_input_disk(spec, d / "in.img");
    CHECK(hex(info.sha256) == test::sha256sum(d / "in.img"));
    CHECK(info.size % 512 == 0);

    // An outside reader (GNU tar) sees request.json first.
    std::string list = d / "list.txt";
    REQUIRE(std::system(("tar -tf '" + d / "in.img" + "' > '" + list + "'").c_str()) == 0);
    std::string names = to_string(read_file(list));
    CHECK(names.rfind("request.json\n", 0) == 0);

    ::mkdir((d / "out").c_str(), 0755);
    IngestResult r = ingest_input_path(d / "in.img", d / "out");
    CHECK(hex(r.device_sha256) == test::sha256sum(d / "in.img"));
    CHECK(hex(r.toolchain.sha256) == test::sha256sum(d / "tc.tar"));
    CHECK(r.toolchain.name == "toolchain.tar");
    REQUIRE(r.files.size() == 1);
    CHECK(r.files[0].name == "files/extra.bin");
    CHECK(hex(r.files[0].sha256) == test::sha256sum(d / "extra.bin"));
    CHECK(hex(r.request_member.sha256) == hex(info.members[0].sha256));
    CHECK(r.request.nonce == "n-123");
    CHECK(r.request.env.at("PATH") == "/bin");
    // git itself can read the repository we extracted.
    std::string out = d / "git.txt";
    REQUIRE(std::system(("git --git-dir='" + d / "out/source.git" + "' cat-file -t main > '" + out + "'").c_str()) == 0);
    CHECK(to_string(read_file(out)) == "commit\n");
}

TEST_CASE("input disk writer refuses bad toolchain names and symlinks in the source", "[ingest]") {
    TempDir d;
    ::mkdir((d / "repo").c_str(), 0755);
    ::mkdir((d / "repo/objects").c_str(), 0755);
    write_file(d / "tc.zip", "x");
    InputDiskSpec spec;
    spec.request.argv = {"true"};
    spec.request.source_ref = "main";
    spec.source_dir = d / "repo";
    spec.toolchain_path = d / "tc.zip";
    CHECK_THROWS_WITH(write_input_disk(spec, d / "in.img"), ContainsSubstring("must end in .tar"));
    write_file(d / "tc.tar", small_toolchain());
    spec.toolchain_path = d / "tc.tar";
    REQUIRE(::symlink("/etc/passwd", (d / "repo/HEAD").c_str()) == 0);
    CHECK_THROWS_WITH(write_input_disk(spec, d / "in.img"), ContainsSubstring("only directories and regular files"));
}

namespace {
const std::string kRoot = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
std::string image_request(const std::string& image_json) {
    return R"({"version":1,"argv":["/bin/sh","-c","true"],"source_ref":"main","toolchain_image":)" + image_json + "}";
}
}  // namespace

TEST_CASE("a request naming a toolchain image: no toolchain member, nothing extracted", "[ingest][verity]") {
    std::string req = image_request(R"({"root_hash":")" + kRoot + R"(","data_blocks":1234})");
    std::string disk = outer([&](TarBuilder& t) {
        t.file("request.json", req);
        source(t);
        t.file("files/notes.txt", "hello\n");
    });
    TempDir d;
    write_file(d / "disk.img", disk);
    ::mkdir((d / "out").c_str(), 0755);
    IngestResult r = ingest_input_path(d / "disk.img", d / "out");
    REQUIRE(r.request.toolchain_image);
    CHECK(hex(r.request.toolchain_image->root_hash) == kRoot);
    CHECK(r.request.toolchain_image->data_blocks == 1234);
    CHECK(r.toolchain.name.empty());
    CHECK(hex(r.device_sha256) == test::sha256sum(d / "disk.img"));
    struct stat st {};
    CHECK(::stat((d / "out/rootfs").c_str(), &st) != 0);  // nothing of a toolchain in guest memory
    // The request round-trips with the key; without an image the key is not written at all.
    CHECK(request_to_json(r.request)["toolchain_image"] == Json::parse(R"({"root_hash":")" + kRoot + R"(","data_blocks":1234})"));
    BuildRequest plain = parse_request(kReq);
    CHECK_FALSE(request_to_json(plain).contains("toolchain_image"));
}

TEST_CASE("a request naming a toolchain image refuses a toolchain member and bad identities", "[ingest][verity]") {
    std::string good = image_request(R"({"root_hash":")" + kRoot + R"(","data_blocks":1234})");
    std::string both = outer([&](TarBuilder& t) { t.file("request.json", good); source(t); toolchain(t); });
    CHECK_THROWS_WITH(run_ingest(both, {}), ContainsSubstring("names a toolchain image; a toolchain member is not allowed"));
    std::string neither = outer([&](TarBuilder& t) { request(t); source(t); });
    CHECK_THROWS_WITH(run_ingest(neither, {}), ContainsSubstring("toolchain.tar[.zst|.gz] is missing"));
    struct Bad {
        std::string json, expect;
    };
    for (const Bad& b : std::vector<Bad>{
             {R"({"root_hash":")" + kRoot.substr(2) + R"(","data_blocks":1234})", "64 lower-case hex"},
             {R"({"root_hash":")" + std::string(64, 'A') + R"(","data_blocks":1234})", "64 lower-case hex"},
             {R"({"root_hash":")" + kRoot + R"(0","data_blocks":1234})", "longer than 64"},
             {R"({"root_hash":")" + kRoot + R"(","data_blocks":0})", "out of range 1..268435456"},
             {R"({"root_hash":")" + kRoot + R"(","data_blocks":268435457})", "out of range"},
             {R"({"root_hash":")" + kRoot + R"(","data_blocks":-5})", "not a non-negative integer"},
             {R"({"root_hash":")" + kRoot + R"("})", "data_blocks: missing"},
             {R"({"data_blocks":1234})", "root_hash: missing"},
             {R"({"root_hash":")" + kRoot + R"(","data_blocks":1234,"salt":"00"})", "salt: unknown key"},
             {R"("abc")", "toolchain_image: not an object"},
         }) {
        INFO(b.json);
        CHECK_THROWS_WITH(parse_request(image_request(b.json)), ContainsSubstring(b.expect));
    }
}

TEST_CASE("input disk writer with a toolchain image writes no toolchain member", "[ingest][verity]") {
    TempDir d;
    ::mkdir((d / "repo").c_str(), 0755);
    ::mkdir((d / "repo/objects").c_str(), 0755);
    write_file(d / "repo/HEAD", "ref: refs/heads/main\n");
    InputDiskSpec spec;
    spec.request.argv = {"true"};
    spec.request.source_ref = "main";
    spec.request.toolchain_image = ToolchainImageRef{unhex(kRoot), 99};
    spec.source_dir = d / "repo";
    InputDiskInfo info = write_input_disk(spec, d / "in.img");
    for (const auto& m : info.members) CHECK(m.name.rfind("toolchain", 0) != 0);
    std::string names = test::run_host("tar -tf '" + d / "in.img" + "'");
    CHECK(names.find("toolchain") == std::string::npos);
    ::mkdir((d / "out").c_str(), 0755);
    IngestResult r = ingest_input_path(d / "in.img", d / "out");
    REQUIRE(r.request.toolchain_image);
    CHECK(r.request.toolchain_image->data_blocks == 99);
    write_file(d / "tc.tar", small_toolchain());
    spec.toolchain_path = d / "tc.tar";
    CHECK_THROWS_WITH(write_input_disk(spec, d / "in2.img"), ContainsSubstring("no toolchain tarball may be given too"));
}

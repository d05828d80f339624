// `kettle run` command line: --help documents every flag and exit code; usage and input errors exit 2;
// a QEMU too old for the profile exits 3 with a message that says so. Runs the real binary.
#include <catch2/catch_test_macros.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "kettle/core/bytes.hpp"
#include "progress.hpp"
#include "run_options.hpp"

using namespace kettle;
using namespace kettle::runner;
namespace fs = std::filesystem;

namespace {
std::string kettle_bin() { return std::string(KETTLE_BIN_DIR) + "/kettle"; }

struct Res {
    int status;
    std::string out, err;
};
Res run(std::vector<std::string> args) {
    std::string errf = fs::temp_directory_path().string() + "/kettle-cli-err-" + std::to_string(::getpid());
    std::vector<std::string> argv{"sh", "-c", "exec \"$0\" \"$@\" 2>" + errf, kettle_bin(), "run"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto [st, out] = run_capture(argv);
    std::string err;
    if (fs::exists(errf)) { err = to_string(read_file(errf)); fs::remove(errf); }
    return {st, out, err};
}

struct Fixture {
    std::string dir;
    Fixture() {
        dir = fs::temp_directory_path().string() + "/kettle-cli-" + std::to_string(::getpid());
        fs::remove_all(dir);
        fs::create_directories(dir + "/src");
        fs::create_directories(dir + "/image");
        for (auto f : {"kettle.efi", "ovmf.fd", "ovmf-amdsev.fd"}) write_file(dir + "/image/" + f, std::string_view("x"));
        write_file(dir + "/tc.tar", std::string(10240, '\0'));
        write_file(dir + "/src/a.c", std::string_view("int main(){return 0;}\n"));
        std::string g = "cd '" + dir + "/src' && git init -q && git -c user.email=t@t -c user.name=t add a.c && "
                        "git -c user.email=t@t -c user.name=t commit -q -m init";
        REQUIRE(std::system(g.c_str()) == 0);
    }
    ~Fixture() { fs::remove_all(dir); }
    std::vector<std::string> args(std::vector<std::string> extra) {
        std::vector<std::string> a{"--source", dir + "/src", "--toolchain", dir + "/tc.tar", "--image", dir + "/image",
                                   "--out", dir + "/out"};
        a.insert(a.end(), extra.begin(), extra.end());
        a.insert(a.end(), {"--", "make"});
        return a;
    }
};
}  // namespace

TEST_CASE("kettle run --help documents every flag and the exit codes", "[run-cli]") {
    auto r = run({"--help"});
    CHECK(r.status == 0);
    for (auto f : {"--source", "--rev", "--toolchain", "--file", "--artifacts", "--env", "--timeout", "--nonce",
                   "--profile", "--vcpus", "--memory", "--image", "--out", "--request", "--json", "--allow-dirty",
                   "--output-size", "--vm-timeout", "--qemu", "--qgs", "--keep-disks", "--workdir", "--boot",
                   "--tpm-socket", "tcg", "kvm", "snp", "tdx"})
        CHECK(r.out.find(f) != std::string::npos);
    for (auto c : {"  0  ", "  1  ", "  2  ", "  3  "}) CHECK(r.out.find(c) != std::string::npos);
    // Every flag the parser knows appears in the help text.
    std::string help = run_help_text();
    CHECK(help == r.out);
}

TEST_CASE("kettle run usage errors exit 2", "[run-cli]") {
    CHECK(run({}).status == 2);
    CHECK(run({"--bogus"}).status == 2);
    CHECK(run({"--source", "/nonexistent", "--toolchain", "/x.tar", "--out", "/tmp/o"}).status == 2);  // no command
    Fixture fx;
    CHECK(run(fx.args({"--profile", "sev"})).status == 2);
    CHECK(run(fx.args({"--memory", "12X"})).status == 2);
    CHECK(run(fx.args({"--vcpus", "0"})).status == 2);
    CHECK(run(fx.args({"--nonce", "xyz"})).status == 2);
    CHECK(run(fx.args({"--env", "=v"})).status == 2);
    CHECK(run(fx.args({"--boot", "floppy"})).status == 2);
    CHECK(run(fx.args({"--boot", "disk", "--profile", "snp"})).status == 2);
    CHECK(run(fx.args({"--tpm-socket", "/x", "--profile", "tdx"})).status == 2);
    auto nodisk = run(fx.args({"--boot", "disk"}));  // the fixture image has no kettle-disk.raw
    CHECK(nodisk.status == 2);
    CHECK(nodisk.err.find("kettle-disk.raw") != std::string::npos);
    auto nosock = run(fx.args({"--tpm-socket", fx.dir + "/src"}));
    CHECK(nosock.status == 2);
    auto r = run({"--source", fx.dir + "/nope", "--toolchain", fx.dir + "/tc.tar", "--image", fx.dir + "/image",
                  "--out", fx.dir + "/out", "--", "make"});
    CHECK(r.status == 2);
    CHECK(r.err.find("--source") != std::string::npos);
    r = run(fx.args({"--image", fx.dir + "/src"}));
    CHECK(r.status == 2);
    CHECK(r.err.find("kettle.efi") != std::string::npos);
    write_file(fx.dir + "/notempty", std::string_view("x"));
    r = run({"--source", fx.dir + "/src", "--toolchain", fx.dir + "/tc.tar", "--image", fx.dir + "/image", "--out",
             fx.dir + "/image", "--", "make"});
    CHECK(r.status == 2);
}

TEST_CASE("kettle run refuses a dirty tree unless --allow-dirty", "[run-cli]") {
    Fixture fx;
    write_file(fx.dir + "/src/a.c", std::string_view("changed\n"));
    auto r = run(fx.args({}));
    CHECK(r.status == 2);
    CHECK(r.err.find("uncommitted") != std::string::npos);
    CHECK(run(fx.args({"--rev", "no-such-branch"})).status == 2);
}

TEST_CASE("kettle run refuses a QEMU too old for snp/tdx with exit 3", "[run-cli]") {
    Fixture fx;
    // A fake QEMU that reports version 8.2.0.
    std::string q = fx.dir + "/qemu";
    write_file(q, std::string_view("#!/bin/sh\necho 'QEMU emulator version 8.2.0'\n"));
    fs::permissions(q, fs::perms::owner_all);
    for (auto p : {"snp", "tdx"}) {
        auto r = run(fx.args({"--profile", p, "--qemu", q}));
        CHECK(r.status == 3);
        CHECK(r.err.find("too old") != std::string::npos);
    }
    auto r = run(fx.args({"--qemu", fx.dir + "/no-such-qemu"}));
    CHECK(r.status == 3);
}

TEST_CASE("run: --request FILE supplies options and flags override it", "[run-cli]") {
    std::string f = fs::temp_directory_path().string() + "/kettle-req-" + std::to_string(::getpid()) + ".json";
    write_file(f, std::string_view(R"({"source":"/s","toolchain":"/t.tar","out":"/o","command":["make","all"],)"
                                   R"("env":{"A":"1"},"vcpus":4,"memory":"1G","profile":"kvm","timeout":30})"));
    RunOptions o = parse_run_args({"--request", f, "--vcpus", "3"});
    CHECK(o.source == "/s");
    CHECK(o.command == std::vector<std::string>{"make", "all"});
    CHECK(o.env.at("A") == "1");
    CHECK(o.vcpus == 3);
    CHECK(o.memory_mib == 1024);
    CHECK(o.profile == Profile::kvm);
    CHECK(o.timeout == 30);
    write_file(f, std::string_view(R"({"source":"/s","bogus":1})"));
    CHECK_THROWS(parse_run_args({"--request", f}));
    fs::remove(f);
}

TEST_CASE("sizes and status exit codes", "[run-cli]") {
    CHECK(parse_size("2G", "x") == (std::uint64_t{2} << 30));
    CHECK(parse_size("512M", "x") == (std::uint64_t{512} << 20));
    CHECK(parse_size("1024", "x") == (std::uint64_t{1024} << 20));
    CHECK_THROWS(parse_size("0", "x"));
    CHECK_THROWS(parse_size("1T", "x"));
    CHECK(build_exit_code(Json{{"ok", true}}) == 0);
    CHECK(build_exit_code(Json{{"ok", false}, {"exit_code", 0}}) == 1);
    CHECK(build_exit_code(Json{{"exit_code", 0}}) == 0);
    CHECK(build_exit_code(Json{{"exit_code", 2}}) == 1);
    CHECK(build_exit_code(Json::object()) == 1);
}

TEST_CASE("console phase markers", "[run-cli]") {
    auto e = parse_phase_marker("KETTLE-PHASE ingest 42%");
    REQUIRE(e);
    CHECK(e->phase == "ingest");
    CHECK(e->percent == 42);
    e = parse_phase_marker("[    1.234] init: KETTLE-PHASE build");
    REQUIRE(e);
    CHECK(e->phase == "build");
    CHECK(e->percent == -1);
    CHECK_FALSE(parse_phase_marker("KETTLE-PHASE ingest 142%"));
    CHECK_FALSE(parse_phase_marker("KETTLE-PHASE In\x1b[2Jgest"));
    CHECK_FALSE(parse_phase_marker("KETTLE-PHASE "));
    CHECK_FALSE(parse_phase_marker("hello"));
}

TEST_CASE("run_vm saves the console, follows phases and kills on timeout", "[run-cli]") {
    std::string dir = fs::temp_directory_path().string() + "/kettle-vm-" + std::to_string(::getpid());
    fs::create_directories(dir);
    std::FILE* sink = std::fopen("/dev/null", "w");
    {
        Progress p(sink, false);
        auto r = run_vm({"sh", "-c", "echo 'KETTLE-PHASE ingest 50%'; echo 'KETTLE-PHASE build'; echo oops >&2; exit 0"},
                        dir + "/c.log", 10, p);
        CHECK(r.started);
        CHECK(r.exit_code == 0);
        CHECK_FALSE(r.timed_out);
        CHECK(to_string(read_file(dir + "/c.log")) == "KETTLE-PHASE ingest 50%\nKETTLE-PHASE build\n");
        CHECK(r.qemu_stderr == "oops\n");
        REQUIRE(p.phases().size() == 3);
        CHECK(p.phases()[1].first == "ingest");
        CHECK(p.current_phase() == "build");
    }
    {
        Progress p(sink, false);
        auto r = run_vm({"sh", "-c", "echo start; exec sleep 30"}, dir + "/c2.log", 1, p);
        CHECK(r.timed_out);
        CHECK(r.signal != 0);
        CHECK(r.seconds < 10);
    }
    std::fclose(sink);
    fs::remove_all(dir);
}

TEST_CASE("kettle run: --toolchain is a tarball by name or else a toolchain image, never anything else", "[run-cli][verity]") {
    Fixture fx;
    write_file(fx.dir + "/tc.img", std::string(8192, 'x'));  // neither: no EROFS superblock
    auto r = run({"--source", fx.dir + "/src", "--toolchain", fx.dir + "/tc.img", "--image", fx.dir + "/image",
                  "--out", fx.dir + "/out", "--", "make"});
    CHECK(r.status == 2);
    CHECK(r.err.find("neither a rootfs tarball") != std::string::npos);
    CHECK(r.err.find("no EROFS superblock") != std::string::npos);
    // --input-disk carries its own request: --toolchain may only add an image, not a tarball.
    write_file(fx.dir + "/in.img", std::string(4096, '\0'));
    r = run({"--input-disk", fx.dir + "/in.img", "--toolchain", fx.dir + "/tc.tar", "--image", fx.dir + "/image",
             "--out", fx.dir + "/out"});
    CHECK(r.status == 2);
    CHECK(r.err.find("can only name a toolchain image") != std::string::npos);
    r = run({"--input-disk", fx.dir + "/in.img", "--toolchain", fx.dir + "/tc.img", "--image", fx.dir + "/image",
             "--out", fx.dir + "/out"});
    CHECK(r.status == 2);
    CHECK(r.err.find("neither a rootfs tarball") != std::string::npos);
    CHECK(is_tarball_name("a.tar"));
    CHECK(is_tarball_name("a.tar.zst"));
    CHECK(is_tarball_name("a.tar.gz"));
    CHECK_FALSE(is_tarball_name("a.img"));
    CHECK_FALSE(is_tarball_name("a.tar.xz"));
}

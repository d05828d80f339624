// `kettle measure` end to end through the built binary (KETTLE_BIN_DIR/kettle), against the same outside
// known answers as the library tests (sev-snp-measure rows, tests/data/measure-oracle.json, COS-113 quote).
#include <catch2/catch_test_macros.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "kettle/core/bytes.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/json.hpp"
#include "test_support.hpp"

using namespace kettle;
namespace fs = std::filesystem;

namespace {

struct Run {
    int code;
    std::string out;
};

std::string kettle_bin() {
    std::string b = std::string(KETTLE_BIN_DIR) + "/kettle";
    if (!fs::exists(b)) SKIP("kettle binary not built");
    return b;
}

std::string measure_fixtures() {
    return kettle::test::fixture("snp/measure");
}

std::string q(const std::string& s) {
    std::string r = "'";
    for (char c : s) r += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return r + "'";
}

Run run(const std::string& args) {
    const std::string cmd = q(kettle_bin()) + " measure " + args + " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p);
    std::string out;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    const int st = ::pclose(p);
    return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

fs::path temp_dir(const char* name) {
    fs::path d = fs::temp_directory_path() / (std::string("kettle-measure-") + name + "-" + std::to_string(::getpid()));
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

}  // namespace

TEST_CASE("kettle measure snp prints sev-snp-measure's digests", "[measure][cli]") {
    const std::string d = measure_fixtures();
    auto r = run("snp --firmware " + q(d + "/ovmf_AmdSev_suffix.bin") + " --vcpus 1 --vcpu-type EPYC-v4 --guest-features 0x1");
    CHECK(r.code == 0);
    CHECK(r.out == "19358ba9a7615534a9a1e2f0dfc29384dcd4dcb7062ff9c6013b26869a5fc6ecabe033c48dd6f6db5d6d76e7c5df632d\n");
    r = run("snp --firmware " + q(d + "/ovmf_AmdSev_suffix.bin") +
            " --kernel /dev/null --initrd /dev/null --cmdline 'console=ttyS0 loglevel=7' --vcpus=1 --vcpu-type=EPYC-v4"
            " --guest-features 21");
    CHECK(r.code == 0);
    CHECK(r.out == "803f691094946e42068aaa3a8f9e26a5c89f36f7b73ecfb28c653360fe4b3aba7e534442e7e1e17895dfe778d0228977\n");
    r = run("snp --firmware " + q(d + "/ovmf_AmdSev_suffix.bin") +
            " --uki /dev/null --cmdline '' --vcpus 1 --vcpu-type EPYC-v4 --guest-features 0x1 --vmm gce --json");
    CHECK(r.code == 0);
    const Json j = parse_strict(r.out);
    CHECK(j.at("launch_digest") ==
          "5da7106cf14cf46b1725ebab123eb9e53bd46a1e9f400cd0c08e7827b04b688ea8b4e403c8404efed4397ea5d5d0722e");
    CHECK(j.at("vmm") == "gce");
}

TEST_CASE("kettle measure snp refuses bad input with exit code 2", "[measure][cli]") {
    const std::string d = measure_fixtures();
    auto r = run("snp --firmware " + q(d + "/ovmf_OvmfX64_suffix.bin") + " --kernel /dev/null --vcpus 1 --vcpu-type EPYC-v4");
    CHECK(r.code == 2);
    CHECK(r.out.find("SNP_KERNEL_HASHES") != std::string::npos);
    CHECK(run("snp --firmware " + q(d + "/ovmf_AmdSev_suffix.bin") + " --vcpus 1 --vcpu-type Pentium").code == 2);
    CHECK(run("snp --firmware " + q(d + "/ovmf_AmdSev_suffix.bin") + " --vcpu-type EPYC-v4").code == 2);
    CHECK(run("snp --vcpus 1 --vcpu-type EPYC-v4").code == 2);
    CHECK(run("snp --bogus").code == 2);
    CHECK(run("nonsense").code == 2);
    for (const char* sub : {"", "snp ", "snp-firmware ", "tdx ", "tdx-replay "}) {
        auto h = run(std::string(sub) + "--help");
        CHECK(h.code == 0);
        CHECK(h.out.find("usage: kettle measure") != std::string::npos);
    }
}

TEST_CASE("snp-firmware description replaces the firmware file", "[measure][cli]") {
    const std::string d = measure_fixtures();
    const fs::path t = temp_dir("desc");
    auto r = run("snp-firmware --firmware " + q(d + "/ovmf_AmdSev_suffix.bin") + " --out " + q((t / "fw.json").string()));
    REQUIRE(r.code == 0);
    const Json j = parse_strict(to_string(read_file((t / "fw.json").string())));
    CHECK(j.at("firmware_digest") ==
          "086e2e9149ebf45abdc3445fba5b2da8270bdbb04094d7a2c37faaa4b24af3aa16aff8c374c2a55c467a50da6d466b74");
    CHECK(j.at("sev_hashes_table_gpa") == "0x810c00");
    CHECK(j.at("sev_es_reset_eip") == "0x80b004");
    CHECK(j.at("sections").size() == 7);
    r = run("snp --firmware-description " + q((t / "fw.json").string()) +
            " --kernel /dev/null --initrd /dev/null --cmdline '' --vcpus 4 --vcpu-type EPYC-v4 --guest-features 0x1");
    CHECK(r.code == 0);
    CHECK(r.out == "5061fffb019493a903613d56d54b94912a1a2f9e4502385f5c194616753720a92441310ba6c4933de877c36e23046ad5\n");
    fs::remove_all(t);
}

TEST_CASE("kettle measure snp --image reads the image manifest", "[measure][cli][oracle]") {
    // A stand-in image from the oracle's "testdata" set: the AmdSev fixture as ovmf-amdsev.fd and the synthetic
    // kernel as kettle.efi; the oracle ran with -kernel and no -append, exactly what --image models.
    const std::string d = measure_fixtures();
    const Json doc = parse_strict(to_string(read_file(std::string(KETTLE_SOURCE_DIR) + "/tests/data/measure-oracle.json")));
    const Json& set = doc.at("sets").at(0);
    REQUIRE(set.at("name") == "testdata");
    const fs::path t = temp_dir("image");
    const Bytes fw = read_file(d + "/ovmf_AmdSev_suffix.bin");
    Bytes k(set.at("kernel").at("size").get<std::size_t>());
    for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(i % 251);
    write_file((t / "ovmf-amdsev.fd").string(), fw);
    write_file((t / "kettle.efi").string(), k);
    Json m = {{"schema", "kettle-image-manifest/v1"}, {"kernel_version", "test"}, {"cmdline", "console=ttyS0"},
              {"files", {{"kettle.efi", {{"sha256", hex(sha256(k))}, {"size", k.size()}}},
                         {"ovmf-amdsev.fd", {{"sha256", hex(sha256(fw))}, {"size", fw.size()}}}}},
              {"components", Json::object()}};
    write_file((t / "manifest.json").string(), m.dump());
    int compared = 0;
    for (const auto& s : set.at("shapes")) {
        auto r = run("snp --image " + q(t.string()) + " --vcpus " + std::to_string(s.at("vcpus").get<int>()) +
                     " --vcpu-type " + s.at("vcpu_type").get<std::string>() + " --guest-features " +
                     s.at("guest_features").get<std::string>());
        INFO(s.dump());
        CHECK(r.code == 0);
        CHECK(r.out == s.at("digest").get<std::string>() + "\n");
        ++compared;
    }
    CHECK(compared >= 8);
    // A file that no longer matches the manifest is an error, not a different digest.
    k[0] ^= 1;
    write_file((t / "kettle.efi").string(), k);
    auto r = run("snp --image " + q(t.string()) + " --vcpus 2 --vcpu-type EPYC-Milan");
    CHECK(r.code == 2);
    CHECK(r.out.find("differs from the manifest") != std::string::npos);
    fs::remove_all(t);
}

TEST_CASE("kettle measure tdx-replay reproduces the COS-113 quote's RTMRs", "[measure][cli][tdx]") {
    const std::string d = kettle::test::fixture("tdx/go-tdx-guest/ccel");
    auto r = run("tdx-replay --ccel " + q(d + "/ccel_table.dat") + " --log " + q(d + "/ccel_data_trimmed.dat") + " --json");
    REQUIRE(r.code == 0);
    const Json j = parse_strict(r.out);
    const Bytes quote = read_file(d + "/cos-113-tdx-quote.dat");
    for (int i = 0; i < 4; ++i)
        CHECK(j.at("rtmr" + std::to_string(i)) == hex(slice(quote, 48 + 328 + 48 * std::size_t(i), 48)));
    CHECK(run("tdx-replay --ccel " + q(d + "/ccel_data_trimmed.dat") + " --log " + q(d + "/ccel_data_trimmed.dat")).code == 2);
}

TEST_CASE("kettle measure tdx prints RTMR1 of a UKI and needs TDVF firmware", "[measure][cli][tdx]") {
    const std::string d = measure_fixtures();
    const std::string pe = std::string(KETTLE_SOURCE_DIR) + "/tests/data/synthetic-pe-aligned.efi";
    // The 4 KiB AmdSev fixture is the tail of a larger file: its TDVF sections point outside it.
    auto r = run("tdx --firmware " + q(d + "/ovmf_AmdSev_suffix.bin") + " --uki " + q(pe));
    CHECK(r.code == 2);
    CHECK(r.out.find("TDVF") != std::string::npos);
    const char* env = std::getenv("KETTLE_DEBIAN_OVMF");
    const std::string ovmf = env ? env : "/usr/share/ovmf/OVMF.fd";
    if (!fs::exists(ovmf) || hex(sha256(read_file(ovmf))) != "7b456907dd0786d415999e801a1ac4637b8ed4d7cf5378cfc6edbe5e574dd773")
        SKIP("Debian 12 OVMF.fd not present");
    // RTMR1/RTMR2 need a UKI (a .linux section): the synthetic PE alone is refused, the PE with itself as .linux is one.
    CHECK(run("tdx --firmware " + q(ovmf) + " --uki " + q(pe)).code == 2);
    test::TempDir t;
    const std::string uki = t / "uki.efi";
    test::run_host("objcopy --add-section .linux=" + pe + " --change-section-vma .linux=0x140012000 " + pe + " " + uki);
    r = run("tdx --firmware " + q(ovmf) + " --uki " + q(uki) + " --memory 2G --vcpus 2 --mrtd-order two-pass --json");
    REQUIRE(r.code == 0);
    const Json j = parse_strict(r.out);
    CHECK(j.at("mrtd") == "acccbcc870a381adab0d3919d90a7f268ac3b0364771f202ed4bb4e892d045b33db3b32e6924cba830a724eed443f7e1");
    CHECK(j.at("rtmr0").is_null());
    CHECK(j.at("rtmr1").get<std::string>().size() == 96);
    CHECK(j.at("events").size() == 6);  // UKI, boot attempt, separator, .linux, 2 x ExitBootServices: no .cmdline/.initrd
}

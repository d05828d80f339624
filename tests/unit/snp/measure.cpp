// SEV-SNP / SEV-ES / SEV launch digests against the known answers of virtee/sev-snp-measure's test suite
// (tests/data/snp/README.md, "measure/" table, 17 rows) and the recorded oracle runs of
// tests/data/measure-oracle.json.
#include <catch2/catch_test_macros.hpp>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "kettle/boot/ovmf.hpp"
#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/snp/measure.hpp"
#include "test_support.hpp"

using namespace kettle;
using namespace kettle::boot;
using namespace kettle::snp;

namespace {

std::string measure_dir() {
    return test::fixture("snp/measure");
}

Bytes amdsev() { return read_file(measure_dir() + "/ovmf_AmdSev_suffix.bin"); }
Bytes ovmfx64() { return read_file(measure_dir() + "/ovmf_OvmfX64_suffix.bin"); }

const Bytes kEmpty;

std::string snp_digest(const Bytes& fw, unsigned vcpus, const char* cpu, std::uint64_t features,
                std::optional<std::string> append, bool kernel, VmmType vmm = VmmType::qemu) {
    LaunchParams p;
    p.vcpus = vcpus;
    p.vcpu_sig = vcpu_signature(cpu);
    p.guest_features = features;
    p.vmm = vmm;
    if (kernel) {
        std::optional<std::string_view> a;
        if (append) a = *append;
        p.hashes = kernel_hashes(kEmpty, ByteView(kEmpty), a);  // /dev/null kernel and initrd
    }
    return hex(snp_launch_digest(describe_firmware(fw), p));
}

}  // namespace

TEST_CASE("EFI GUIDs use the mixed-endian byte order", "[snp][measure]") {
    auto g = guid_le("96b582de-1fb2-45f7-baea-a366c55a082d");
    CHECK(hex(ByteView(g.data(), 16)) == "de82b596b21ff745baeaa366c55a082d");
    CHECK(guid_text(ByteView(g.data(), 16)) == "96b582de-1fb2-45f7-baea-a366c55a082d");
    CHECK_THROWS_AS(guid_le("96b582de-1fb2-45f7-baea-a366c55a082"), Error);
    CHECK_THROWS_AS(guid_le("96b582de-1fb2-45f7-baea-a366c55a082g"), Error);
}

TEST_CASE("vCPU signatures of QEMU EPYC models", "[snp][measure]") {
    CHECK(vcpu_signature("EPYC-v4") == 0x800f12);
    CHECK(vcpu_signature("EPYC") == 0x800f12);
    CHECK(vcpu_signature("EPYC-Rome") == 0x830f10);
    CHECK(vcpu_signature("EPYC-Milan") == 0xa00f11);
    CHECK(vcpu_signature("EPYC-Genoa") == 0xa10f10);
    CHECK(vcpu_signature("EPYC-Turin") == 0xb00f00);
    CHECK_THROWS_AS(vcpu_signature("Skylake-Server"), Error);
}

TEST_CASE("AmdSev OVMF footer table and SEV metadata", "[snp][measure]") {
    auto d = describe_firmware(amdsev());
    CHECK(d.gpa == 0xfffff000u);
    REQUIRE(d.sev_es_reset_eip);
    CHECK(*d.sev_es_reset_eip == 0x80b004);
    REQUIRE(d.sev_hashes_table_gpa);
    CHECK(*d.sev_hashes_table_gpa == 0x810c00);
    // Reference §2.2: edk2-stable202405 AmdSevX64, table order.
    REQUIRE(d.sections.size() == 7);
    CHECK(d.sections[0].gpa == 0x800000);
    CHECK(d.sections[0].size == 0x9000);
    CHECK(d.sections[5].type == SectionType::snp_kernel_hashes);
    CHECK(d.sections[5].gpa == 0x810000);
    CHECK(d.sections[6].gpa == 0x811000);
    CHECK(d.sections[6].size == 0xf000);
    CHECK(d.has_section(SectionType::snp_kernel_hashes));
    CHECK_FALSE(describe_firmware(ovmfx64()).has_section(SectionType::snp_kernel_hashes));
}

TEST_CASE("SNP known answers: sev-snp-measure test suite (rows 1-12)", "[snp][measure]") {
    const Bytes a = amdsev(), x = ovmfx64();
    // Row 1: --mode snp:ovmf-hash
    CHECK(hex(describe_firmware(a).firmware_digest) ==
          "086e2e9149ebf45abdc3445fba5b2da8270bdbb04094d7a2c37faaa4b24af3aa16aff8c374c2a55c467a50da6d466b74");
    // Rows 2-3: 1 vCPU EPYC-v4, kernel and initrd /dev/null, append "console=ttyS0 loglevel=7"
    CHECK(snp_digest(a, 1, "EPYC-v4", 0x21, "console=ttyS0 loglevel=7", true) ==
          "803f691094946e42068aaa3a8f9e26a5c89f36f7b73ecfb28c653360fe4b3aba7e534442e7e1e17895dfe778d0228977");
    CHECK(snp_digest(a, 1, "EPYC-v4", 0x1, "console=ttyS0 loglevel=7", true) ==
          "6d287813eb5222d770f75005c664e34c204f385ce832cc2ce7d0d6f354454362f390ef83a92046c042e706363b4b08fa");
    // Rows 4-5: no kernel
    CHECK(snp_digest(a, 1, "EPYC-v4", 0x21, std::nullopt, false) ==
          "e1e1ca029dd7973ab9513295be68198472dcd4fc834bd9af9b63f6e8a1674dbf281a9278a4a2ebe0eed9f22adbcd0e2b");
    CHECK(snp_digest(a, 1, "EPYC-v4", 0x1, std::nullopt, false) ==
          "19358ba9a7615534a9a1e2f0dfc29384dcd4dcb7062ff9c6013b26869a5fc6ecabe033c48dd6f6db5d6d76e7c5df632d");
    // Rows 6-7: 4 vCPUs, append ""
    CHECK(snp_digest(a, 4, "EPYC-v4", 0x21, "", true) ==
          "4953b1fb416fa874980e8442b3706d345926d5f38879134e00813c5d7abcbe78eafe7b422907be0b4698e2414a631942");
    CHECK(snp_digest(a, 4, "EPYC-v4", 0x1, "", true) ==
          "5061fffb019493a903613d56d54b94912a1a2f9e4502385f5c194616753720a92441310ba6c4933de877c36e23046ad5");
    // Rows 8-9: EC2 and GCE templates
    CHECK(snp_digest(a, 1, "EPYC-v4", 0x21, "", true, VmmType::ec2) ==
          "0ce9ccc06bab55eebe8abc234f3df6514883977a68a591b71052498ab52b2f1aa415db338033946ef93aa8278c0d67fb");
    CHECK(snp_digest(a, 1, "EPYC-v4", 0x1, "", true, VmmType::gce) ==
          "5da7106cf14cf46b1725ebab123eb9e53bd46a1e9f400cd0c08e7827b04b688ea8b4e403c8404efed4397ea5d5d0722e");
    // Rows 10-11: OvmfPkgX64 build
    CHECK(snp_digest(x, 1, "EPYC-v4", 0x21, std::nullopt, false) ==
          "28797ae0afaba4005a81e629acebfb59e6687949d6be44007cd5506823b0dd66f146aaae26ff291eed7b493d8a64c385");
    CHECK(snp_digest(x, 1, "EPYC-v4", 0x1, std::nullopt, false) ==
          "da0296de8193586a5512078dcd719eccecbd87e2b825ad4148c44f665dc87df21e5b49e21523a9ad993afdb6a30b4005");
    // Row 12: a kernel with a firmware lacking SNP_KERNEL_HASHES must fail with a clear message.
    try {
        snp_digest(x, 1, "EPYC-v4", 0x1, "", true);
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find("SNP_KERNEL_HASHES") != std::string::npos);
    }
}

TEST_CASE("SEV-ES and SEV known answers (rows 13-17)", "[snp][measure]") {
    const Bytes a = amdsev(), x = ovmfx64();
    const auto empty_append = kernel_hashes(kEmpty, ByteView(kEmpty), std::string_view(""));
    CHECK(hex(seves_launch_digest(a, empty_append, 1, vcpu_signature("EPYC-v4"))) ==
          "13810ae661ea11e2bb205621f582fee268f0367c8f97bc297b7fadef3e12002c");
    CHECK(hex(seves_launch_digest(a, empty_append, 4, vcpu_signature("EPYC-v4"))) ==
          "0dccbcaba8e90b261bd0d2e1863a2f9da714768b7b2a19363cd6ae35aa90de91");
    CHECK(hex(sev_launch_digest(a, kernel_hashes(kEmpty, ByteView(kEmpty), std::string_view("console=ttyS0 loglevel=7")))) ==
          "82a3ee5d537c3620628270c292ae30cb40c3c878666a7890ee7ef2a08fb535ff");
    CHECK(hex(sev_launch_digest(a, kernel_hashes(kEmpty, std::nullopt, std::nullopt))) ==
          "77f613d7bbcdf12a73782ea9e88b0172aeda50d1a54201cb903594ff52846898");
    CHECK(hex(sev_launch_digest(x, std::nullopt)) == "b4c021e085fb83ceffe6571a3d357b4a98773c83c474e47f76c876708fe316da");
    CHECK(hex(sev_launch_digest(x, std::nullopt)) == hex(sha256(x)));
}

TEST_CASE("SNP: recorded sev-snp-measure runs on the AmdSev fixture", "[snp][measure]") {
    const Bytes a = amdsev();
    CHECK(snp_digest(a, 4, "EPYC-Milan", 0x1, "", true) ==
          "54b9c3e1949186d207685fc0af35467260c5e191fef42fa0ba038372a7c8f6e32406ac227a875735e610663a724b1dc8");
    // K = "hello kernel", I = "hello initrd", append "console=ttyS0", 2 vCPUs Milan, through the
    // byte-level convenience entry point that the simulated AMD-SP uses.
    const std::string k = "hello kernel", i = "hello initrd";
    CHECK(hex(snp_launch_digest(a, as_bytes(k), as_bytes(i), std::string_view("console=ttyS0"), 2, "EPYC-Milan", 0x1)) ==
          "111b5dcbe94ee55af5b1065a362eebb4a79f7d3689d5cd7644cc1799040f4b8ed714014ad8816688e7f0763b8367cdfd");
}

TEST_CASE("firmware description round-trips and replaces the firmware file", "[snp][measure]") {
    const Bytes a = amdsev();
    const auto d = describe_firmware(a);
    const Json j = to_json(d);
    CHECK(j.at("firmware_digest") ==
          "086e2e9149ebf45abdc3445fba5b2da8270bdbb04094d7a2c37faaa4b24af3aa16aff8c374c2a55c467a50da6d466b74");
    CHECK(j.at("sev_hashes_table_gpa") == "0x810c00");
    CHECK(j.at("sev_es_reset_eip") == "0x80b004");
    const auto d2 = firmware_description_from_json(parse_strict(j.dump()));
    LaunchParams p;
    p.vcpus = 1;
    p.vcpu_sig = vcpu_signature("EPYC-v4");
    p.guest_features = 0x21;
    p.hashes = kernel_hashes(kEmpty, ByteView(kEmpty), std::string_view("console=ttyS0 loglevel=7"));
    CHECK(hex(snp_launch_digest(d2, p)) ==
          "803f691094946e42068aaa3a8f9e26a5c89f36f7b73ecfb28c653360fe4b3aba7e534442e7e1e17895dfe778d0228977");

    Json bad = j;
    bad["sections"][0]["type"] = "BOGUS";
    CHECK_THROWS_AS(firmware_description_from_json(bad), Error);
    bad = j;
    bad["firmware_digest"] = "00";
    CHECK_THROWS_AS(firmware_description_from_json(bad), Error);
    bad = j;
    bad["extra"] = 1;
    CHECK_THROWS_AS(firmware_description_from_json(bad), Error);
    bad = j;
    bad["gpa"] = "0x0";
    CHECK_THROWS_AS(firmware_description_from_json(bad), Error);
}

TEST_CASE("hostile firmware footers fail closed", "[snp][measure]") {
    Bytes a = amdsev();
    CHECK_THROWS_AS(describe_firmware(Bytes(100, 0)), Error);  // not a page multiple
    CHECK(describe_firmware(Bytes(4096, 0)).sections.empty());  // no footer: nothing to parse, no error
    const std::size_t footer_off = a.size() - 32 - 18;
    Bytes t = a;
    t[footer_off] = 0xff;  // footer size far beyond the file start
    t[footer_off + 1] = 0xff;
    CHECK_THROWS_AS(describe_firmware(t), Error);
    t = a;
    t[footer_off] = 5;  // footer size smaller than its header
    t[footer_off + 1] = 0;
    CHECK_THROWS_AS(describe_firmware(t), Error);
    // Every single-byte corruption of the last 1 KiB either parses or throws kettle::Error; nothing else.
    for (std::size_t off = a.size() - 1024; off < a.size(); ++off) {
        Bytes c = a;
        c[off] ^= 0xa5;
        try {
            (void)describe_firmware(c);
        } catch (const Error&) {
        }
    }
    LaunchParams p;
    p.vcpus = 0;
    CHECK_THROWS_AS(snp_launch_digest(describe_firmware(a), p), Error);
}

TEST_CASE("SEV hashes table layout", "[snp][measure]") {
    auto h = kernel_hashes(kEmpty, std::nullopt, std::nullopt);
    CHECK(hex(h.cmdline) == hex(sha256(Bytes{0})));
    CHECK(hex(h.initrd) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    Bytes t = sev_hashes_table(h);
    REQUIRE(t.size() == 176);
    CHECK(le16(t, 16) == 168);
    CHECK(le16(t, 18 + 16) == 50);
    CHECK(hex(slice(t, 18 + 18, 32)) == hex(h.cmdline));
    CHECK(hex(slice(t, 18 + 50 + 50 + 18, 32)) == hex(h.kernel));
    CHECK(hex(slice(t, 168, 8)) == "0000000000000000");
}

// ------------------------------------------------------------------------------------------------------
// Outside oracle: virtee/sev-snp-measure values recorded by tests/oracle/record_measure_oracle.py into
// tests/data/measure-oracle.json, each set tied to the SHA-256 of the firmware and kernel it was run on.

namespace {

std::string resolve_ref(const std::string& ref) {
    if (ref.rfind("data:", 0) == 0) return test::fixture(ref.substr(5));
    if (ref.rfind("source:", 0) == 0) return std::string(KETTLE_SOURCE_DIR) + "/" + ref.substr(7);
    throw Error("measure-oracle.json: unknown path reference '" + ref + "'");
}

Json oracle_doc() {
    return parse_strict(to_string(read_file(std::string(KETTLE_SOURCE_DIR) + "/tests/data/measure-oracle.json")));
}

Bytes synthetic_kernel(std::size_t n) {
    Bytes k(n);
    for (std::size_t i = 0; i < n; ++i) k[i] = static_cast<std::uint8_t>(i % 251);
    return k;
}

// Checks every recorded shape of `set` against our digest; returns the number of shapes compared.
int compare_oracle_set(const Json& set, const Bytes& fw, const Bytes& kernel) {
    const auto d = describe_firmware(fw);
    int n = 0;
    for (const auto& s : set.at("shapes")) {
        LaunchParams p;
        p.vcpus = s.at("vcpus").get<unsigned>();
        p.vcpu_sig = vcpu_signature(s.at("vcpu_type").get<std::string>());
        p.guest_features = std::stoull(s.at("guest_features").get<std::string>(), nullptr, 16);
        p.hashes = kernel_hashes(kernel, std::nullopt, std::nullopt);
        INFO(set.at("name").get<std::string>() << ": " << s.dump());
        CHECK(hex(snp_launch_digest(d, p)) == s.at("digest").get<std::string>());
        ++n;
    }
    return n;
}

}  // namespace

TEST_CASE("sev-snp-measure oracle: testdata firmware, synthetic kernel", "[snp][measure][oracle]") {
    const Json doc = oracle_doc();
    CHECK(doc.at("oracle").at("name") == "virtee/sev-snp-measure");
    const Json* set = nullptr;
    for (const auto& s : doc.at("sets"))
        if (s.at("name") == "testdata") set = &s;
    REQUIRE(set);
    const std::string fw_path = resolve_ref(set->at("firmware").get<std::string>());
    const Bytes fw = read_file(fw_path);
    REQUIRE(hex(sha256(fw)) == set->at("firmware_sha256").get<std::string>());
    const Bytes kernel = synthetic_kernel(set->at("kernel").at("size").get<std::size_t>());
    REQUIRE(hex(sha256(kernel)) == set->at("kernel_sha256").get<std::string>());
    CHECK(compare_oracle_set(*set, fw, kernel) >= 8);
}

TEST_CASE("sev-snp-measure oracle: our build/image firmware, synthetic kernel", "[snp][measure][oracle]") {
    const std::string fw_path = std::string(KETTLE_SOURCE_DIR) + "/build/image/ovmf-amdsev.fd";
    if (!std::filesystem::exists(fw_path)) SKIP("build/image not built (make image)");
    const Json doc = oracle_doc();
    const Json* set = nullptr;
    for (const auto& s : doc.at("sets"))
        if (s.at("name") == "image-firmware") set = &s;
    REQUIRE(set);
    const Bytes fw = read_file(fw_path);
    // The firmware is reproducible and changes only with its recipe (firmware/): a commit that changes it must
    // re-record the oracle values, so a mismatch fails rather than skipping.
    INFO("build/image/ovmf-amdsev.fd is not the firmware the oracle values were recorded for: re-run "
         "tests/oracle/record_measure_oracle.py --oracle <sev-snp-measure checkout> --image build/image "
         "--out tests/data/measure-oracle.json");
    REQUIRE(hex(sha256(fw)) == set->at("firmware_sha256").get<std::string>());
    const Bytes kernel = synthetic_kernel(set->at("kernel").at("size").get<std::size_t>());
    REQUIRE(hex(sha256(kernel)) == set->at("kernel_sha256").get<std::string>());
    CHECK(compare_oracle_set(*set, fw, kernel) >= 8);
}

TEST_CASE("SNP digest of Debian 12 OVMF.fd (recorded sev-snp-measure run)", "[snp][measure]") {
    const char* env = std::getenv("KETTLE_DEBIAN_OVMF");
    std::string path = env ? env : "/usr/share/ovmf/OVMF.fd";
    if (!std::filesystem::exists(path)) SKIP("Debian 12 OVMF.fd not present (apt-get install ovmf, or KETTLE_DEBIAN_OVMF)");
    const Bytes fw = read_file(path);
    if (hex(sha256(fw)) != "7b456907dd0786d415999e801a1ac4637b8ed4d7cf5378cfc6edbe5e574dd773")
        SKIP("OVMF.fd is not ovmf 2022.11-6+deb12u2");
    CHECK(snp_digest(fw, 1, "EPYC-v4", 0x1, std::nullopt, false) ==
          "11570979c77a0adb515761a702527c8b9e11554e730552621d950988613a3a75c6ff1703f540bd22a9beede8fe7a97e3");
    // No SNP_KERNEL_HASHES section and a zero hashes-table GPA: a kernel must be refused.
    CHECK_THROWS_AS(snp_digest(fw, 1, "EPYC-v4", 0x1, "", true), Error);
}

// Found by the ovmf fuzz target (input kept in tests/data/fuzz/ovmf/: a 4096-byte firmware tail with a TDVF
// footer table, written by tests/fuzz/make_seeds.cpp): the target described the firmware without its SHA-256,
// which to_json refuses with an Error. With the SHA-256, as `kettle measure` describes a file, the description
// writes and reads back the same.
TEST_CASE("a firmware description without its SHA-256 is not written; with it, it round-trips", "[snp]") {
    Bytes fw = read_file(test::fixture("fuzz/ovmf/crash-tdvf-tail-no-sha256"));
    CHECK_THROWS_AS(to_json(describe_firmware(fw, false)), Error);
    FirmwareDescription d = describe_firmware(fw, true);
    CHECK(d.sha256 == sha256(fw));
    Json j = to_json(d);
    CHECK(to_json(firmware_description_from_json(j)) == j);
}

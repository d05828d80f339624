// The disk-boot predictor on a small UKI made by objcopy from public pieces. Known answers from outside tools:
// osslsigncode (Authenticode of the UKI; tests/data/authenticode-oracle.json for the kernel), sha256sum and
// iconv (section, command line and initrd digests), sgdisk (the GPT), and the event digests that firmware
// logged in the public COS-113 CCEL. The prediction's agreement with a real firmware is the swtpm test
// (tests/integration/diskboot_test.sh tpm).
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <filesystem>

#include "kettle/boot/eventlog.hpp"
#include "kettle/boot/gpt.hpp"
#include "kettle/boot/measured_boot.hpp"
#include "kettle/boot/pe.hpp"
#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/json.hpp"
#include "test_support.hpp"

using namespace kettle;
using namespace kettle::boot;
using Catch::Matchers::ContainsSubstring;

namespace {

bool have(const char* tool) { return std::system((std::string("command -v ") + tool + " >/dev/null 2>&1").c_str()) == 0; }

std::string sha256sum(const std::string& shell_input) {
    return test::run_host(shell_input + " | sha256sum").substr(0, 64);
}

// osslsigncode's Authenticode digest (the same method as tests/data/authenticode-oracle.json records).
std::string osslsigncode_digest(const std::string& file, const char* alg, const std::string& dir) {
    // osslsigncode never overwrites its output file.
    test::run_host("rm -f " + dir + "/d.p7 && osslsigncode extract-data -h " + std::string(alg) + " -in " + file +
                   " -out " + dir + "/d.p7 >/dev/null 2>&1");
    const std::string asn = test::run_host("openssl asn1parse -inform DER -in " + dir + "/d.p7");
    const auto p = asn.rfind("[HEX DUMP]:");
    REQUIRE(p != std::string::npos);
    std::string h = asn.substr(p + 11, asn.find('\n', p) - p - 11);
    for (auto& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return h;
}

struct Fixture {
    test::TempDir d;
    std::string uki, disk, kernel = test::fixture("synthetic-pe-aligned.efi");
    Fixture() {
        test::run_host("cd " + d.str() + " && printf 'ID=kettle\\n' > osrel && printf 'console=ttyS0 panic=-1' > cmdline"
                       " && head -c 1000 /dev/zero | tr '\\0' 'k' > initrd");
        uki = d / "uki.efi";
        test::run_host("cd " + d.str() + " && objcopy --add-section .osrel=osrel --change-section-vma .osrel=0x140010000"
                       " --add-section .cmdline=cmdline --change-section-vma .cmdline=0x140011000 --add-section .linux=" +
                       kernel + " --change-section-vma .linux=0x140012000 --add-section .initrd=initrd"
                       " --change-section-vma .initrd=0x140020000 " + kernel + " " + uki + " 2>/dev/null");
        disk = d / "disk.raw";
        test::run_host("truncate -s 8M " + disk + " && sgdisk --clear --disk-guid=ac58169b-46c0-431b-a28e-241f0f2a83eb "
                       "--new=1:2048:0 --typecode=1:ef00 --change-name=1:kettle-esp " + disk + " >/dev/null");
    }
};

}  // namespace

TEST_CASE("the events of a disk boot, in log order, with outside known answers", "[boot][measured]") {
    for (const char* t : {"objcopy", "sgdisk", "osslsigncode", "openssl", "iconv"})
        if (!have(t)) SKIP(std::string(t) + " is not installed");
    Fixture f;
    const BootPrediction p = predict_disk_boot(read_file(f.uki), read_file(f.disk));
    std::vector<std::string> shape;
    for (const auto& e : p.events) shape.push_back(std::to_string(e.pcr) + " " + event_type_name(e.event_type));
    CHECK(shape == std::vector<std::string>{
                       "4 EV_EFI_ACTION", "4 EV_SEPARATOR", "5 EV_SEPARATOR", "5 EV_EFI_GPT_EVENT",
                       "4 EV_EFI_BOOT_SERVICES_APPLICATION", "11 EV_IPL", "11 EV_IPL", "11 EV_IPL", "11 EV_IPL",
                       "11 EV_IPL", "11 EV_IPL", "11 EV_IPL", "11 EV_IPL", "4 EV_EFI_BOOT_SERVICES_APPLICATION",
                       "9 EV_EVENT_TAG", "9 EV_EVENT_TAG", "5 EV_EFI_ACTION", "5 EV_EFI_ACTION"});
    auto d256 = [&](std::size_t i) { return hex(p.events.at(i).digests.at(kTpmAlgSha256)); };
    auto d384 = [&](std::size_t i) { return hex(p.events.at(i).digests.at(kTpmAlgSha384)); };
    // Firmware actions and separator: the digests Google's firmware logged (COS-113 CCEL).
    const auto cos = parse_ccel_log(read_file(test::fixture("tdx/go-tdx-guest/ccel") + "/ccel_data_trimmed.dat"));
    auto cos_digest = [&](std::uint32_t type, const std::string& data) {
        for (const auto& e : cos)
            if (e.event_type == type && to_string(e.data) == data) return hex(e.digest);
        return std::string("absent");
    };
    CHECK(d384(0) == cos_digest(kEvEfiAction, "Calling EFI Application from Boot Option"));
    CHECK(d384(1) == cos_digest(kEvSeparator, std::string(4, '\0')));
    CHECK(d384(16) == cos_digest(kEvEfiAction, "Exit Boot Services Invocation"));
    CHECK(d384(17) == cos_digest(kEvEfiAction, "Exit Boot Services Returned with Success"));
    // GPT: the header and entry of the sgdisk-made disk.
    CHECK(d256(3) == sha256sum("{ dd if=" + f.disk + " bs=1 skip=512 count=92 status=none; printf '\\001\\0\\0\\0\\0\\0\\0\\0';"
                               " dd if=" + f.disk + " bs=512 skip=2 count=1 status=none | head -c 128; }"));
    // Authenticode: osslsigncode on the UKI; the kernel is the synthetic PE of the oracle file.
    CHECK(d256(4) == osslsigncode_digest(f.uki, "sha256", f.d.str()));
    CHECK(d384(4) == osslsigncode_digest(f.uki, "sha384", f.d.str()));
    const Json oracle = parse_strict(to_string(read_file(test::fixture("authenticode-oracle.json"))));
    CHECK(d384(13) == oracle.at("files").at(0).at("sha384").get<std::string>());
    CHECK(d256(13) == oracle.at("files").at(0).at("sha256").get<std::string>());
    // systemd-stub: name with NUL, then contents, in the order .linux .osrel .cmdline .initrd.
    CHECK(d256(5) == sha256sum("printf '.linux\\0'"));
    CHECK(d256(6) == sha256sum("cat " + f.kernel));
    CHECK(d256(7) == sha256sum("printf '.osrel\\0'"));
    CHECK(d256(8) == sha256sum("cat " + f.d / "osrel"));
    CHECK(d256(10) == sha256sum("cat " + f.d / "cmdline"));
    CHECK(d256(12) == sha256sum("cat " + f.d / "initrd"));
    CHECK(hex(*p.events[5].data) == hex(as_bytes(std::string(".\0l\0i\0n\0u\0x\0\0\0", 14))));
    // The Linux EFI stub: UTF-16LE command line with its NUL, then the initrd.
    CHECK(p.cmdline == "console=ttyS0 panic=-1");
    CHECK(d256(14) == sha256sum("{ printf 'console=ttyS0 panic=-1' | iconv -t UTF-16LE; printf '\\0\\0'; }"));
    CHECK(d256(15) == sha256sum("cat " + f.d / "initrd"));
    // Which log sees which event: systemd-stub 252 measures only through TCG, the PCR 5 separator has no CC twin.
    for (std::size_t i = 5; i <= 12; ++i) CHECK_FALSE(p.events[i].cc);
    CHECK_FALSE(p.events[2].cc);
    CHECK(p.events[14].cc_mr_index == kCcMrRtmr2);
    CHECK(p.events[3].cc_mr_index == kCcMrRtmr1);
}

TEST_CASE("registers: extended from zero in log order; PCR 12 and 13 untouched", "[boot][measured]") {
    for (const char* t : {"objcopy", "sgdisk"})
        if (!have(t)) SKIP(std::string(t) + " is not installed");
    Fixture f;
    const BootPrediction p = predict_disk_boot(read_file(f.uki), read_file(f.disk));
    auto chain = [&](HashAlg a, auto pick) {
        Bytes r(digest_size(a), 0);
        for (const auto& e : p.events)
            if (pick(e)) {
                Hasher h(a);
                h.update(r);
                h.update(e.digests.at(tpm_alg_of(a)));
                r = h.finish();
            }
        return r;
    };
    for (std::uint32_t pcr : kPredictedPcrs)
        for (HashAlg a : {HashAlg::sha256, HashAlg::sha384})
            CHECK(p.pcrs.at(pcr).at(tpm_alg_of(a)) == chain(a, [&](const BootEvent& e) { return e.tpm && e.pcr == pcr; }));
    CHECK(p.pcrs.at(12).at(kTpmAlgSha256) == Bytes(32, 0));
    CHECK(p.pcrs.at(13).at(kTpmAlgSha384) == Bytes(48, 0));
    CHECK(p.rtmr1 == chain(HashAlg::sha384, [](const BootEvent& e) { return e.cc && e.cc_mr_index == 2; }));
    CHECK(p.rtmr2 == chain(HashAlg::sha384, [](const BootEvent& e) { return e.cc && e.cc_mr_index == 3; }));
    const Json j = boot_prediction_json(p);
    CHECK(j.at("events").size() == p.events.size());
    CHECK(j.at("pcrs").at("11").at("sha384") == hex(p.pcrs.at(11).at(kTpmAlgSha384)));
    CHECK(j.at("provider_dependent").size() == 8);
}

TEST_CASE("the predictor refuses what it does not model", "[boot][measured]") {
    for (const char* t : {"objcopy", "sgdisk"})
        if (!have(t)) SKIP(std::string(t) + " is not installed");
    Fixture f;
    const Bytes disk = read_file(f.disk);
    CHECK_THROWS_AS(predict_disk_boot(read_file(f.kernel), disk), Error);  // a PE without .linux
    CHECK_THROWS_AS(predict_disk_boot(read_file(f.uki), Bytes(4096, 0)), Error);  // no GPT
    Bytes uki = read_file(f.uki);
    CHECK_THROWS_AS(predict_disk_boot(ByteView(uki).first(200), disk), Error);
    CHECK_THROWS_AS(predict_disk_boot(uki, disk, {}), Error);
    {  // the last section in memory claims a VirtualSize of ~1 GiB: refused by the file-size bound, not allocated
        const auto secs = pe_sections(uki);
        std::size_t last = 0;
        for (std::size_t i = 1; i < secs.size(); ++i)
            if (secs[i].virtual_address > secs[last].virtual_address) last = i;
        const std::size_t pe_off = uki[0x3c] | uki[0x3d] << 8 | uki[0x3e] << 16 | std::size_t{uki[0x3f]} << 24;
        const std::size_t opt_size = uki[pe_off + 20] | uki[pe_off + 21] << 8;  // COFF SizeOfOptionalHeader
        const std::size_t vs_at = pe_off + 24 + opt_size + 40 * last + 8;     // PE/COFF section header VirtualSize
        Bytes big = uki;
        big[vs_at] = 0x00, big[vs_at + 1] = 0x00, big[vs_at + 2] = 0xf0, big[vs_at + 3] = 0x3f;
        REQUIRE(pe_sections(big)[last].virtual_size == 0x3ff00000u);
        CHECK_THROWS_WITH(predict_disk_boot(big, disk), ContainsSubstring("over the limit"));
    }
    CHECK(stub_cmdline(as_bytes(std::string("a\tb  \n\0tail", 11))) == "a b");
    CHECK_THROWS_AS(stub_cmdline(as_bytes("caf\xc3\xa9")), Error);
}

// Found by the pe fuzz target (input kept in tests/data/fuzz/pe/: a PE32+ whose `.uname` section has VirtualSize
// and SizeOfRawData 0, section table read with a python struct reader): the target compared an empty mapping with
// memcmp on a null pointer. The library maps such a section to no bytes, as the loader would.
TEST_CASE("a section of VirtualSize 0 maps to no bytes", "[boot][pe]") {
    const Bytes pe = read_file(test::fixture("fuzz/pe/crash-empty-uname-section"));
    const std::vector<PeSection> secs = pe_sections(pe);
    REQUIRE(secs.size() == 3);
    auto s = find_section(secs, ".uname");
    REQUIRE(s);
    CHECK(s->virtual_size == 0);
    CHECK(s->raw_size == 0);
    CHECK(section_in_memory(pe, *s, 1u << 20).empty());
    const std::optional<Bytes> again = pe_section(pe, ".uname", 1u << 20);
    REQUIRE(again);
    CHECK(again->empty());
}

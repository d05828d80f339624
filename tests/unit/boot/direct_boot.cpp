// The direct-boot layout of the boot predictor (QEMU -kernel UKI, OVMF/TDVF): the RTMR1 and RTMR2 of a TD, from
// the same event model as the disk boot. Known answers from outside tools only: osslsigncode (Authenticode of
// the UKI), tests/data/authenticode-oracle.json (the kernel), iconv + sha384sum (command line, initrd), the event
// digests Google's firmware logged in the public COS-113 CCEL (boot attempt, separator, ExitBootServices), and
// Python's hashlib for the RTMR extends. The event order against a real firmware is the swtpm test
// (tests/integration/diskboot_test.sh direct-tpm).
#include <catch2/catch_test_macros.hpp>

#include <filesystem>
#include <string>

#include "kettle/boot/eventlog.hpp"
#include "kettle/boot/measured_boot.hpp"
#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/json.hpp"
#include "test_support.hpp"

using namespace kettle;
using namespace kettle::boot;

namespace {

bool have(const char* tool) { return std::system((std::string("command -v ") + tool + " >/dev/null 2>&1").c_str()) == 0; }

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

std::string sha384sum(const std::string& shell_input) { return test::run_host(shell_input + " | sha384sum").substr(0, 96); }

std::string osslsigncode_sha384(const std::string& file, const std::string& dir) {
    test::run_host("rm -f " + dir + "/d.p7 && osslsigncode extract-data -h sha384 -in " + file + " -out " + dir +
                   "/d.p7 >/dev/null 2>&1");
    const std::string asn = test::run_host("openssl asn1parse -inform DER -in " + dir + "/d.p7");
    const auto p = asn.rfind("[HEX DUMP]:");
    REQUIRE(p != std::string::npos);
    std::string h = asn.substr(p + 11, asn.find('\n', p) - p - 11);
    for (auto& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return h;
}

// Python's hashlib: SHA-384 extends from 48 zero bytes.
std::string python_rtmr(const std::vector<std::string>& digests) {
    std::string list;
    for (const auto& d : digests) list += " " + d;
    return trim(test::run_host("python3 -c \"import hashlib,sys\nr=bytes(48)\nfor d in sys.argv[1:]: "
                               "r=hashlib.sha384(r+bytes.fromhex(d)).digest()\nprint(r.hex())\"" + list));
}

// A UKI made by objcopy: the synthetic PE of the Authenticode oracle as stub and as .linux, plus sections.
struct Uki {
    test::TempDir d;
    std::string path, kernel = test::fixture("synthetic-pe-aligned.efi");
    explicit Uki(bool with_cmdline = true) {
        test::run_host("cd " + d.str() + " && printf 'ID=kettle\\n' > osrel && printf 'console=hvc0 quiet' > cmdline"
                       " && head -c 1000 /dev/zero | tr '\\0' 'r' > initrd");
        path = d / "uki.efi";
        test::run_host("cd " + d.str() + " && objcopy --add-section .osrel=osrel --change-section-vma .osrel=0x140010000" +
                       (with_cmdline ? " --add-section .cmdline=cmdline --change-section-vma .cmdline=0x140011000" : "") +
                       " --add-section .linux=" + kernel + " --change-section-vma .linux=0x140012000 --add-section"
                       " .initrd=initrd --change-section-vma .initrd=0x140020000 " + kernel + " " + path + " 2>/dev/null");
    }
};

std::string cos_digest(std::uint32_t type, const std::string& data) {
    static const auto cos = parse_ccel_log(read_file(test::fixture("tdx/go-tdx-guest/ccel") + "/ccel_data_trimmed.dat"));
    for (const auto& e : cos)
        if (e.event_type == type && to_string(e.data) == data) return hex(e.digest);
    return "absent";
}

}  // namespace

TEST_CASE("direct boot: the UKI is measured before ReadyToBoot, and there is no GPT event", "[boot][measured][tdx]") {
    if (!have("objcopy")) SKIP("objcopy is not installed");
    Uki u;
    const BootPrediction p = predict_direct_boot(read_file(u.path));
    std::vector<std::string> shape;
    for (const auto& e : p.events) shape.push_back(std::to_string(e.pcr) + " " + event_type_name(e.event_type));
    CHECK(shape == std::vector<std::string>{
                       "4 EV_EFI_BOOT_SERVICES_APPLICATION", "4 EV_EFI_ACTION", "4 EV_SEPARATOR", "5 EV_SEPARATOR",
                       "11 EV_IPL", "11 EV_IPL", "11 EV_IPL", "11 EV_IPL", "11 EV_IPL", "11 EV_IPL", "11 EV_IPL",
                       "11 EV_IPL", "4 EV_EFI_BOOT_SERVICES_APPLICATION", "9 EV_EVENT_TAG", "9 EV_EVENT_TAG",
                       "5 EV_EFI_ACTION", "5 EV_EFI_ACTION"});
    CHECK(p.layout == "direct");
    CHECK(p.gpt_event_data.empty());
    const Json j = boot_prediction_json(p);
    CHECK(j.at("layout") == "direct");
    CHECK(j.at("gpt_event_data").is_null());
    // The same UKI booted from a disk differs in RTMR1 only (event order and the GPT event), not in RTMR2.
    if (have("sgdisk")) {
        const std::string disk = u.d / "disk.raw";
        test::run_host("truncate -s 8M " + disk + " && sgdisk --clear --new=1:2048:0 --typecode=1:ef00 " + disk + " >/dev/null");
        const BootPrediction q = predict_disk_boot(read_file(u.path), read_file(disk));
        CHECK(q.rtmr2 == p.rtmr2);
        CHECK(q.rtmr1 != p.rtmr1);
    }
}

TEST_CASE("direct boot: RTMR1 and RTMR2 from outside known answers", "[boot][measured][tdx]") {
    for (const char* t : {"objcopy", "osslsigncode", "openssl", "iconv", "sha384sum", "python3"})
        if (!have(t)) SKIP(std::string(t) + " is not installed");
    Uki u;
    const BootPrediction p = predict_direct_boot(read_file(u.path), {HashAlg::sha384});
    const Json oracle = parse_strict(to_string(read_file(test::fixture("authenticode-oracle.json"))));
    const std::string rtmr1 = python_rtmr({
        osslsigncode_sha384(u.path, u.d.str()),                                       // UKI, QemuLoadKernelImage
        cos_digest(kEvEfiAction, "Calling EFI Application from Boot Option"),           // ReadyToBoot
        cos_digest(kEvSeparator, std::string(4, '\0')),                                 // separator (RTMR1 only)
        oracle.at("files").at(0).at("sha384").get<std::string>(),                      // .linux, systemd-stub
        cos_digest(kEvEfiAction, "Exit Boot Services Invocation"),
        cos_digest(kEvEfiAction, "Exit Boot Services Returned with Success"),
    });
    const std::string rtmr2 = python_rtmr({
        sha384sum("{ printf 'console=hvc0 quiet' | iconv -t UTF-16LE; printf '\\0\\0'; }"),  // LoadOptions
        sha384sum("cat " + u.d / "initrd"),                                                  // Linux initrd
    });
    CHECK(hex(p.rtmr1) == rtmr1);
    CHECK(hex(p.rtmr2) == rtmr2);

    // Without .cmdline systemd-stub sets no LoadOptions: RTMR2 holds the initrd only.
    Uki bare(false);
    CHECK(hex(predict_direct_boot(read_file(bare.path), {HashAlg::sha384}).rtmr2) ==
          python_rtmr({sha384sum("cat " + bare.d / "initrd")}));

    // `kettle measure tdx --uki` prints the same registers and each CC event with its source.
    const std::string bin = std::string(KETTLE_BIN_DIR) + "/kettle";
    if (!std::filesystem::exists(bin)) SKIP("kettle binary not built");
    const Json j = parse_strict(test::run_host(bin + " measure tdx --uki " + u.path + " --json"));
    CHECK(j.at("rtmr1") == rtmr1);
    CHECK(j.at("rtmr2") == rtmr2);
    CHECK(j.at("mrtd").is_null());
    REQUIRE(j.at("events").size() == 8);
    CHECK(j.at("events").at(0).at("what") == "UKI Authenticode");
    CHECK(j.at("events").at(0).at("measured_by").get<std::string>().find("QemuLoadKernelImage") != std::string::npos);
    CHECK(j.at("events").at(5).at("rtmr") == 2);
}

TEST_CASE("direct boot refuses a PE that is not a UKI", "[boot][measured][tdx]") {
    CHECK_THROWS_AS(predict_direct_boot(read_file(test::fixture("synthetic-pe-aligned.efi"))), Error);
    CHECK_THROWS_AS(predict_direct_boot(Bytes(100, 0)), Error);
}

TEST_CASE("kettle measure tdx --image: RTMR1/RTMR2 equal the direct-boot prediction of kettle measure boot",
          "[boot][measured][tdx][image]") {
    const std::string img = std::string(KETTLE_SOURCE_DIR) + "/build/image";
    const std::string bin = std::string(KETTLE_BIN_DIR) + "/kettle";
    if (!std::filesystem::exists(img + "/manifest.json") || !std::filesystem::exists(bin)) SKIP("image or kettle not built (make image)");
    const Json t = parse_strict(test::run_host(bin + " measure tdx --image " + img + " --json"));
    const Json b = parse_strict(test::run_host(bin + " measure boot --boot direct --image " + img + " --json"));
    CHECK(t.at("rtmr1") == b.at("rtmr1"));
    CHECK(t.at("rtmr2") == b.at("rtmr2"));
    CHECK(b.at("layout") == "direct");
    CHECK_FALSE(b.at("cmdline").get<std::string>().empty());
}

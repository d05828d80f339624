// Issue 12 item 2: RTMR2 of a TDX direct boot of a UKI (docs/measurement.md, "TDX: RTMR2"): the kernel EFI stub's
// "Linux initrd" event over the UKI's .initrd section. Known answers come from host tools: binutils objcopy adds
// and extracts the section (as image/assemble.py does), Python's hashlib computes SHA-384(0^48 || SHA-384(initrd)).
#include <catch2/catch_test_macros.hpp>

#include <filesystem>
#include <string>

#include "kettle/boot/pe.hpp"
#include "kettle/core/bytes.hpp"
#include "kettle/core/json.hpp"
#include "kettle/tdx/measure.hpp"
#include "test_support.hpp"

using namespace kettle;

namespace {

std::string oracle_rtmr2(const std::string& initrd_path) {
    std::string out = test::run_host("python3 -c \"import hashlib,sys; d=open(sys.argv[1],'rb').read(); "
                                     "print(hashlib.sha384(bytes(48)+hashlib.sha384(d).digest()).hexdigest())\" " + initrd_path);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

}  // namespace

TEST_CASE("RTMR2 of a UKI is the kernel stub's initrd event over its .initrd section", "[tdx][measure]") {
    test::TempDir t;
    const std::string pe = test::fixture("synthetic-pe-aligned.efi");
    // 1000 bytes: not a multiple of the 512-byte FileAlignment, so SizeOfRawData > VirtualSize.
    std::string initrd;
    for (int i = 0; i < 1000; ++i) initrd.push_back(static_cast<char>((i * 37 + 11) & 0xff));
    write_file(t / "initrd.bin", initrd);
    test::run_host("objcopy --add-section .initrd=" + t / "initrd.bin" + " --change-section-vma .initrd=0x150000000 " + pe + " " +
                   t / "uki.efi");
    test::run_host("objcopy -O binary --only-section=.initrd " + t / "uki.efi" + " " + t / "extracted.bin");
    const Bytes uki = read_file(t / "uki.efi");
    auto sec = boot::pe_section(uki, ".initrd");
    REQUIRE(sec);
    CHECK(*sec == read_file(t / "extracted.bin"));
    CHECK(hex(tdx::rtmr2_direct_boot(*sec)) == oracle_rtmr2(t / "initrd.bin"));
    CHECK_FALSE(boot::pe_section(uki, ".cmdline"));
    CHECK(tdx::rtmr2_direct_boot({}) == Bytes(48, 0));  // efi_load_initrd measures only a non-empty initrd

    // The CLI prints the same value for --uki.
    std::string bin = std::string(KETTLE_BIN_DIR) + "/kettle";
    if (!std::filesystem::exists(bin)) SKIP("kettle binary not built");
    Json j = parse_strict(test::run_host(bin + " measure tdx --uki " + t / "uki.efi" + " --json"));
    CHECK(j.at("rtmr2") == oracle_rtmr2(t / "initrd.bin"));
    CHECK(j.at("mrtd").is_null());
}

TEST_CASE("kettle measure tdx --image computes RTMR2 of our UKI", "[tdx][measure][image]") {
    const std::string img = std::string(KETTLE_SOURCE_DIR) + "/build/image";
    std::string bin = std::string(KETTLE_BIN_DIR) + "/kettle";
    if (!std::filesystem::exists(img + "/manifest.json") || !std::filesystem::exists(bin)) SKIP("image or kettle not built (make image)");
    test::TempDir t;
    test::run_host("objcopy -O binary --only-section=.initrd " + img + "/kettle.efi " + t / "initrd.bin");
    Json j = parse_strict(test::run_host(bin + " measure tdx --image " + img + " --json"));
    CHECK(j.at("rtmr2") == oracle_rtmr2(t / "initrd.bin"));
    CHECK(j.at("rtmr1").get<std::string>().size() == 96);
}

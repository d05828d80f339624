// init/boot_log.cpp and init/disks.cpp on fake trees: bounded copies of the event logs, PCR files read in every
// bank, RTMRs from a fake TDREPORT, disks chosen by content, never by name.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <cstring>
#include <filesystem>

#include "boot_log.hpp"
#include "disks.hpp"
#include "kettle/core/bytes.hpp"
#include "kettle/disk/roles.hpp"
#include "test_support.hpp"

using namespace kettle;
using namespace kettle::init;
using Catch::Matchers::ContainsSubstring;
namespace fs = std::filesystem;

namespace {

BootLogPaths fake_paths(const test::TempDir& d) {
    BootLogPaths p;
    p.ccel_table = d / "acpi/CCEL";
    p.ccel_data = d / "acpi/data/CCEL";
    p.tpm_log = d / "security/tpm0/binary_bios_measurements";
    p.tpm_class = d / "class/tpm0";
    p.tdx_guest = d / "tdx_guest";
    return p;
}

// A fake /dev/tdx_guest ioctl: fills the TDREPORT with its offset (mod 251), so each RTMR has known bytes.
int fake_tdreport(int, unsigned long, void* arg) {
    auto* b = static_cast<std::uint8_t*>(arg);
    for (std::size_t i = 0; i < 1024; ++i) b[64 + i] = static_cast<std::uint8_t>(i % 251);
    return 0;
}
int failing_ioctl(int, unsigned long, void*) {
    errno = ENOTTY;
    return -1;
}

}  // namespace

TEST_CASE("nothing there: no logs, no registers, no notes", "[init][boot_log]") {
    test::TempDir d;
    std::string notes;
    const BootEvidence ev = capture_boot_evidence(fake_paths(d), fake_tdreport, notes);
    CHECK(ev.logs.empty());
    CHECK(ev.ccel_table.empty());
    CHECK(ev.registers.tpm_pcrs.empty());
    CHECK(ev.registers.rtmrs.empty());
    CHECK(notes.empty());
}

TEST_CASE("CCEL and TPM logs are copied as bytes, bounded, CCEL first", "[init][boot_log]") {
    test::TempDir d;
    const BootLogPaths p = fake_paths(d);
    fs::create_directories(d / "acpi/data");
    fs::create_directories(d / "security/tpm0");
    write_file(p.ccel_table, Bytes(56, 0x43));
    write_file(p.ccel_data, Bytes(kMaxBootEventLog + 10, 0xff));  // larger than the bound
    write_file(p.tpm_log, Bytes(3000, 0x11));
    std::string notes;
    const BootEvidence ev = capture_boot_evidence(p, fake_tdreport, notes);
    REQUIRE(ev.logs.size() == 2);
    CHECK(ev.logs[0].source == "ccel");
    CHECK(ev.logs[0].truncated);
    CHECK(ev.logs[0].data.size() == kMaxBootEventLog);
    CHECK(ev.logs[1].source == "tpm");
    CHECK_FALSE(ev.logs[1].truncated);
    CHECK(ev.logs[1].data == Bytes(3000, 0x11));
    CHECK(ev.ccel_table == Bytes(56, 0x43));
}

TEST_CASE("PCR files: every bank, only well-formed values", "[init][boot_log]") {
    test::TempDir d;
    const BootLogPaths p = fake_paths(d);
    fs::create_directories(p.tpm_class + "/pcr-sha256");
    fs::create_directories(p.tpm_class + "/pcr-sha384");
    for (int i = 0; i < 24; ++i) write_file(p.tpm_class + "/pcr-sha256/" + std::to_string(i), std::string(64, 'A') + "\n");
    write_file(p.tpm_class + "/pcr-sha384/4", std::string(96, '0') + "\n");
    write_file(p.tpm_class + "/pcr-sha384/5", std::string(95, '0') + "\n");   // short: left out
    write_file(p.tpm_class + "/pcr-sha384/6", std::string(96, 'x') + "\n");   // not hex: left out
    write_file(p.tpm_class + "/pcr-sha384/7", std::string(4000, '0'));       // oversize: left out
    std::string notes;
    const BootEvidence ev = capture_boot_evidence(p, fake_tdreport, notes);
    CHECK(ev.registers.tpm_pcrs.at("sha256").size() == 24);
    CHECK(ev.registers.tpm_pcrs.at("sha256").at(23) == Bytes(32, 0xaa));
    CHECK(ev.registers.tpm_pcrs.at("sha384").size() == 1);
    CHECK(ev.registers.tpm_pcrs.at("sha384").at(4) == Bytes(48, 0));
}

TEST_CASE("RTMRs from a TDREPORT at 0x2D0; a failing ioctl is a note", "[init][boot_log]") {
    test::TempDir d;
    const BootLogPaths p = fake_paths(d);
    write_file(p.tdx_guest, "");
    std::string notes;
    BootEvidence ev = capture_boot_evidence(p, fake_tdreport, notes);
    REQUIRE(ev.registers.rtmrs.size() == 4);
    CHECK(ev.registers.rtmrs[0][0] == 0x2D0 % 251);
    CHECK(ev.registers.rtmrs[3][47] == (0x2D0 + 3 * 48 + 47) % 251);
    ev = capture_boot_evidence(p, failing_ioctl, notes);
    CHECK(ev.registers.rtmrs.empty());
    CHECK_THAT(notes, ContainsSubstring("TDX_CMD_GET_REPORT0"));
    const Json s = boot_evidence_summary(ev, notes);
    CHECK(s.at("rtmrs") == false);
}

TEST_CASE("disks are found by content on any bus; names never decide", "[init][disks]") {
    test::TempDir d;
    const std::string sys = d / "sys", dev = d / "dev";
    fs::create_directories(dev);
    Bytes label = blank_output_label();
    const std::string tar_head = test::run_host("cd " + d.str() + " && echo '{}' > request.json && tar -cf - request.json | head -c 4096");
    auto disk = [&](const std::string& name, const Bytes& content) {
        fs::create_directories(sys + "/" + name);
        write_file(dev + "/" + name, content);
    };
    disk("nvme0n1", Bytes(8192, 0));  // a boot disk, say
    disk("nvme1n1", Bytes(tar_head.begin(), tar_head.end()));
    disk("vda", label);  // names from another bus mix freely
    disk("loop0", label);  // virtual devices are not probed
    FoundDisks f = find_kettle_disks(sys, dev);
    CHECK(f.choice.input == dev + "/nvme1n1");
    CHECK(f.choice.output == dev + "/vda");
    CHECK_THAT(f.summary, ContainsSubstring("nvme0n1 (unknown)"));
    disk("sdb", label);  // a forged second output disk: ambiguity is refused
    f = find_kettle_disks(sys, dev);
    CHECK(f.choice.output.empty());
    CHECK_THAT(f.choice.output_error, ContainsSubstring("sdb, vda"));
    CHECK(f.choice.input == dev + "/nvme1n1");
}
